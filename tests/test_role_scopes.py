"""A client scope's own role scope (`scopeMappings` on client scopes) and a client's
service-account roles (`serviceAccountRoles`), against a real Keycloak: created, changed,
removed, an absent key left alone, and what the service account's token then carries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.spec.validate import validate_files
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec

Kcconf = Callable[..., Run]

ROLES = """\
roles:
  - name: reader
  - name: writer
"""


def scope_spec(realm: str, mappings: str) -> str:
    return realm_spec(
        realm,
        ROLES
        + f"clientScopes:\n  - name: api-access\n    protocol: openid-connect\n{mappings}"
        + "clients:\n  - clientId: app\n    fullScopeAllowed: false\n"
        + "    defaultClientScopes: [roles, api-access]\n",
    )


def service_spec(realm: str, roles: str, enabled: str = "true") -> str:
    return realm_spec(
        realm,
        ROLES
        + "clients:\n  - clientId: robot\n    publicClient: false\n"
        + f"    serviceAccountsEnabled: {enabled}\n    secret: {{env: ROBOT_SECRET}}\n{roles}",
    )


def scope_roles(admin: RealmAdmin) -> tuple[set[str], set[str]]:
    admin.forget()
    return ep.SCOPE_SCOPE_MAPPINGS.read(admin, admin.scope_id("api-access"))


def service_roles(admin: RealmAdmin) -> tuple[set[str], set[str]]:
    admin.forget()
    user = ep.service_account_user(admin, admin.client_uuid("robot"))
    return ep.USER_ROLE_MAPPINGS.read(admin, str(user["id"]))


def test_a_client_scope_lets_exactly_its_mapped_roles_into_tokens(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    apply_spec(
        kcconf,
        path,
        scope_spec(realm, "    scopeMappings:\n      realmRoles: [reader]\n")
        + "users:\n  - username: ann\n    realmRoles: [reader, writer]\n",
    )
    assert scope_roles(index) == ({"reader"}, set())
    # Full scope is off: the token carries what the scope lets in, not everything ann holds.
    token = kcconf("token", "--realm", realm, "--client", "app", "--user", "ann")
    assert "realm roles: reader\n" in token.out, token.out
    assert_in_sync(kcconf, path)

    users = "users:\n  - username: ann\n    realmRoles: [reader, writer]\n"
    path.write_text(
        scope_spec(
            realm,
            "    scopeMappings:\n      realmRoles: [writer]\n"
            "      clientRoles: {realm-management: [view-users]}\n",
        )
        + users
    )
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out.splitlines()[:2]) == (
        2,
        [
            "~ client-scope api-access",
            "    scope mappings: - reader, + writer, + realm-management/view-users",
        ],
    )
    assert kcconf("apply", "--auto-approve", str(path)).code == 0
    assert scope_roles(index) == ({"writer"}, {"realm-management/view-users"})
    assert_in_sync(kcconf, path)

    path.write_text(scope_spec(realm, "") + users)  # absent: left alone
    assert kcconf("plan", str(path)).code == 0
    apply_spec(
        kcconf, path, scope_spec(realm, "    scopeMappings: {realmRoles: [], clientRoles: {}}\n")
    )
    assert scope_roles(index) == (set(), set())
    assert_in_sync(kcconf, path)


def test_service_account_roles_are_the_service_users_role_mappings(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBOT_SECRET", "canary-robot-secret")
    path = tmp_path / "spec.yaml"
    apply_spec(
        kcconf,
        path,
        service_spec(
            realm,
            "    serviceAccountRoles:\n      realmRoles: [reader]\n"
            "      clientRoles: {realm-management: [view-users]}\n",
        ),
    )
    realm_roles, client_roles = service_roles(index)
    # Keycloak gives the service account default-roles-<realm>: left alone, as for any user.
    assert realm_roles == {"reader", f"default-roles-{realm}"}
    assert client_roles == {"realm-management/view-users"}
    assert_in_sync(kcconf, path)

    path.write_text(service_spec(realm, "    serviceAccountRoles:\n      realmRoles: [writer]\n"))
    planned = kcconf("plan", str(path))
    assert planned.out.splitlines()[:2] == [
        "~ client robot",
        "    service-account roles: - reader, + writer",
    ], planned.out
    assert kcconf("apply", "--auto-approve", str(path)).code == 0
    assert service_roles(index) == (
        {"writer", f"default-roles-{realm}"},
        {"realm-management/view-users"},
    )
    assert_in_sync(kcconf, path)

    path.write_text(service_spec(realm, ""))  # absent: left alone
    assert kcconf("plan", str(path)).code == 0


def test_service_account_roles_need_service_accounts(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        service_spec("demo", "    serviceAccountRoles: {realmRoles: [reader]}\n", "false")
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:12:5: clients[0].serviceAccountRoles: serviceAccountRoles needs"
        " serviceAccountsEnabled: true on the same client (a client without service accounts"
        " has no service-account user)"
    ]
