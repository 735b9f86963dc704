"""Executing a plan: exactly its changes, in dependency order, then a check that nothing differs.

Order: objects are created and updated kind by kind (scopes and roles before the clients and
users that map them), then every relation removal, then every addition. Removals go first so a
scope can move from optional to default in one apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from kcconf.errors import KcconfError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME, ROOT, address_order, relation
from kcconf.model.changes import Action, Change
from kcconf.model.objects import State
from kcconf.planning.plan import Plan, make_plan

Log = Callable[[str], None]
Show = Callable[[Plan], None]


def apply_plan(admin: RealmAdmin, plan: Plan, desired: State, log: Log, show: Show) -> None:
    """Apply `plan`, then check the realm matches `desired`.

    A new realm is created first and the rest planned again against it, since Keycloak fills a
    new realm with built-ins (scopes, roles, clients) that the first plan could not see; `show`
    is given that second plan before it is executed.
    """
    if not plan.realm_exists:
        realm_change = next(c for c in plan.changes if c.address.kind == ROOT.name)
        ROOT.create(admin, realm_change)
        log(f"created realm {plan.realm}")
        admin.forget()
        plan = make_plan(admin, desired)
        show(plan)
    execute(admin, plan.changes, log)
    admin.forget()
    after = make_plan(admin, desired)
    if not after.empty:
        left = ", ".join(str(c.address) for c in after.changes)
        raise KcconfError(f"apply finished but the realm still differs from the spec: {left}")


@dataclass(frozen=True)
class Step:
    """One write of an apply: what it does, in words, and doing it."""

    what: str
    run: Callable[[], None]
    logged: bool = True  # said on stderr as it starts (relation steps are not, by default)


def execute(admin: RealmAdmin, changes: tuple[Change, ...], log: Log) -> None:
    """Run the plan's writes in order. When one fails or the run is interrupted, say what was
    done and what was not before the error goes on: a next apply plans the rest."""
    todo = steps(admin, changes)
    for done, step in enumerate(todo):
        try:
            if step.logged:
                log(step.what)
            step.run()
        except BaseException:  # KeyboardInterrupt too: the report matters most then
            log(stopped(todo[:done], step, todo[done + 1 :]))
            raise


def steps(admin: RealmAdmin, changes: tuple[Change, ...]) -> list[Step]:
    """Objects created and updated kind by kind, then relation removals, then additions, then
    deletions (users before the roles and clients they may be mapped to)."""
    out: list[Step] = []
    for change in changes:
        kind = BY_NAME[change.address.kind]
        if change.action is Action.CREATE:
            out.append(Step(f"creating {change.address}", partial(kind.create, admin, change)))
        elif change.action is Action.UPDATE and change.fields:
            out.append(Step(f"updating {change.address}", partial(_update, admin, change)))
    for change in changes:
        for rel in change.relations:
            how = relation(change.address.kind, rel.name)
            if rel.removed:
                what = f"removing {how.label} of {change.address}: {', '.join(rel.removed)}"
                out.append(
                    Step(what, partial(how.remove, admin, change.address, rel.removed), False)
                )
    for change in changes:
        for rel in change.relations:
            how = relation(change.address.kind, rel.name)
            if rel.added and not (change.action is Action.CREATE and how.on_create):
                what = f"adding {how.label} of {change.address}: {', '.join(rel.added)}"
                out.append(Step(what, partial(how.add, admin, change.address, rel.added), False))
    for change in sorted(changes, key=lambda c: address_order(c.address), reverse=True):
        if change.action is Action.DELETE:
            kind = BY_NAME[change.address.kind]
            out.append(Step(f"deleting {change.address}", partial(kind.delete, admin, change)))
    return out


def _update(admin: RealmAdmin, change: Change) -> None:
    BY_NAME[change.address.kind].update(admin, current(admin, change))


def current(admin: RealmAdmin, change: Change) -> Change:
    """The update against the object as Keycloak has it now, read again right before the write:
    a field changed by hand since the plan is kept (the write starts from it), and a field the
    plan changes that someone else changed meanwhile stops the apply rather than overwrite it."""
    kind = BY_NAME[change.address.kind]
    raw = kind.reread(admin, change)
    if raw is None or change.live is None:
        return change
    now = kind.live_fields(raw)
    moved = [
        f.name
        for f in change.fields
        if not f.sensitive and now.get(f.name) != change.live.fields.get(f.name)
    ]
    if moved:
        raise KcconfError(
            f"{change.address} changed in Keycloak since the plan was made "
            f"({', '.join(sorted(moved))}); not overwriting it: plan again"
        )
    return replace(change, live=replace(change.live, raw=raw))


def stopped(done: list[Step], failed: Step, left: list[Step]) -> str:
    """The report of an apply that did not finish. The write it stopped in may or may not
    have reached Keycloak (an interrupt can come after the request was sent)."""
    return (
        f"apply stopped after {len(done)} of {len(done) + 1 + len(left)} writes. "
        f"Done: {_listed(done)}. Stopped in: {failed.what} (it may or may not have taken "
        f"effect). Not done: {_listed(left)}. Run apply again: it plans what is left."
    )


def _listed(todo: list[Step], most: int = 10) -> str:
    if not todo:
        return "nothing"
    shown = "; ".join(step.what for step in todo[:most])
    more = len(todo) - most
    return shown + (f"; and {more} more" if more > 0 else "")
