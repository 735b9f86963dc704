"""Required actions against a real Keycloak: settings changed in place, the listed order applied
as Keycloak's priority and shown as a move, the rest left alone, unknown aliases refused before
anything is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, requests_of

Kcconf = Callable[..., Run]


def spec(realm: str, actions: str) -> str:
    return realm_spec(realm, "requiredActions:\n" + actions)


def live(admin: RealmAdmin) -> list[tuple[str, bool, bool]]:
    """(alias, enabled, defaultAction) of every action, in Keycloak's order."""
    admin.forget()
    reps = sorted(admin.collection(ep.REQUIRED_ACTIONS).values(), key=lambda r: r["priority"])
    return [(r["alias"], r["enabled"], r["defaultAction"]) for r in reps]


def test_required_actions_are_configured_and_ordered(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    # A known start: a new realm's order differs between versions (26.5.6 puts CONFIGURE_TOTP
    # first, 26.7.3 TERMS_AND_CONDITIONS), so the spec sets one first.
    path = tmp_path / "spec.yaml"
    apply_spec(
        kcconf,
        path,
        spec(
            realm,
            "  - alias: CONFIGURE_TOTP\n"
            "  - alias: TERMS_AND_CONDITIONS\n    enabled: false\n"
            "  - alias: VERIFY_EMAIL\n    defaultAction: false\n",
        ),
    )
    before = live(index)
    assert_in_sync(kcconf, path)

    path.write_text(
        spec(
            realm,
            "  - alias: VERIFY_EMAIL\n    defaultAction: true\n"
            "  - alias: TERMS_AND_CONDITIONS\n    enabled: true\n"
            "  - alias: CONFIGURE_TOTP\n",
        )
    )
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        2,
        "~ required-action TERMS_AND_CONDITIONS\n"
        "    enabled: false -> true\n"
        "~ required-action VERIFY_EMAIL\n"
        "    defaultAction: false -> true\n"
        f"~ required-action-order {realm}\n"
        # Reversing three is two moves; the plan names the fewest.
        "    order: moved TERMS_AND_CONDITIONS to 2, moved CONFIGURE_TOTP to 3\n"
        "Plan: 0 to add, 3 to change, 0 to delete.\n",
    )
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    after = live(index)
    order = [a for a, _, _ in after]
    listed = [a for a in order if a in {"VERIFY_EMAIL", "TERMS_AND_CONDITIONS", "CONFIGURE_TOTP"}]
    assert listed == ["VERIFY_EMAIL", "TERMS_AND_CONDITIONS", "CONFIGURE_TOTP"]
    assert ("VERIFY_EMAIL", True, True) in after and ("TERMS_AND_CONDITIONS", True, False) in after
    # The actions the spec leaves out keep their settings and their order among themselves.
    others = [r for r in before if r[0] not in listed]
    assert [r for r in after if r[0] not in listed] == others
    assert_in_sync(kcconf, path)

    # A move of one action back is one line, and one PUT per action whose priority changes.
    path.write_text(
        spec(
            realm,
            "  - alias: TERMS_AND_CONDITIONS\n    enabled: true\n"
            "  - alias: CONFIGURE_TOTP\n"
            "  - alias: VERIFY_EMAIL\n    defaultAction: true\n",
        )
    )
    planned = kcconf("plan", str(path))
    assert planned.out == (
        f"~ required-action-order {realm}\n"
        "    order: moved VERIFY_EMAIL to 3\n"
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    ), planned.out
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    assert requests_of(applied.err).get("PUT") == 3
    assert_in_sync(kcconf, path)


def test_an_unknown_required_action_is_refused_before_any_write(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    apply_spec(kcconf, path, realm_spec(realm))
    path.write_text(
        spec(realm, "  - alias: VERIFY_EMAIL\n    enabled: false\n  - alias: NO_SUCH_ACTION\n")
    )
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 1
    assert "required action(s) NO_SUCH_ACTION not registered in realm" in applied.err
    assert ("VERIFY_EMAIL", True, False) in live(index)  # nothing was written


def test_required_actions_are_validated(tmp_path: Path) -> None:
    from kcconf.spec.validate import validate_files

    path = tmp_path / "spec.yaml"
    path.write_text(
        spec("demo", "  - alias: VERIFY_EMAIL\n  - alias: VERIFY_EMAIL\n    enabld: true\n")
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:6:5: requiredActions[1].alias: duplicate required action 'VERIFY_EMAIL':"
        " declared on lines 5 and 6",
        "spec.yaml:7:5: requiredActions[1].enabld: unknown key 'enabld' (did you mean"
        " 'enabled'?); allowed keys: alias, name, enabled, defaultAction, config",
    ]
