"""Fine-grained admin permissions (v1) against a real Keycloak: a client's token-exchange
permission and the users' impersonate permission, granted by policies named in the spec, make
real token exchanges pass that were refused before; the lists are exact, the plan names them
by meaning, and a second apply writes nothing. The feature check refuses a server without the
features before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kcconf.checks import permissions
from kcconf.checks.impersonation import Case, live_facts
from kcconf.checks.rules import judge
from kcconf.errors import KcconfError
from kcconf.keycloak import features
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import exchange, impersonate, password_grant
from tests.conftest import Target
from tests.helpers import ROOT, Run, apply_spec, assert_in_sync, realm_spec, run_cli

Kcconf = Callable[..., Run]
SECRETS = {
    "REQUESTER_SECRET": "canary-requester-secret-1",
    "MOD_PASSWORD": "canary-moderator-pw-1",
    "ALICE_PASSWORD": "canary-alice-pw-1",
}


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def spec(realm: str, exchange_policies: str, impersonate_policies: str) -> str:
    """A requester exchanging tokens for `target`, a moderator impersonating through a public
    client, and the policies (in realm-management) the admin permissions apply."""
    return realm_spec(
        realm,
        f"""users:
  - username: mod
    email: mod@example.com
    firstName: Mo
    lastName: Derator
    password: {{env: MOD_PASSWORD}}
  - username: alice
    email: alice@example.com
    firstName: Alice
    lastName: A
    password: {{env: ALICE_PASSWORD}}
clients:
  - clientId: requester
    publicClient: false
    secret: {{env: REQUESTER_SECRET}}
    directAccessGrantsEnabled: true
  - clientId: front
    publicClient: true
    directAccessGrantsEnabled: true
  - clientId: target
    publicClient: false
    permissions:
      enabled: true
      token-exchange: {exchange_policies}
  - clientId: realm-management
    authorization:
      policies:
        - name: requester exchanges
          type: client
          clients: [requester]
        - name: mod impersonates
          type: user
          users: [mod]
usersPermissions:
  enabled: true
  impersonate: {impersonate_policies}
