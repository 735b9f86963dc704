"""For every list of relations a spec supports: absent = leave alone, `[]` = none, a list =
exact. Proven against a real Keycloak: extras made by hand are kept while the key is absent,
removed while it is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kcconf.keycloak.admin import RealmAdmin
from tests.helpers import Run, realm_spec

Kcconf = Callable[..., Run]

# Each list kcconf manages, with the one item the spec writes: (YAML key path, value).
LISTS = {
    "realm.defaultDefaultClientScopes": "[roles]",
    "realm.defaultOptionalClientScopes": "[email]",
    "client.defaultClientScopes": "[roles]",
    "client.optionalClientScopes": "[email]",
    "client.scopeMappings.realmRoles": "[auditor]",
    "client.scopeMappings.clientRoles": "{app: [reader]}",
    "role.composites.realmRoles": "[offline_access]",
    "role.composites.clientRoles": "{app: [reader]}",
    "clientRole.composites.realmRoles": "[offline_access]",
    "clientRole.composites.clientRoles": "{realm-management: [view-users]}",
    "user.realmRoles": "[auditor]",
    "user.clientRoles": "{app: [reader]}",
}


def spec_text(realm: str, value: Callable[[str], str | None]) -> str:
    """The spec with each list written as value(key), or left out where that is None."""

    def lines(prefix: str, indent: str, keys: tuple[str, ...]) -> str:
        written = ((key, value(f"{prefix}.{key}")) for key in keys)
        return "".join(f"{indent}{key}: {v}\n" for key, v in written if v is not None)

    def roles(prefix: str, parent: str, indent: str) -> str:
        body = lines(f"{prefix}.{parent}", indent + "  ", ("realmRoles", "clientRoles"))
        return f"{indent}{parent}:\n{body}" if body else ""

    return realm_spec(
        realm,
        lines("realm", "  ", ("defaultDefaultClientScopes", "defaultOptionalClientScopes"))
        + "roles:\n  - name: auditor\n  - name: extra-role\n  - name: lead\n"
        + roles("role", "composites", "    ")
        + "clients:\n  - clientId: app\n    fullScopeAllowed: false\n"
        + lines("client", "    ", ("defaultClientScopes", "optionalClientScopes"))
        + roles("client", "scopeMappings", "    ")
        + "    roles:\n      - name: writer\n      - name: reader\n"
        + roles("clientRole", "composites", "        ")
        + "users:\n  - username: bob\n"
        + lines("user", "    ", ("realmRoles", "clientRoles")),
    )


def add_extras(index: RealmAdmin) -> None:
    """One extra item on every list, made by hand in Keycloak."""
    api, app = index.api, index.client_uuid("app")
    extra_scope = index.scope_id("phone")
    api.put(index.path("default-default-client-scopes", extra_scope))
    api.put(index.path("default-optional-client-scopes", index.scope_id("address")))
    api.put(index.path("clients", app, "default-client-scopes", index.scope_id("profile")))
    api.put(index.path("clients", app, "optional-client-scopes", extra_scope))
    extra_role, writer = index.role("extra-role"), index.role("app/writer")
    api.post(index.path("clients", app, "scope-mappings", "realm"), [extra_role])
    api.post(index.path("clients", app, "scope-mappings", "clients", app), [writer])
    for role in (index.role("lead"), index.role("app/reader")):
        api.post(index.path("roles-by-id", role["id"], "composites"), [extra_role, writer])
    bob = index.user_id("bob")
    api.post(index.path("users", bob, "role-mappings", "realm"), [extra_role])
    api.post(index.path("users", bob, "role-mappings", "clients", app), [writer])


def test_absent_is_left_alone_a_list_is_exact_and_empty_is_none(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(realm, LISTS.get))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    add_extras(index)

    # Written lists are exact: every hand-made extra is planned for removal, nothing else.
    planned = kcconf("plan", str(spec))
    assert planned.code == 2
    removals = [ln.strip() for ln in planned.out.splitlines() if ln.startswith("    ")]
    assert removals == [
        "default scopes: - phone",
        "optional scopes: - address",
        "composites: - extra-role, - app/writer",
        "default scopes: - profile",
        "optional scopes: - phone",
        "scope mappings: - extra-role, - app/writer",
        "composites: - extra-role, - app/writer",
        "roles: - extra-role, - app/writer",
    ]

    # Absent keys leave every list alone, extras included.
    spec.write_text(spec_text(realm, lambda key: None))
    absent = kcconf("plan", str(spec))
    assert (absent.code, absent.out) == (0, f"No changes: realm {realm} matches the spec.\n")

    # `[]` means none: every list is emptied (the user keeps Keycloak's default role).
    spec.write_text(spec_text(realm, lambda key: "{}" if key.endswith("clientRoles") else "[]"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    app = index.clients()["app"]
    assert (app["defaultClientScopes"], app["optionalClientScopes"]) == ([], [])
    assert index.api.get(index.path("default-default-client-scopes")) == []
    assert index.api.get(index.path("clients", app["id"], "scope-mappings")) == {}
    for role in ("lead", "app/reader"):
        role_id = index.role(role)["id"]
        assert index.api.get(index.path("roles-by-id", role_id, "composites")) == []
    mappings = index.api.get(index.path("users", index.user_id("bob"), "role-mappings"))
    assert [r["name"] for r in mappings["realmMappings"]] == [f"default-roles-{realm}"]
    assert "clientMappings" not in mappings
    assert kcconf("plan", str(spec)).code == 0
