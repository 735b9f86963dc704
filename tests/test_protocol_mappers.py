"""Protocol mappers on clients and client scopes, against a real Keycloak: created, changed one
config key at a time, removed only when pruning is asked for, left alone where the spec does not
write them, and visible in the token Keycloak would issue."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from kcconf.keycloak.admin import RealmAdmin
from kcconf.spec.validate import validate_files
from tests.helpers import ROOT, Run, apply_spec, assert_in_sync, realm_spec, requests_of

Kcconf = Callable[..., Run]

USER = """\
users:
  - username: moe
    email: moe@example.com
    firstName: Moe
    lastName: Szyslak
"""


def spec(realm: str, team: str = "blue", extra: str = "", prune: str = "") -> str:
    """A client with a hardcoded-claim mapper (and `extra` mappers), and an audience mapper
    added to the built-in `roles` scope."""
    return realm_spec(
        realm,
        f"""{prune}clientScopes:
  - name: roles
    protocolMappers:
      - name: audience for api
        protocolMapper: oidc-audience-mapper
        config: {{included.custom.audience: api, access.token.claim: true}}
clients:
  - clientId: app
    publicClient: true
    protocolMappers:
      - name: team
        protocol: openid-connect
        protocolMapper: oidc-hardcoded-claim-mapper
        config:
          claim.name: team
          claim.value: {team}
          jsonType.label: String
          access.token.claim: true
{extra}{USER}""",
    )


def mappers(admin: RealmAdmin, client_id: str = "", scope: str = "") -> dict[str, Any]:
    admin.forget()
    reps = admin.clients()[client_id] if client_id else admin.scopes()[scope]
    return {m["name"]: m for m in reps.get("protocolMappers") or []}


def token(kcconf: Kcconf, realm: str) -> str:
    run = kcconf("token", "--realm", realm, "--client", "app", "--user", "moe")
    assert run.code == 0, run.err
    return run.out


def test_mappers_are_created_on_a_new_client_and_on_a_built_in_scope(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(spec(realm))
    planned = kcconf("plan", str(path))
    assert "+ client app / mapper team\n" in planned.out, planned.out
    assert '    config.claim.value: "blue"\n' in planned.out
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    team = mappers(index, client_id="app")["team"]
    assert team["protocolMapper"] == "oidc-hardcoded-claim-mapper"
    assert team["config"]["claim.value"] == "blue"
    on_roles = mappers(index, scope="roles")
    # Keycloak's own mappers of the built-in scope stay beside the one the spec adds.
    assert {"audience for api", "realm roles", "client roles"} <= set(on_roles)
    assert on_roles["audience for api"]["config"]["included.custom.audience"] == "api"
    assert '"team": "blue"' in token(kcconf, realm)
    assert_in_sync(kcconf, path)


def test_a_changed_config_key_is_one_plan_line_and_updated_in_place(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm))
    before = mappers(index, client_id="app")["team"]["id"]
    path.write_text(spec(realm, team="red"))
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        2,
        "~ client app / mapper team\n"
        '    config.claim.value: "blue" -> "red"\n'
        "Plan: 0 to add, 1 to change, 0 to delete.\n",
    )
    doc = json.loads(kcconf("plan", "--format", "json", str(path)).out)
    jsonschema.validate(doc, json.loads((ROOT / "docs" / "plan-format.schema.json").read_text()))
    (change,) = doc["realms"][0]["changes"]
    assert (change["address"], change["kind"], change["name"], change["parent"]) == (
        "client app / mapper team",
        "mapper",
        "team",
        "client app",
    )
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    assert requests_of(applied.err).get("PUT") == 1  # the mapper alone, not the client
    after = mappers(index, client_id="app")["team"]
    assert (after["id"], after["config"]["claim.value"]) == (before, "red")
    assert '"team": "red"' in token(kcconf, realm)
    assert_in_sync(kcconf, path)


def test_an_undeclared_mapper_is_deleted_only_under_prune(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    extra = """      - name: site
        protocolMapper: oidc-hardcoded-claim-mapper
        config: {claim.name: site, claim.value: ams, access.token.claim: "true"}
"""
    path = tmp_path / "spec.yaml"
    apply_spec(kcconf, path, spec(realm, extra=extra))
    assert set(mappers(index, client_id="app")) == {"team", "site"}

    path.write_text(spec(realm))  # `site` is no longer declared
    planned = kcconf("plan", str(path))
    assert planned.code == 0, planned.out
    assert "Unmanaged, left alone: 1 mapper." in planned.out
    assert set(mappers(index, client_id="app")) == {"team", "site"}

    path.write_text(spec(realm, prune="prune: {protocolMappers: created}\n"))
    assert kcconf("plan", str(path)).code == 0  # mappers carry no marker: nothing is "created"

    path.write_text(spec(realm, prune="prune: {protocolMappers: all}\n"))
    planned = kcconf("plan", str(path))
    # Keycloak's own mappers of the built-in `roles` scope are never deleted, even by `all`.
    assert planned.out.startswith("- client app / mapper site\nPlan: 0 to add, 0 to change, 1 to")
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    assert set(mappers(index, client_id="app")) == {"team"}
    assert {"audience for api", "realm roles", "client roles"} <= set(mappers(index, scope="roles"))
    assert_in_sync(kcconf, path)


def test_a_parent_without_the_key_keeps_its_mappers_unread(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm))
    path.write_text(realm_spec(realm, "clients:\n  - clientId: app\n    publicClient: true\n"))
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        0,
        f"No changes: realm {realm} matches the spec.\nUnmanaged, left alone: 1 user.\n",
    )
    assert set(mappers(index, client_id="app")) == {"team"}
    assert "audience for api" in mappers(index, scope="roles")


def test_mapper_specs_are_validated_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec(
            "demo",
            "clients:\n  - clientId: app\n    protocolMappers:\n"
            "      - name: a\n        protocolMapper: oidc-audience-mapper\n        confg: {}\n"
            "      - name: a\n        protocolMapper: oidc-audience-mapper\n"
            "      - name: b\n",
        )
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:9:9: clients[0].protocolMappers[0].confg: unknown key 'confg' (did you mean"
        " 'config'?); allowed keys: name, protocol, protocolMapper, config",
        "spec.yaml:10:9: clients[0].protocolMappers[1].name: duplicate protocol mapper 'a' of"
        " client 'app': declared on lines 7 and 10",
        "spec.yaml:12:9: clients[0].protocolMappers[2]: missing required key 'protocolMapper'",
    ]


def test_built_in_mappers_written_as_keycloak_has_them_plan_nothing(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    # `GET client-scopes` embeds copies of the mappers that lack config keys the mappers'
    # own endpoint shows (userinfo.token.claim on acr's, 26.5.6): read from the latter.
    apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    scope = index.scopes()["acr"]
    found = index.api.get(index.path("client-scopes", scope["id"], "protocol-mappers", "models"))
    mappers = [{k: m[k] for k in ("name", "protocol", "protocolMapper", "config")} for m in found]
    body = "clientScopes:\n  - name: acr\n    protocolMappers: " + json.dumps(mappers) + "\n"
    spec_file = tmp_path / "acr.yaml"
    spec_file.write_text(realm_spec(realm, body))
    assert_in_sync(kcconf, spec_file)
