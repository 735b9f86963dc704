"""Plan and apply of every kind against a real Keycloak; each test ends in sync, writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import password_grant
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, requests_of

Kcconf = Callable[..., Run]

FULL = """\
  displayName: Everything at once
  accessTokenLifespan: 600
  attributes: {kcconfNote: hello}
  defaultDefaultClientScopes: [roles, profile, audit]
  defaultOptionalClientScopes: [email]
clientScopes:
  - name: audit
    description: Adds the audit claim
    protocol: openid-connect
    attributes: {include.in.token.scope: true}
roles:
  - name: auditor
    description: Reads audit logs
    composites:
      realmRoles: [offline_access]
      clientRoles: {realm-management: [view-events], backend: [reader]}
clients:
  - clientId: backend
    publicClient: false
    secret: {env: BACKEND_SECRET}
    redirectUris: [https://b.example.com/*, https://a.example.com/*]
    webOrigins: [https://a.example.com]
    attributes: {pkce.code.challenge.method: S256}
    defaultClientScopes: [audit]
    optionalClientScopes: [email]
    scopeMappings:
      realmRoles: [auditor]
      clientRoles: {backend: [reader]}
    roles:
      - name: reader
        description: Can read
      - name: admin
        composites: {clientRoles: {backend: [reader]}, realmRoles: [auditor]}
users:
  - username: bob
    email: bob@example.com
    emailVerified: true
    firstName: Bob
    lastName: Builder
    password: {env: BOB_PASSWORD}
    realmRoles: [auditor]
    clientRoles: {backend: [admin]}
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("BACKEND_SECRET", "canary-backend-secret-1")
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob-password-1")
    return monkeypatch


def test_every_kind_is_created_as_written(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "full.yaml"
    spec.write_text(realm_spec(realm, FULL))
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 0, applied.err

    api = index.api
    rep = api.get(index.path(""))
    assert (rep["displayName"], rep["accessTokenLifespan"]) == ("Everything at once", 600)
    assert rep["attributes"]["kcconfNote"] == "hello"
    assert rep["attributes"]["cibaInterval"] == "5"  # untouched by the realm update
    defaults = {s["name"] for s in api.get(index.path("default-default-client-scopes"))}
    assert defaults == {"roles", "profile", "audit"}
    backend = index.clients()["backend"]
    assert api.get(index.path("clients", backend["id"], "client-secret"))["value"] == (
        "canary-backend-secret-1"
    )
    assert sorted(backend["redirectUris"]) == ["https://a.example.com/*", "https://b.example.com/*"]
    assert backend["defaultClientScopes"] == ["audit"]
    composites = api.get(index.path("roles", "auditor", "composites"))
    assert {r["name"] for r in composites} == {"offline_access", "reader", "view-events"}
    token = password_grant(index.api.url, realm, "admin-cli", "bob", "canary-bob-password-1")
    assert token.status == 200, token.body
    assert_in_sync(kcconf, spec)


def test_a_second_apply_changes_fields_and_relations_in_place(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "full.yaml"
    spec.write_text(realm_spec(realm, FULL))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    backend_id = index.clients()["backend"]["id"]
    changed = (
        FULL.replace("accessTokenLifespan: 600", "accessTokenLifespan: 900")
        .replace("defaultClientScopes: [audit]", "defaultClientScopes: [email]")
        .replace(
            "optionalClientScopes: [email]\n    scope", "optionalClientScopes: [audit]\n    scope"
        )
        .replace(
            "realmRoles: [auditor]\n      clientRoles: {backend: [reader]}",
            "realmRoles: []\n      clientRoles: {backend: [reader]}",
        )
        .replace("description: Can read", "description: Can read everything")
        .replace("realmRoles: [offline_access]\n", "realmRoles: []\n")
        .replace(
            "    realmRoles: [auditor]\n    clientRoles: {backend: [admin]}\n",
            "    realmRoles: []\n    clientRoles: {}\n",
        )
    )
    spec.write_text(realm_spec(realm, changed))
    planned = kcconf("plan", str(spec))
    assert planned.code == 2
    assert planned.out == (
        f"~ realm {realm}\n"
        "    accessTokenLifespan: 600 -> 900\n"
        "~ realm-role auditor\n"
        "    composites: - offline_access\n"
        "~ client backend\n"
        "    default scopes: - audit, + email\n"
        "    optional scopes: - email, + audit\n"
        "    scope mappings: - auditor\n"
        "~ client-role backend/reader\n"
        '    description: "Can read" -> "Can read everything"\n'
        "~ user bob\n"
        "    roles: - auditor, - backend/admin\n"
        "Plan: 0 to add, 5 to change, 0 to delete.\n"
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert index.clients()["backend"]["id"] == backend_id  # updated in place, not recreated
    bob = index.user_id("bob")
    mappings = index.api.get(index.path("users", bob, "role-mappings"))
    # Keycloak's default role is left alone though realmRoles is [] (it is not listed).
    assert [r["name"] for r in mappings["realmMappings"]] == [f"default-roles-{realm}"]
    assert "clientMappings" not in mappings
    assert_in_sync(kcconf, spec)


def test_absent_keys_are_left_alone_and_empty_lists_mean_none(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, "clients:\n  - clientId: app\n    publicClient: true\n"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    app = index.clients()["app"]
    # Keycloak attached the realm's default scopes: no list was written, so they stay.
    assert "roles" in app["defaultClientScopes"]
    # A scope mapping made by hand survives while scopeMappings is not written...
    offline = index.role("offline_access")
    index.api.post(index.path("clients", app["id"], "scope-mappings", "realm"), [offline])
    assert_in_sync(kcconf, spec)
    # ...and `[]` removes it, and all optional scopes, and nothing else.
    spec.write_text(
        realm_spec(
            realm,
            (
                "clients:\n  - clientId: app\n    publicClient: true\n"
                "    optionalClientScopes: []\n    scopeMappings: {realmRoles: []}\n"
            ),
        )
    )
    planned = kcconf("plan", str(spec))
    assert planned.code == 2
    assert "    scope mappings: - offline_access\n" in planned.out
    assert "    optional scopes: - address, " in planned.out
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert index.clients()["app"]["optionalClientScopes"] == []
    assert "roles" in index.clients()["app"]["defaultClientScopes"]
    assert_in_sync(kcconf, spec)


def test_a_changed_secret_is_planned_without_showing_it(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        realm_spec(
            realm,
            (
                "clients:\n  - clientId: svc\n    publicClient: false\n"
                "    serviceAccountsEnabled: true\n    secret: {env: BACKEND_SECRET}\n"
            ),
        )
    )
    created = kcconf("apply", "--auto-approve", str(spec))
    assert created.code == 0
    assert "    secret: (sensitive)\n" in created.out
    env.setenv("BACKEND_SECRET", "canary-backend-secret-2")
    planned = kcconf("plan", str(spec))
    assert planned.out == "~ client svc\n    secret: (sensitive) changed\n" + (
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    )
    applied = kcconf("apply", "--auto-approve", str(spec))
    for run in (created, planned, applied):
        assert "backend-secret" not in run.out + run.err
    uuid = index.clients()["svc"]["id"]
    assert index.api.get(index.path("clients", uuid, "client-secret"))["value"] == (
        "canary-backend-secret-2"
    )
    assert_in_sync(kcconf, spec)


def test_passwords_are_set_at_creation_and_reset_only_when_asked(
    kcconf: Kcconf, realm: str, tmp_path: Path, env: pytest.MonkeyPatch, keycloak: Target
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        realm_spec(
            realm,
            (
                "users:\n  - username: bob\n    email: bob@example.com\n    emailVerified: true\n"
                "    firstName: Bob\n    lastName: Builder\n    password: {env: BOB_PASSWORD}\n"
            ),
        )
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    env.setenv("BOB_PASSWORD", "canary-bob-password-2")
    assert_in_sync(kcconf, spec)  # a password is not compared: it cannot be read back
    assert (
        password_grant(keycloak.url, realm, "admin-cli", "bob", "canary-bob-password-1").status
        == 200
    )
    reset = kcconf("apply", "--auto-approve", "--reset-passwords", str(spec))
    assert reset.code == 0
    assert "~ user bob\n    password: (sensitive) changed\n" in reset.out
    assert (
        password_grant(keycloak.url, realm, "admin-cli", "bob", "canary-bob-password-2").status
        == 200
    )


def test_user_attributes_are_merged_key_by_key(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    user = "users:\n  - username: carol\n    firstName: Carol\n"
    spec.write_text(realm_spec(realm, user))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    # Keycloak 24+ keeps only attributes its user profile declares, unless told otherwise.
    profile = index.api.get(index.path("users", "profile"))
    index.api.put(
        index.path("users", "profile"), {**profile, "unmanagedAttributePolicy": "ENABLED"}
    )
    carol = index.users()["carol"]
    index.api.put(index.path("users", carol["id"]), {**carol, "attributes": {"badge": ["7"]}})
    spec.write_text(realm_spec(realm, user + "    attributes: {department: support}\n"))
    planned = kcconf("plan", str(spec))
    assert planned.out.startswith("~ user carol\n    attributes.department: + support\n")
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    attributes = index.users()["carol"]["attributes"]
    assert (attributes["department"], attributes["badge"]) == (["support"], ["7"])
    assert_in_sync(kcconf, spec)


def test_a_reference_to_nothing_is_an_error_naming_it(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, "clients:\n  - clientId: app\n"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    spec.write_text(
        realm_spec(
            realm,
            (
                "clients:\n  - clientId: app\n"
                "    scopeMappings: {clientRoles: {realm-management: [no-such-role]}}\n"
            ),
        )
    )
    planned = kcconf("plan", str(spec))
    assert planned.code == 1
    assert "client app: client-role realm-management/no-such-role does not exist" in planned.err
    assert "Traceback" not in planned.err


def test_bad_credentials_are_a_one_line_error(
    kcconf: Kcconf, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCCONF_PASSWORD", "wrong")
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm))
    planned = kcconf("plan", str(spec))
    assert planned.code == 1
    assert planned.err.splitlines()[-1].startswith("error: cannot log in to Keycloak at ")
    assert "Traceback" not in planned.err


def test_a_service_account_in_the_realm_itself_can_plan_and_apply(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    bot = (
        "clients:\n  - clientId: kcconf-bot\n    publicClient: false\n"
        "    serviceAccountsEnabled: true\n    standardFlowEnabled: false\n"
        "    secret: {env: BACKEND_SECRET}\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, bot))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    uuid = index.clients()["kcconf-bot"]["id"]
    account = index.api.get(index.path("clients", uuid, "service-account-user"))
    realm_admin = index.role("realm-management/realm-admin")
    management = index.client_uuid("realm-management")
    index.api.post(
        index.path("users", account["id"], "role-mappings", "clients", management), [realm_admin]
    )
    for key in ("KCCONF_USERNAME", "KCCONF_PASSWORD"):
        env.delenv(key)
    env.setenv("KCCONF_AUTH_REALM", realm)
    env.setenv("KCCONF_CLIENT_ID", "kcconf-bot")
    env.setenv("KCCONF_CLIENT_SECRET", "canary-backend-secret-1")
    spec.write_text(realm_spec(realm, bot + "    description: Runs kcconf\n"))
    planned = kcconf("plan", str(spec))
    assert planned.code == 2, planned.err
    assert planned.out.startswith(
        '~ client kcconf-bot\n    description: (unset) -> "Runs kcconf"\n'
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    assert_in_sync(kcconf, spec)


def test_a_client_scope_without_a_protocol_is_created_as_openid_connect(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    # Keycloak answers 400 "Unexpected protocol" to a scope created without one.
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, "clientScopes:\n  - name: plain\n"))
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 0, applied.err
    assert index.scopes()["plain"]["protocol"] == "openid-connect"
    assert_in_sync(kcconf, spec)


def test_the_closing_check_reads_back_what_changed_unless_asked_for_all(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    """After its writes, apply reads back the objects it changed, not every object's relations
    again; `--verify full` plans the whole realm once more. Both end in sync."""
    # More roles and groups than users: the plan reads each user's roles and groups.
    roles = "roles:\n" + "".join(f"  - name: r{i}\n" for i in range(50))
    groups = "groups:\n" + "".join(f"  - name: g{i}\n" for i in range(50))
    users = "users:\n" + "".join(
        f"  - username: user{i:02d}\n    groups: [/g{i}]\n    realmRoles: [r{i}]\n"
        for i in range(40)
    )
    spec = tmp_path / "spec.yaml"
    apply_spec(kcconf, spec, realm_spec(realm, roles + groups + users))
    planned = requests_of(kcconf("plan", str(spec)).err)["GET"]

    def changed(first_name: str, *flags: str) -> int:
        spec.write_text(spec.read_text().replace("  - username: user07\n", first_name, 1))
        applied = kcconf("apply", "--auto-approve", *flags, str(spec))
        assert applied.code == 0, applied.err
        assert requests_of(applied.err)["PUT"] == 1
        return requests_of(applied.err)["GET"] - planned

    checked = changed("  - username: user07\n    firstName: Seven\n")
    spec.write_text(spec.read_text().replace("    firstName: Seven\n", "", 1))
    everything = changed("  - username: user07\n    firstName: Sieben\n", "--verify", "full")
    # Beyond the plan: the GET before the PUT, then the closing check.
    assert everything >= planned
    assert checked < everything / 2, (checked, everything)
    assert_in_sync(kcconf, spec)
