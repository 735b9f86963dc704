"""Realm settings against a real Keycloak: typed settings planned `old -> new`, the password
policy by rule, default roles and default groups exact when written, and a setting the spec does
not write never reset by an update."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import role_refs
from kcconf.kinds.role import default_roles_name
from kcconf.spec.validate import validate_files
from tests.helpers import Run, apply_spec, assert_in_sync

Kcconf = Callable[..., Run]

BODY = """\
roles:
  - name: reader
groups:
  - name: staff
  - name: guests
"""


def spec(realm: str, settings: str) -> str:
    return f"realm:\n  name: {realm}\n  enabled: true\n{settings}" + BODY


def default_roles(admin: RealmAdmin) -> tuple[set[str], set[str]]:
    admin.forget()
    role_id = admin.role(default_roles_name(admin.realm))["id"]
    return role_refs(ep.COMPOSITES.read(admin, role_id), admin.client_ids_by_uuid())


def default_groups(admin: RealmAdmin) -> set[str]:
    return {str(g["path"]) for g in ep.DEFAULT_GROUPS.read(admin)}


def test_settings_policy_default_roles_and_groups(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    apply_spec(
        kcconf,
        path,
        spec(
            realm,
            "  registrationAllowed: true\n  sslRequired: external\n"
            "  passwordPolicy: length(8) and upperCase(1)\n"
            "  bruteForceProtected: true\n  failureFactor: 5\n"
            "  eventsEnabled: true\n  enabledEventTypes: [LOGIN, LOGIN_ERROR]\n"
            "  internationalizationEnabled: true\n  supportedLocales: [en, nl]\n"
            "  defaultLocale: en\n"
            "  loginTheme: keycloak\n  browserSecurityHeaders: {xFrameOptions: DENY}\n"
            "  otpPolicyDigits: 8\n  webAuthnPolicyRpEntityName: shop\n"
            "  defaultRoles: {realmRoles: [reader, offline_access]}\n"
            "  defaultGroups: [/staff]\n",
        ),
    )
    rep = index.api.get(index.path(""))
    assert (rep["registrationAllowed"], rep["sslRequired"], rep["failureFactor"]) == (
        True,
        "external",
        5,
    )
    assert set(rep["passwordPolicy"].split(" and ")) == {"length(8)", "upperCase(1)"}
    assert (rep["loginTheme"], rep["otpPolicyDigits"], rep["webAuthnPolicyRpEntityName"]) == (
        "keycloak",
        8,
        "shop",
    )
    assert rep["browserSecurityHeaders"]["xFrameOptions"] == "DENY"
    # clientRoles is not written: the account roles Keycloak gives by default stay.
    account = {"account/manage-account", "account/view-profile"}
    assert default_roles(index) == ({"reader", "offline_access"}, account)
    assert default_groups(index) == {"/staff"}
    assert_in_sync(kcconf, path)

    # Made by hand meanwhile: a setting the spec does not write, which no update may reset.
    index.api.put(index.path(""), {**rep, "rememberMe": True})
    path.write_text(
        spec(
            realm,
            "  registrationAllowed: false\n  sslRequired: external\n"
            "  passwordPolicy: length(12) and digits(1)\n"
            "  bruteForceProtected: true\n  failureFactor: 5\n"
            "  eventsEnabled: true\n  enabledEventTypes: [LOGIN]\n"
            "  internationalizationEnabled: true\n  supportedLocales: [en, nl]\n"
            "  defaultLocale: en\n"
            "  defaultRoles: {realmRoles: [reader]}\n"
            "  defaultGroups: [/guests]\n",
        )
    )
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        2,
        f"~ realm {realm}\n"
        "    registrationAllowed: true -> false\n"
        '    passwordPolicy: - upperCase, + digits "1", length: "8" -> "12"\n'
        "    enabledEventTypes: - LOGIN_ERROR\n"
        "    default roles: - offline_access\n"
        "    default groups: - /staff, + /guests\n"
        "Plan: 0 to add, 1 to change, 0 to delete.\n",
    )
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    rep = index.api.get(index.path(""))
    assert rep["rememberMe"] is True and rep["registrationAllowed"] is False
    assert set(rep["passwordPolicy"].split(" and ")) == {"length(12)", "digits(1)"}
    assert default_roles(index) == ({"reader"}, account)
    assert default_groups(index) == {"/guests"}
    assert_in_sync(kcconf, path)

    # Absent keys are left alone; empty lists mean none.
    apply_spec(kcconf, path, spec(realm, "  defaultRoles: {realmRoles: []}\n  defaultGroups: []\n"))
    assert (default_roles(index), default_groups(index)) == ((set(), account), set())
    assert index.api.get(index.path(""))["failureFactor"] == 5
    assert_in_sync(kcconf, path)


def test_realm_settings_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        spec(
            "demo",
            "  sslRequired: sometimes\n  accessTokenLifespan: soon\n  defaultGroups: [/nowhere]\n",
        )
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:4:3: realm.sslRequired: 'sometimes' is not allowed; choose one of: all,"
        " external, none",
        "spec.yaml:5:3: realm.accessTokenLifespan: must be an integer, not a string",
        "spec.yaml:6:19: realm.defaultGroups[0]: unknown group '/nowhere' (not declared under"
        " groups)",
    ]


def test_localization_texts_are_merged_key_by_key(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    texts = "  localizationTexts:\n    en: {{loginTitle: {title}, doLogIn: Enter}}\n"
    apply_spec(kcconf, path, spec(realm, texts.format(title="Welcome")))
    assert ep.Localization.texts(index, "en") == {"loginTitle": "Welcome", "doLogIn": "Enter"}
    assert_in_sync(kcconf, path)

    ep.Localization.merge(index, "en", {"byHand": "kept"})  # a key the spec does not write
    path.write_text(spec(realm, texts.format(title="Hello")))
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        2,
        '~ localization en\n    loginTitle: "Welcome" -> "Hello"\n'
        "Plan: 0 to add, 1 to change, 0 to delete.\n",
    )
    assert kcconf("apply", "--auto-approve", str(path)).code == 0
    assert ep.Localization.texts(index, "en") == {
        "loginTitle": "Hello",
        "doLogIn": "Enter",
        "byHand": "kept",
    }
    assert_in_sync(kcconf, path)
