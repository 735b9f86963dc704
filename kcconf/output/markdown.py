"""The plan as a pull-request comment: a summary table, deletions called out before anything
else, then one collapsible section per realm holding the text plan.

Every name is escaped for where it stands (escape.py): a hostile clientId must not close the
block, hide the comment's rest or break the table, or a reviewer misses what follows."""

from __future__ import annotations

from collections.abc import Sequence

from kcconf.model.changes import Action
from kcconf.output.escape import code_span, fence_for, html_text
from kcconf.output.text import render_plan, total
from kcconf.planning.plan import Plan

HEADER = "### kcconf plan"


def render_markdown(plans: Sequence[Plan]) -> str:
    parts = [HEADER, "", _table(plans), ""]
    deletions = _deletions(plans)
    if deletions:
        parts += [
            "**Deletions** (these objects will be removed from Keycloak):",
            "",
            *deletions,
            "",
        ]
    for plan in plans:
        parts += _section(plan)
    return "\n".join(parts)


def _table(plans: Sequence[Plan]) -> str:
    rows = ["| realm | add | change | delete |", "|---|---:|---:|---:|"]
    for p in plans:
        counts = (p.count(Action.CREATE), p.count(Action.UPDATE), p.count(Action.DELETE))
        realm = code_span(p.realm, in_table=True)
        rows.append(f"| {realm} | {counts[0]} | {counts[1]} | {counts[2]} |")
    if len(plans) > 1:
        rows.append(f"\n{total(plans)}")
    return "\n".join(rows)


def _deletions(plans: Sequence[Plan]) -> list[str]:
    return [
        f"- :warning: {code_span(str(c.address))} in realm {code_span(p.realm)}"
        for p in plans
        for c in p.changes
        if c.action is Action.DELETE
    ]


def _section(plan: Plan) -> list[str]:
    status = "no changes" if plan.empty else f"{len(plan.changes)} object(s) change"
    text = render_plan(plan).rstrip("\n")  # one line per line: names are escaped in it
    fence = fence_for(text)
    return [
        f"<details><summary>Realm <code>{html_text(plan.realm)}</code>: {status}</summary>",
        "",
        f"{fence}diff",
        text,
        fence,
        "",
        "</details>",
        "",
    ]
