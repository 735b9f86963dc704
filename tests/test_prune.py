"""What kcconf may delete, against a real Keycloak: nothing undeclared unless pruning is asked
for, only what it created unless widened, never a built-in, never past the limits unallowed,
and a rename keeps the object's identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME
from kcconf.kinds.client import BUILTIN_CLIENTS
from kcconf.kinds.client_scope import SCOPE
from kcconf.kinds.role import builtin_realm_roles
from kcconf.model.objects import MARKER
from tests.conftest import Target
from tests.helpers import Run, realm_spec

Kcconf = Callable[..., Run]


def clients(*ids: str) -> str:
    return "clients:\n" + "".join(f"  - clientId: {i}\n" for i in ids)


def write(tmp_path: Path, realm: str, body: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, body))
    return spec


def test_undeclared_objects_survive_and_are_counted(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = write(tmp_path, realm, clients("app"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.api.post(index.path("clients"), {"clientId": "made-by-hand"})
    index.api.post(index.path("users"), {"username": "hand-user"})
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        0,
        f"No changes: realm {realm} matches the spec.\nUnmanaged, left alone: 1 client, 1 user.\n",
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert "made-by-hand" in index.clients()
    assert "hand-user" in index.users()


def test_prune_removes_exactly_the_undeclared_objects_kcconf_created(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = write(tmp_path, realm, clients("keep", "drop") + "roles:\n  - name: old-role\n")
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    assert index.clients()["drop"]["attributes"][MARKER] == "true"
    index.api.post(index.path("clients"), {"clientId": "made-by-hand"})
    index.api.post(index.path("roles"), {"name": "hand-role"})
    spec = write(
        tmp_path,
        realm,
        "prune: {clients: created, realmRoles: created}\n" + clients("keep") + "roles: []\n",
    )
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "- realm-role old-role\n"
        "- client drop\n"
        "Plan: 0 to add, 0 to change, 2 to delete.\n"
        "Unmanaged, left alone: 1 realm-role, 1 client.\n",
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert set(index.clients()) - BUILTIN_CLIENTS == {"keep", "made-by-hand"}
    assert set(index.roles()) - builtin_realm_roles(realm) == {"hand-role"}


def test_builtins_survive_the_widest_prune(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SVC_SECRET", "canary-svc-secret")
    svc = (
        "  - clientId: svc\n    publicClient: false\n    serviceAccountsEnabled: true\n"
        "    secret: {env: SVC_SECRET}\n    roles: []\n"
    )
    spec = write(tmp_path, realm, "clients:\n" + svc)
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.api.post(index.path("clients"), {"clientId": "made-by-hand"})
    index.api.post(
        index.path("client-scopes"), {"name": "hand-scope", "protocol": "openid-connect"}
    )
    index.api.post(index.path("users"), {"username": "hand-user"})
    widest = (
        "prune:\n  clients: all\n  clientScopes: all\n  realmRoles: all\n  clientRoles: all\n"
        "  users: all\n  limits: {maxDeletes: 100, maxDeletePercent: 100}\nclients:\n" + svc
    )
    spec = write(tmp_path, realm, widest)
    planned = kcconf("plan", str(spec))
    assert planned.out == (
        "- client-scope hand-scope\n"
        "- client made-by-hand\n"
        "- user hand-user\n"
        "Plan: 0 to add, 0 to change, 3 to delete.\n"
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert set(index.clients()) == BUILTIN_CLIENTS | {"svc"}
    assert BY_NAME[SCOPE].builtins_on(realm, keycloak.version) <= set(index.scopes())
    assert builtin_realm_roles(realm) <= set(index.roles())
    assert index.users() == {}  # Keycloak lists no service-account user among the users...
    svc_id = index.clients()["svc"]["id"]  # ...and the client's own one is still there
    assert index.api.get(index.path("clients", svc_id, "service-account-user"))["username"] == (
        "service-account-svc"
    )
    assert kcconf("plan", str(spec)).code == 0


def test_a_deletion_threshold_refuses_and_the_override_proceeds(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    users = "users:\n" + "".join(f"  - username: user{i}\n" for i in range(3))
    spec = write(tmp_path, realm, users)
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    spec = write(tmp_path, realm, "prune: {users: all, limits: {maxDeletes: 2}}\nusers: []\n")
    refused = kcconf("apply", "--auto-approve", str(spec))
    assert refused.code == 1
    assert (
        f"error: refusing to delete 3 of 3 users (100%) in realm {realm}: more than 2 or 50% "
        "of a kind; review the plan, then pass --allow-deletes or raise prune.limits in the spec"
        in refused.err
    )
    index.forget()
    assert set(index.users()) == {"user0", "user1", "user2"}  # nothing was changed
    allowed = kcconf("apply", "--auto-approve", "--allow-deletes", str(spec))
    assert allowed.code == 0, allowed.err
    index.forget()
    assert index.users() == {}


def test_a_rename_keeps_the_uuid_secret_and_mappings(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLD_SECRET", "canary-rename-secret")
    before = (
        "roles:\n  - name: reader\n"
        "clients:\n  - clientId: old-app\n    publicClient: false\n"
        "    secret: {env: OLD_SECRET}\n    fullScopeAllowed: false\n"
        "    scopeMappings: {realmRoles: [reader]}\n"
    )
    spec = write(tmp_path, realm, before)
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    old = index.clients()["old-app"]
    reader_id = index.roles()["reader"]["id"]
    after = (
        "roles:\n  - name: viewer\n    renamedFrom: [reader]\n"
        "clients:\n  - clientId: new-app\n    renamedFrom: [old-app]\n    publicClient: false\n"
        "    fullScopeAllowed: false\n    scopeMappings: {realmRoles: [viewer]}\n"
    )
    spec = write(tmp_path, realm, after)
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "~ realm-role viewer (renamed from reader)\n"
        '    name: "reader" -> "viewer"\n'
        "~ client new-app (renamed from old-app)\n"
        '    clientId: "old-app" -> "new-app"\n'
        "Plan: 0 to add, 2 to change, 0 to delete.\n",
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    new = index.clients()["new-app"]
    assert new["id"] == old["id"]
    assert new["secret"] == "canary-rename-secret"
    assert index.roles()["viewer"]["id"] == reader_id
    mappings = index.api.get(index.path("clients", new["id"], "scope-mappings"))
    assert [r["name"] for r in mappings["realmMappings"]] == ["viewer"]
    assert kcconf("plan", str(spec)).code == 0


def test_without_the_hint_a_new_name_is_a_delete_and_a_create(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    spec = write(tmp_path, realm, clients("old-app"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    spec = write(tmp_path, realm, "prune: {clients: created}\n" + clients("new-app"))
    planned = kcconf("plan", str(spec))
    assert planned.out == (
        "- client old-app\n"
        "+ client new-app\n"
        "note: client old-app is deleted and new-app created: if that is a rename, write "
        "renamedFrom on the new one to keep its id, secret and mappings\n"
        "Plan: 1 to add, 0 to change, 1 to delete.\n"
    )
