"""The deletion limits: a plan deleting too much of a kind is refused before anything is applied."""

from __future__ import annotations

import pytest

from kcconf.errors import KcconfError
from kcconf.model.changes import Action, Change, FieldChange
from kcconf.model.objects import Address, Limits, Obj
from kcconf.planning.plan import Plan
from kcconf.planning.safety import check_deletes

ADVICE = "review the plan, then pass --allow-deletes or raise prune.limits in the spec"


def delete(kind: str, name: str) -> Change:
    address = Address(kind, name)
    return Change(Action.DELETE, address, (), (), None, Obj(address))


def plan(deletes: dict[str, int], live: dict[str, int]) -> Plan:
    changes = [delete(kind, f"{kind}-{i}") for kind, n in deletes.items() for i in range(n)]
    # Creates and updates never count against the limits.
    app = Address("client", "app")
    changes.append(
        Change(Action.CREATE, app, (FieldChange("enabled", None, True),), (), Obj(app), None)
    )
    return Plan("r", tuple(changes), live_counts=live)


def refused(p: Plan, limits: Limits) -> str:
    with pytest.raises(KcconfError) as caught:
        check_deletes(p, limits, allow=False)
    return str(caught.value)


def test_more_than_max_deletes_is_refused() -> None:
    assert refused(plan({"user": 4}, {"user": 100}), Limits(max_deletes=3, max_percent=50)) == (
        "refusing to delete 4 of 100 users (4%) in realm r: more than 3 or 50% of a kind; " + ADVICE
    )


def test_more_than_max_percent_is_refused() -> None:
    assert refused(plan({"client": 3}, {"client": 5}), Limits(max_deletes=10, max_percent=50)) == (
        "refusing to delete 3 of 5 clients (60%) in realm r: more than 10 or 50% of a kind; "
        + ADVICE
    )


def test_every_kind_over_the_limits_is_named() -> None:
    p = plan({"client-scope": 2, "realm-role": 1, "user": 3}, {"client-scope": 2, "user": 3})
    # realm-role has no live count here: the deleted ones are taken as all there is.
    assert refused(p, Limits(max_deletes=10, max_percent=50)) == (
        "refusing to delete 2 of 2 client-scopes (100%), 1 of 1 realm-roles (100%), "
        "3 of 3 users (100%) in realm r: more than 10 or 50% of a kind; " + ADVICE
    )


def test_the_limits_themselves_pass() -> None:
    check_deletes(plan({"user": 3}, {"user": 6}), Limits(max_deletes=3, max_percent=50), False)
    check_deletes(plan({"client": 10}, {"client": 20}), Limits(), False)


def test_limits_are_per_kind() -> None:
    p = plan({"client": 2, "user": 2}, {"client": 4, "user": 4})
    check_deletes(p, Limits(max_deletes=2, max_percent=50), False)


def test_no_deletes_pass() -> None:
    check_deletes(plan({}, {}), Limits(max_deletes=0, max_percent=0), False)


def test_allow_passes_anything() -> None:
    check_deletes(plan({"user": 50}, {"user": 50}), Limits(max_deletes=0, max_percent=0), True)


def test_the_message_does_not_show_a_percentage_at_the_limit() -> None:
    message = refused(plan({"user": 101}, {"user": 200}), Limits(max_deletes=1000, max_percent=50))
    assert "101 of 200 users (50%)" not in message
