"""A client's authorization services against a real Keycloak: scopes, resources, policies of
every supported type and permissions, all by name, created in one apply (an aggregate naming
policies created beside it), changed one field at a time, exact lists, removed only under
prune, and a second apply that writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.versions import version_tuple
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec

Kcconf = Callable[..., Run]


def spec(
    realm: str, read_policies: str = "[any, callers]", extra: str = "", prune: str = ""
) -> str:
    return realm_spec(
        realm,
        f"""{prune}roles:
  - name: clerk
groups:
  - name: staff
users:
  - username: bob
    email: bob@example.com
    firstName: Bob
    lastName: B
clients:
  - clientId: caller
    publicClient: false
  - clientId: api
    publicClient: false
    serviceAccountsEnabled: true
    authorizationServicesEnabled: true
    roles:
      - name: admin
    authorization:
      policyEnforcementMode: PERMISSIVE
      scopes:
        - name: read
          displayName: Read
        - name: write
      resources:
        - name: orders
          type: urn:api:orders
          uris: [/orders/*]
          scopes: [read, write]
          attributes: {{team: blue}}
      policies:
        - name: callers
          type: client
          clients: [caller]
        - name: bob only
          type: user
          users: [bob]
        - name: clerks
          type: role
          roles: [clerk, {{role: api/admin, required: true}}]
        - name: staff
          type: group
          groups: [/staff]
        - name: any
          type: aggregate
          decisionStrategy: AFFIRMATIVE
          policies: [bob only, clerks]
{extra}      permissions:
        - name: read orders
          type: scope
          resources: [orders]
          scopes: [read]
          policies: {read_policies}
""",
    )


def settings(index: RealmAdmin) -> dict[str, Any]:
    index.forget()
    uuid = index.client_uuid("api")
    found: dict[str, Any] = index.api.get(
        index.path(f"clients/{uuid}/authz/resource-server/settings")
    )
    return found


def policy(found: dict[str, Any], name: str) -> dict[str, Any]:
    rep = next(p for p in found["policies"] if p["name"] == name)
    return {k: json.loads(v) if v.startswith("[") else v for k, v in rep["config"].items()}


def test_authorization_is_created_changed_and_pruned_by_name(
    kcconf: Kcconf, keycloak: Target, index: RealmAdmin, realm: str, tmp_path: Path
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm))
    found = settings(index)
    assert found["policyEnforcementMode"] == "PERMISSIVE"
    # Keycloak keeps ids; its export names every one naturally again.
    roles = sorted(policy(found, "clerks")["roles"], key=lambda r: str(r["id"]))
    assert roles == [{"id": "api/admin", "required": True}, {"id": "clerk", "required": False}]
    assert policy(found, "callers")["clients"] == ["caller"]
    assert sorted(policy(found, "any")["applyPolicies"]) == ["bob only", "clerks"]
    assert sorted(policy(found, "read orders")["applyPolicies"]) == ["any", "callers"]
    # Keycloak up to 26.4 makes a default resource (policy, permission) with the resource
    # server, 26.5 on none (docs/keycloak-facts.md 22.2): the realm's, left alone unless pruned.
    made = {"Default Resource"} if version_tuple(keycloak.version) < (26, 5) else set()
    assert {r["name"] for r in found["resources"]} == {"orders", *made}
    assert_in_sync(kcconf, path)

    # One policy taken off the permission, a scope's display name changed.
    path.write_text(spec(realm, "[callers]").replace("displayName: Read", "displayName: Reading"))
    planned = kcconf("plan", str(path))
    assert planned.code == 2, planned.err
    assert (
        "~ client api / authz-scope read\n"
        '    displayName: "Read" -> "Reading"\n'
        "~ client api / authz-permission read orders\n"
        "    applied policies: - any\n"
    ) in planned.out, planned.out
    apply_spec(kcconf, path, path.read_text())
    assert policy(settings(index), "read orders")["applyPolicies"] == ["callers"]
    assert_in_sync(kcconf, path)

    # A policy dropped from the list is left alone without prune, deleted with it.
    dropped = spec(realm, "[callers]").replace(
        "        - name: staff\n          type: group\n          groups: [/staff]\n", ""
    )
    apply_spec(kcconf, path, dropped)
    assert "staff" in {p["name"] for p in settings(index)["policies"]}
    pruned = dropped.replace("roles:\n", "prune:\n  authorizationPolicies: all\nroles:\n", 1)
    path.write_text(pruned)
    planned = kcconf("plan", str(path))
    assert "- client api / authz-policy staff\n" in planned.out, planned.out
    apply_spec(kcconf, path, pruned)
    assert "staff" not in {p["name"] for p in settings(index)["policies"]}
    assert_in_sync(kcconf, path)


def test_a_client_without_authorization_services_is_refused(kcconf: Kcconf, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec(
            "offline",
            "clients:\n  - clientId: app\n    authorization:\n      scopes: [{name: read}]\n",
        )
    )
    run = kcconf("validate", str(path))
    assert run.code != 0
    assert "authorization needs authorizationServicesEnabled: true" in run.out, run.out


def test_a_policy_nobody_declares_is_refused_before_a_new_realm_is_made(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path
) -> None:
    # validate cannot tell a resource server's policies; the plan refuses the name before
    # anything is written, even into a realm it would create.
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec(
            realm,
            "clients:\n  - clientId: api\n    authorizationServicesEnabled: true\n"
            "    authorization:\n"
            "      permissions:\n"
            "        - {name: p, type: resource, policies: [nobody]}\n",
        )
    )
    run = kcconf("apply", "--auto-approve", str(path))
    assert run.code != 0
    assert "client api / authz-permission p: authz-policy nobody does not exist" in run.err
    assert realm not in {r["realm"] for r in keycloak.api().get("")}