""",
    )


def _exchange_status(keycloak: Target, realm: str) -> int:
    token = password_grant(
        keycloak.url,
        realm,
        "requester",
        "alice",
        SECRETS["ALICE_PASSWORD"],
        SECRETS["REQUESTER_SECRET"],
    )
    assert token.status == 200, token.body
    secret = SECRETS["REQUESTER_SECRET"]
    return exchange(keycloak.url, realm, "requester", token.token, secret, "target").status


def _impersonation_status(keycloak: Target, realm: str) -> int:
    """The real exchange's answer, which kcconf's readiness check must have predicted."""
    index = RealmAdmin(keycloak.api(), realm)
    verdict = judge(live_facts(index, Case("mod", "front", "alice", "front")))
    token = password_grant(keycloak.url, realm, "front", "mod", SECRETS["MOD_PASSWORD"])
    assert token.status == 200, token.body
    status = impersonate(keycloak.url, realm, "front", token.token, "alice").status
    assert verdict.status == status, verdict
    if status == 200:
        assert "impersonate permission grants it through mod impersonates" in verdict.reason
    return status


def test_token_exchange_and_impersonation_are_granted_by_named_policies(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, secrets: None
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm, "[]", "[]"))
    assert_in_sync(kcconf, path)
    # Permissions enabled, but no policy applied: Keycloak refuses both.
    assert _exchange_status(keycloak, realm) == 403
    assert _impersonation_status(keycloak, realm) == 403

    # The plan's readiness warning judges the permission path as the spec will make it.
    expects = "impersonation:\n  - {user: mod, client: front, target: alice}\n"
    path.write_text(spec(realm, "[]", "[]") + expects)
    warned = kcconf("plan", str(path)).err
    assert "would be denied (spec expects allowed)" in warned, warned
    assert "the users' impersonate permission applies no policy" in warned
    path.write_text(spec(realm, "[requester exchanges]", "[mod impersonates]") + expects)
    assert "warning:" not in kcconf("plan", str(path)).err
    planned = kcconf("plan", str(path))
    assert planned.code == 2, planned.err  # changes planned
    assert "~ client target / permissions fine-grained\n" in planned.out, planned.out
    assert "    token-exchange policies: + requester exchanges\n" in planned.out
    assert "~ users-permissions fine-grained\n    impersonate policies: + mod impersonates\n" in (
        planned.out
    )
    assert ".permission." not in planned.out  # never Keycloak's id-bearing names
    apply_spec(kcconf, path, path.read_text())
    assert _exchange_status(keycloak, realm) == 200
    assert _impersonation_status(keycloak, realm) == 200
    assert_in_sync(kcconf, path)

    # Exact lists: the policy taken off again, the exchange refused again.
    apply_spec(kcconf, path, spec(realm, "[]", "[mod impersonates]"))
    assert _exchange_status(keycloak, realm) == 403
    assert _impersonation_status(keycloak, realm) == 200
    assert_in_sync(kcconf, path)


def test_disabling_deletes_the_permissions_and_the_server_features_are_read(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path, secrets: None
) -> None:
    info = index.api.server_info()
    assert features.is_on(info, features.FGAP_V1)
    assert features.is_on(info, features.TOKEN_EXCHANGE)
    text = spec(realm, "[requester exchanges]", "[]")
    path = apply_spec(kcconf, tmp_path / "spec.yaml", text)
    off = text.replace(
        "      enabled: true\n      token-exchange: [requester exchanges]\n",
        "      enabled: false\n",
    )
    planned = kcconf("plan", str(apply_spec(kcconf, path, off)))
    assert planned.out.startswith("No changes"), planned.out
    index.forget()
    target = index.client_uuid("target")
    assert index.api.get(index.path(f"clients/{target}/management/permissions")) == {
        "enabled": False
    }
    assert_in_sync(kcconf, path)


def test_enabled_false_with_policies_is_refused_offline(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec("offline", "usersPermissions:\n  enabled: false\n  impersonate: [x]\n")
    )
    run = run_cli("validate", str(path))
    assert run.code != 0
    assert "spec.yaml:6:3: usersPermissions.impersonate" in run.out, run.out
    assert "impersonate policies need enabled: true" in run.out


# serverinfo as Keycloak answers it (trimmed): 24.0.5 and 26.x list every feature with
# `enabled` (26.x started without admin-fine-grained-authz:v1 runs v2); a server without the
# list is read from its profile's disabled features.
INFO_26_V2 = {
    "systemInfo": {"version": "26.5.6"},
    "features": [
        {"name": "TOKEN_EXCHANGE", "type": "PREVIEW", "enabled": False},
        {"name": "ADMIN_FINE_GRAINED_AUTHZ", "type": "DEPRECATED", "enabled": False},
        {"name": "ADMIN_FINE_GRAINED_AUTHZ_V2", "type": "DEFAULT", "enabled": True},
    ],
}
INFO_24 = {
    "systemInfo": {"version": "24.0.5"},
    "features": [
        {"name": "ADMIN_FINE_GRAINED_AUTHZ", "type": "PREVIEW", "enabled": True},
        {"name": "TOKEN_EXCHANGE", "type": "PREVIEW", "enabled": True},
    ],
    "profileInfo": {"name": "default", "disabledFeatures": ["SCRIPTS"]},
}
PROFILE_ONLY = {
    "systemInfo": {"version": "24.0.5"},
    "profileInfo": {"name": "default", "disabledFeatures": ["TOKEN_EXCHANGE"]},
}


def test_features_are_read_from_either_shape() -> None:
    assert not features.is_on(INFO_26_V2, features.FGAP_V1)
    assert features.is_on(INFO_26_V2, "ADMIN_FINE_GRAINED_AUTHZ_V2")
    assert features.is_on(INFO_24, features.TOKEN_EXCHANGE)
    assert features.is_on(INFO_24, features.FGAP_V1)
    assert not features.is_on(PROFILE_ONLY, features.TOKEN_EXCHANGE)
    assert features.is_on(PROFILE_ONLY, features.FGAP_V1)
    assert not features.is_on({}, features.FGAP_V1)  # an unknown shape claims nothing


def test_a_missing_feature_is_refused_with_how_to_turn_it_on() -> None:
    with pytest.raises(KcconfError) as caught:
        features.require(INFO_26_V2, features.FGAP_V1, "usersPermissions")
    message = str(caught.value)
    assert "admin-fine-grained-authz:v1" in message and "26.5.6" in message
    assert "nothing was written" in message
    features.require(INFO_24, features.FGAP_V1, "usersPermissions")  # on: no refusal


def test_the_permission_path_is_judged_from_user_policies_only() -> None:
    mod = permissions.Policy("user", frozenset({"mod"}))
    policies = {
        "mod": mod,
        "not mod": permissions.Policy("user", frozenset({"mod"}), negative=True),
        "clerks": permissions.Policy("role"),
        "either": permissions.Policy(
            "aggregate", strategy="AFFIRMATIVE", applied=("mod", "clerks")
        ),
    }

    def grants(impersonate: tuple[str, ...], guarded: tuple[str, ...] = ()) -> bool | None:
        scopes = {"impersonate": impersonate, "user-impersonated": guarded}
        return permissions.UsersPermissions(True, scopes, policies).grants("mod", "alice")[0]

    assert grants(("mod",)) is True
    assert grants(()) is False  # no policy: Keycloak refuses
    assert grants(("not mod",)) is False
    assert grants(("clerks",)) is None  # a role policy: not predicted
    assert grants(("either",)) is True  # affirmative: one grant is enough
    assert grants(("mod", "clerks")) is None  # unanimous with an unknown
    assert grants(("mod",), ("mod",)) is False  # the target is not impersonatable
    assert permissions.UsersPermissions(False).grants("mod", "alice")[0] is False


def test_a_server_without_fgap_v1_refuses_the_spec_before_creating_the_realm(
    keycloak_without_fgap_v1: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in keycloak_without_fgap_v1.env().items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "spec.yaml"
    path.write_text(realm_spec("kcconf-no-fgap", "usersPermissions:\n  enabled: true\n"))
    info = keycloak_without_fgap_v1.api().server_info()
    assert not features.is_on(info, features.FGAP_V1)  # read right from the real server
    applied = run_cli("apply", "--auto-approve", str(path))
    assert applied.code != 0
    assert "needs the Keycloak feature admin-fine-grained-authz:v1" in applied.err, applied.err
    realms = keycloak_without_fgap_v1.api().get("")  # `admin/realms`: nothing was created
    assert "kcconf-no-fgap" not in {r["realm"] for r in realms}


def test_convert_names_the_admin_permissions_by_meaning(tmp_path: Path) -> None:
    export = ROOT.parent / "shared" / "realm-exports"
    source = export / "keycloak__keycloak-quickstarts__fine-grain-demo.json"
    if not source.exists():
        pytest.skip(f"no realm exports at {export}")
    out = tmp_path / "spec.yaml"
    run = run_cli("convert", str(source), "-o", str(out))
    assert run.code == 0, run.err
    spec = yaml.safe_load(out.read_text())
    assert spec["usersPermissions"] == {"enabled": True, "map-roles": ["sales-managers"]}
    clients = {c["clientId"]: c for c in spec["clients"]}
    assert clients["sales-application"]["permissions"] == {
        "enabled": True,
        "manage": ["sales-application-manage-policy"],
        "map-roles": ["sales-managers"],
    }
    policies = clients["realm-management"]["authorization"]["policies"]
    assert [p["name"] for p in policies] == ["sales-application-manage-policy", "sales-managers"]
    assert ".permission." not in out.read_text()  # no id-bearing names
    group = "clients[realm-management].authorizationSettings.policies[view.permission.group."
    assert f"not expressible: {group}" in run.err  # reported by path, with the reason
