"""The plan as text for people: one block per object, `old -> new` per field, no UUIDs.

Colour (green add, yellow change, red delete) only when asked, i.e. on a terminal without
NO_COLOR; the words carry the meaning on their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import click

from kcconf.kinds import BY_NAME, kind_order, relation
from kcconf.model.changes import Action, Change, FieldChange
from kcconf.output.escape import printable
from kcconf.planning.plan import Plan, rename_hints
from kcconf.planning.safety import deletion_notes, plural

INDENT = "    "
COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
Paint = Callable[[str, Action], str]


def plain(text: str, _action: Action) -> str:
    return text


def coloured(text: str, action: Action) -> str:
    return click.style(text, fg=COLOURS[action])


def render_plans(plans: Sequence[Plan], paint: Paint = plain) -> str:
    """Every realm's plan; with several realms, each under a heading and a total at the end."""
    if len(plans) == 1:
        return render_plan(plans[0], paint)
    blocks = [f"Realm {printable(p.realm)}:\n{render_plan(p, paint)}" for p in plans]
    return "\n".join(blocks) + "\n" + total(plans) + "\n"


def render_plan(plan: Plan, paint: Paint = plain) -> str:
    """One realm's plan. Every line is made printable on its own (escape.py), so a name can
    neither start a line of its own nor send the terminal a control sequence."""
    lines: list[str] = []
    for change in plan.changes:
        lines.extend(change_lines(change, paint))
    lines.extend(printable(f"note: {hint}") for hint in rename_hints(plan))
    lines.extend(printable(f"note: {a} {note}") for a, note in deletion_notes(plan))
    lines.append(printable(summary(plan)))
    if plan.unmanaged:
        lines.append(f"Unmanaged, left alone: {counted(plan.unmanaged)}.")
    return "\n".join(lines) + "\n"


def total(plans: Sequence[Plan]) -> str:
    add, upd, delete = (sum(p.count(a) for p in plans) for a in Action)
    return f"Total: {add} to add, {upd} to change, {delete} to delete in {len(plans)} realms."


def counted(counts: Mapping[str, int]) -> str:
    """`{"client": 2, "user": 1}` -> `2 clients, 1 user`, in kind order."""
    kinds = kind_order(counts)
    return ", ".join(f"{counts[k]} {k if counts[k] == 1 else plural(k)}" for k in kinds)


def summary(plan: Plan) -> str:
    if plan.empty:
        return f"No changes: realm {plan.realm} matches the spec."
    add, upd, delete = (plan.count(a) for a in (Action.CREATE, Action.UPDATE, Action.DELETE))
    return f"Plan: {add} to add, {upd} to change, {delete} to delete."


def change_lines(change: Change, paint: Paint = plain) -> list[str]:
    renamed = f" (renamed from {change.renamed_from})" if change.renamed_from else ""
    # Escaped before painting: the colour's own escape sequence is kcconf's, not the name's.
    lines = [paint(printable(f"{change.action.value} {change.address}{renamed}"), change.action)]
    lines.extend(printable(INDENT + field_line(f, change.action)) for f in change.fields)
    lines.extend(printable(INDENT + line) for line in relation_lines(change))
    lines.extend(printable(INDENT + why) for why in BY_NAME[change.address.kind].replaces(change))
    return lines


def field_line(change: FieldChange, action: Action) -> str:
    if change.sensitive:
        return f"{change.name}: (sensitive)" + ("" if action is Action.CREATE else " changed")
    if action is Action.CREATE:
        return f"{change.name}: {value(change.new)}"
    if isinstance(change.new, list) and isinstance(change.old, list | None):
        return f"{change.name}: {list_diff(change.old or [], change.new)}"
    if isinstance(change.new, Mapping) and isinstance(change.old, Mapping | None):
        return f"{change.name}: {map_diff(change.old or {}, change.new)}"
    return f"{change.name}: {value(change.old)} -> {value(change.new)}"


def map_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A map compared as a whole, shown by the keys that change: `- a, + b "1", c: "2" -> "3"`."""
    removed = [f"- {k}" for k in sorted(old) if k not in new]
    added = [f"+ {k} {value(new[k])}" for k in sorted(new) if k not in old]
    changed = [
        f"{k}: {value(old[k])} -> {value(new[k])}"
        for k in sorted(new)
        if k in old and old[k] != new[k]
    ]
    return ", ".join(removed + added + changed)


def list_diff(old: list[Any], new: list[Any]) -> str:
    """Lists as the items removed and added, like relations: `- a, + b`."""

    def item(v: Any) -> str:
        return v if isinstance(v, str) else value(v)

    removed = [f"- {item(v)}" for v in old if v not in new]
    added = [f"+ {item(v)}" for v in new if v not in old]
    kept = [v for v in new if v in old]
    moves = [f"moved {item(v)} to {new.index(v) + 1}" for v in moved(old, kept)]
    return ", ".join(removed + added + moves)


def moved(old: list[Any], new: list[Any]) -> list[Any]:
    """The fewest items of `new` that changed place: those outside the longest run that kept
    its order (so one item moved to the front is one move, not a shift of all the others)."""
    places = [old.index(v) for v in new if v in old]
    best: list[list[int]] = []  # best[i]: the longest increasing run ending at places[i]
    for i, place in enumerate(places):
        runs = [best[j] for j in range(i) if places[j] < place]
        best.append([*_longest(runs), place])
    keep = set(_longest(best))
    return [v for v, place in zip(new, places, strict=True) if place not in keep]


def _longest(runs: list[list[int]]) -> list[int]:
    return max(runs, key=len) if runs else []


def relation_lines(change: Change) -> Iterable[str]:
    """One line per relation label; realm and client roles of one relation share a line."""
    removed: dict[str, list[str]] = {}
    added: dict[str, list[str]] = {}
    for rel in change.relations:
        label = relation(change.address.kind, rel.name).label
        removed.setdefault(label, []).extend(f"- {r}" for r in rel.removed)
        added.setdefault(label, []).extend(f"+ {a}" for a in rel.added)
    for label in removed:  # removals first, as apply does them
        yield f"{label}: {', '.join(removed[label] + added[label])}"


def value(v: Any) -> str:
    if v is None:
        return "(unset)"
    return json.dumps(v, ensure_ascii=False, default=str)
