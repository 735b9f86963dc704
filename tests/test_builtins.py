"""What Keycloak creates in a new realm, per version, is what kcconf knows it creates: its
built-in clients, client roles, client scopes and realm roles, exactly (docs/keycloak-facts.md).
A built-in of a later version than the server's is refused before any write, with the version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME
from kcconf.kinds.base import CLIENT_ROLE, REALM_ROLE
from kcconf.kinds.client import CLIENT
from kcconf.kinds.client_scope import SCOPE
from tests.conftest import Target
from tests.helpers import Run, apply_spec, realm_spec

Kcconf = Callable[..., Run]


def test_a_new_realm_has_exactly_the_builtins_kcconf_knows_for_the_version(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    live = {
        CLIENT: set(index.clients()),
        SCOPE: set(index.scopes()),
        REALM_ROLE: set(index.roles()),
        CLIENT_ROLE: {f"{c}/{r}" for c in index.clients() for r in index.roles(c)},
    }
    for kind, names in live.items():
        known = BY_NAME[kind].builtins_on(realm, keycloak.version)
        assert names == set(known), (kind, sorted(names ^ known))


def test_a_builtin_newer_than_the_server_is_refused_before_any_write(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path
) -> None:
    scopes = BY_NAME[SCOPE]
    newer = sorted(n for n in scopes.since if scopes.too_new(n, keycloak.version))
    spec = tmp_path / "spec.yaml"
    body = f"clients:\n  - clientId: app\n    defaultClientScopes: [{', '.join(newer)}]\n"
    spec.write_text(realm_spec(realm, body))
    planned = kcconf("plan", str(spec))
    if not newer:  # the newest line: every built-in kcconf knows is there
        assert planned.code == 2, planned.err
        assert kcconf("apply", "--auto-approve", str(spec)).code == 0
        return
    assert planned.code == 1
    assert planned.err.splitlines()[-1] == "error: client app: " + "; client app: ".join(
        scopes.too_new(n, keycloak.version) for n in newer
    )
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 1
    assert keycloak.api().get("")  # the server answers, and the realm was never created:
    assert realm not in {r["realm"] for r in keycloak.api().get("")}
