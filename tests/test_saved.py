"""Saved plans: fingerprints of touched live objects, the saved file, and the refusals when the
specs or the realm changed since the plan was made. No server: plans are built by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kcconf.errors import KcconfError
from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj, Secret
from kcconf.output.saved import (
    KIND,
    check_current,
    check_specs,
    fingerprints,
    is_saved_plan,
    load,
    save,
)
from kcconf.planning.plan import Plan
from kcconf.spec.workspace import SpecFile, load_all
from tests.helpers import ROOT

SCHEMA = json.loads((ROOT / "docs" / "plan-format.schema.json").read_text())
HEX64 = re.compile(r"[0-9a-f]{64}")

X = Address("client", "x")
NEW = Address("client", "new")
GONE = Address("client", "gone")
RENAMED = Address("client", "renamed")


def live_x(description: str = "Old", secret: str = "x-secret-1") -> Obj:
    return Obj(
        X,
        {"description": description, "secret": Secret(secret)},
        {"defaultClientScopes": frozenset({"roles", "basic"})},
    )


def update_x(live: Obj, new: str = "New") -> Change:
    want = Obj(X, {"description": new}, live.relations)
    return Change(
        Action.UPDATE,
        X,
        (FieldChange("description", live.fields["description"], new),),
        (),
        want,
        live,
    )


def plan_r(live: Obj | None = None, new: str = "New") -> Plan:
    """Realm r: delete client gone, update client x, create client new, rename old -> renamed."""
    gone = Obj(GONE, {"enabled": True})
    created = Obj(NEW, {"enabled": True})
    old = Obj(Address("client", "old"), {"description": "d"})
    renamed = Obj(RENAMED, {"description": "d"}, previous=("old",))
    changes = (
        Change(Action.DELETE, GONE, (), (), None, gone),
        Change(Action.CREATE, NEW, (FieldChange("enabled", None, True),), (), created, None),
        Change(
            Action.UPDATE,
            RENAMED,
            (FieldChange("clientId", "old", "renamed"),),
            (),
            renamed,
            old,
            renamed_from="old",
        ),
        update_x(live or live_x(), new),
    )
    return Plan("r", changes, live_counts={"client": 4})


def specs_in(tmp_path: Path) -> list[SpecFile]:
    (tmp_path / "r.yaml").write_text("realm:\n  name: r\n")
    return load_all([tmp_path / "r.yaml"])


def saved_plan(tmp_path: Path, plan: Plan) -> Path:
    out = tmp_path / "plan.json"
    save(out, specs_in(tmp_path), [plan])
    return out


def refusal(saved: Path, plan: Plan) -> str:
    with pytest.raises(KcconfError) as caught:
        check_current(load(saved), [plan])
    return str(caught.value)


def test_fingerprints_by_live_address() -> None:
    prints = fingerprints(plan_r())
    assert list(prints) == ["client gone", "client new", "client old", "client x"]
    assert prints["client new"] is None  # a create touches nothing live
    for address in ("client gone", "client old", "client x"):
        assert HEX64.fullmatch(prints[address] or ""), address
    assert len(set(prints.values())) == 4


def test_a_rename_is_fingerprinted_under_its_old_address() -> None:
    prints = fingerprints(plan_r())
    assert "client renamed" not in prints
    assert prints["client old"] is not None


def test_secret_values_are_not_in_the_digest() -> None:
    one = fingerprints(plan_r(live_x(secret="x-secret-1")))["client x"]
    other = fingerprints(plan_r(live_x(secret="x-secret-2")))["client x"]
    assert one == other
    assert fingerprints(plan_r(live_x(description="Older")))["client x"] != one


def test_the_digest_does_not_depend_on_relation_order() -> None:
    live = live_x()
    reordered = Obj(X, live.fields, {"defaultClientScopes": frozenset(["basic", "roles"])})
    assert fingerprints(plan_r(live)) == fingerprints(plan_r(reordered))


def test_save_writes_a_saved_plan_that_validates(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    assert is_saved_plan(out)
    data = json.loads(out.read_text())
    assert [e.message for e in Draft202012Validator(SCHEMA).iter_errors(data)] == []
    spec_file = tmp_path / "r.yaml"
    assert data["saved"]["kind"] == KIND
    assert data["saved"]["specs"] == [
        {"path": str(spec_file), "realm": "r", "sha256": load_all([spec_file])[0].sha256}
    ]
    assert data["saved"]["fingerprints"] == {"r": fingerprints(plan_r())}
    assert "x-secret-1" not in out.read_text()
    assert load(out).spec_paths == [spec_file]


def test_only_saved_plans_are_recognised(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"format_version": 1, "realms": []}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]\n")
    yaml_copy = tmp_path / "plan.yaml"
    yaml_copy.write_text(out.read_text())
    assert [is_saved_plan(p) for p in (out, plain, broken, listed, yaml_copy)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert not is_saved_plan(tmp_path / "missing.json")


def test_unchanged_specs_and_realm_are_accepted(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    check_specs(load(out))
    check_current(load(out), [plan_r()])


def test_a_changed_spec_file_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    spec_file = tmp_path / "r.yaml"
    spec_file.write_text("realm:\n  name: r\n  enabled: true\n")
    with pytest.raises(KcconfError) as caught:
        check_specs(load(out))
    assert str(caught.value) == (
        f"not applying the saved plan: spec file(s) changed since it was made: {spec_file}; "
        "make a new plan"
    )


def test_a_deleted_spec_file_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    spec_file = tmp_path / "r.yaml"
    spec_file.unlink()
    with pytest.raises(KcconfError) as caught:
        check_specs(load(out))
    assert str(caught.value) == (
        f"not applying the saved plan: spec file(s) changed since it was made: {spec_file}; "
        "make a new plan"
    )


def test_a_touched_object_changed_live_is_refused_by_name(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    # Someone edited client x in the admin console: same change planned, different live object.
    edited = Obj(X, {"description": "Old", "secret": Secret("x-secret-1"), "enabled": False})
    assert refusal(out, plan_r(edited)) == (
        "not applying the saved plan: changed in Keycloak since it was made: "
        "client x in realm r; make a new plan"
    )


def test_a_rotated_secret_alone_is_not_a_live_change(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    check_current(load(out), [plan_r(live_x(secret="rotated-secret"))])


def test_an_object_created_since_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plan = plan_r()
    created = Obj(NEW, {"enabled": False})
    now_update = Change(
        Action.UPDATE,
        NEW,
        (FieldChange("enabled", False, True),),
        (),
        plan.changes[1].desired,
        created,
    )
    changes = (plan.changes[0], plan.changes[2], plan.changes[3], now_update)
    assert refusal(out, Plan("r", changes)) == (
        "not applying the saved plan: changed in Keycloak since it was made: "
        "client new in realm r; make a new plan"
    )


def test_a_touched_object_gone_from_the_plan_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plan = plan_r()
    assert refusal(out, Plan("r", plan.changes[:3])) == (
        "not applying the saved plan: changed in Keycloak since it was made: "
        "client x in realm r; make a new plan"
    )


def test_a_different_plan_with_the_same_fingerprints_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    # Same live objects, so every fingerprint matches; the change to client x differs.
    assert refusal(out, plan_r(new="Newer")) == (
        "not applying the saved plan: the plan made now differs from it"
    )


def test_an_extra_change_with_the_same_fingerprints_is_refused(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plan = plan_r()
    extra = Address("client-scope", "audit")
    want = Obj(extra, {"protocol": "openid-connect"})
    create = Change(
        Action.CREATE, extra, (FieldChange("protocol", None, "openid-connect"),), (), want, None
    )
    grown = Plan("r", (plan.changes[0], create, *plan.changes[1:]))
    assert refusal(out, grown) == "not applying the saved plan: the plan made now differs from it"


def test_a_relation_change_alone_is_a_different_plan(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plan = plan_r()
    x = plan.changes[3]
    more = Change(
        x.action,
        x.address,
        x.fields,
        (RelationChange("defaultClientScopes", ("audit",), ()),),
        x.desired,
        x.live,
    )
    assert refusal(out, Plan("r", (*plan.changes[:3], more))) == (
        "not applying the saved plan: the plan made now differs from it"
    )


def test_unmanaged_counts_may_differ(tmp_path: Path) -> None:
    out = saved_plan(tmp_path, plan_r())
    plan = plan_r()
    check_current(load(out), [Plan("r", plan.changes, unmanaged={"user": 5})])


def test_applying_one_realm_of_a_saved_plan_does_not_blame_keycloak(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("realm:\n  name: r\n")
    (tmp_path / "other.yaml").write_text("realm:\n  name: other\n")
    out = tmp_path / "plan.json"
    other = plan_r()
    other = Plan("other", other.changes)
    save(out, load_all([tmp_path]), [other, plan_r()])
    try:
        check_current(load(out), [plan_r()])  # what apply computes with --realm r
    except KcconfError as exc:
        assert "changed in Keycloak" not in str(exc)
