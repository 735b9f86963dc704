"""Checks that can refuse a plan before anything is applied."""

from __future__ import annotations

from collections import Counter

from kcconf.errors import KcconfError
from kcconf.kinds import BY_NAME
from kcconf.model.changes import Action
from kcconf.model.objects import Limits
from kcconf.planning.plan import Plan


def check_deletes(plan: Plan, limits: Limits, allow: bool) -> None:
    """Refuse a plan that deletes more of a kind than the limits allow, unless allowed."""
    if allow:
        return
    # First, whatever the limits: a deletion that takes more along (imported users) is
    # never implied by a prune alone.
    risky = [f"{address}, which {note}" for address, note in deletion_notes(plan)]
    if risky:
        raise KcconfError(
            f"refusing to delete {'; '.join(risky)} (realm {plan.realm}): review the plan, "
            "then pass --allow-deletes"
        )
    deletes = Counter(c.address.kind for c in plan.changes if c.action is Action.DELETE)
    over = []
    for kind, count in sorted(deletes.items()):
        total = plan.live_counts.get(kind, count)
        percent = 100 * count / total if total else 100
        if count > limits.max_deletes or percent > limits.max_percent:
            over.append(f"{count} of {total} {plural(kind)} ({percent:.3g}%)")
    if over:
        raise KcconfError(
            f"refusing to delete {', '.join(over)} in realm {plan.realm}: more than "
            f"{limits.max_deletes} or {limits.max_percent}% of a kind; review the plan, then "
            "pass --allow-deletes or raise prune.limits in the spec"
        )


def replacements(plan: Plan) -> list[str]:
    """What the plan deletes and creates again because Keycloak cannot change it in place."""
    return [
        f"{change.address}: {why}"
        for change in plan.changes
        for why in BY_NAME[change.address.kind].replaces(change)
    ]


def check_replacements(plan: Plan, allow: bool) -> None:
    """Refuse a plan that replaces anything, unless allowed: what is replaced gets new ids."""
    found = [] if allow else replacements(plan)
    if found:
        raise KcconfError(
            f"refusing to apply to realm {plan.realm}: {'; '.join(found)}; review the plan, "
            "then pass --allow-replace"
        )


def plural(kind: str) -> str:
    """A kind's name for several of them: client-policies, users."""
    if kind.endswith("y"):
        return kind[:-1] + "ies"
    return kind if kind.endswith("s") else kind + "s"


def deletion_notes(plan: Plan) -> list[tuple[str, str]]:
    """(address, note) of each deletion that takes more along than its object."""
    notes = []
    for change in plan.changes:
        if change.action is Action.DELETE and change.live is not None:
            note = BY_NAME[change.address.kind].deletion_note(change.live)
            if note:
                notes.append((str(change.address), note))
    return notes
