"""Client registration policies against a real Keycloak: a new realm's Trusted Hosts and Max
Clients Limit changed (anonymous registration from this host then passes, and the limit
refuses the next client), a policy added and removed under prune, a changed providerId refused,
and the two policies Keycloak names alike in both subTypes told apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import requests
import yaml

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, run_cli

Kcconf = Callable[..., Run]
POLICY = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
TRUSTED = (
    "  - name: Trusted Hosts\n    subType: anonymous\n    providerId: trusted-hosts\n"
    "    config:\n      trusted-hosts: [127.0.0.1, localhost]\n"
    "      client-uris-must-match: false\n"
)
LIMIT = (
    "  - name: Max Clients Limit\n    subType: anonymous\n    providerId: max-clients\n"
    "    config: {max-clients: 1}\n"
)
MAPPERS = (
    "  - name: Allowed Protocol Mapper Types\n    subType: authenticated\n"
    "    providerId: allowed-protocol-mappers\n"
    "    config: {allowed-protocol-mapper-types: [oidc-full-name-mapper, oidc-address-mapper]}\n"
)
DISABLED = "  - name: Disabled on registration\n    subType: authenticated\n"


def spec(realm: str, policies: str, prune: bool = False) -> str:
    pruning = "prune:\n  clientRegistrationPolicies: all\n" if prune else ""
    return realm_spec(realm, f"{pruning}clientRegistrationPolicies:\n{policies}")


def live(admin: RealmAdmin) -> dict[str, dict[str, list[str]]]:
    """subType/name -> config of every policy."""
    admin.forget()
    reps = ep.components(POLICY).list(admin)
    return {f"{r['subType']}/{r['name']}": r.get("config") or {} for r in reps}


def register(url: str, realm: str, client_id: str) -> int:
    """The status of an anonymous client registration (no token) from this host."""
    endpoint = f"{url.rstrip('/')}/realms/{realm}/clients-registrations/default"
    body = {"clientId": client_id, "redirectUris": ["http://127.0.0.1/cb"]}
    return requests.post(endpoint, json=body, timeout=30).status_code


def test_registration_policies_are_changed_added_and_pruned(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    url = keycloak.url
    path = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    assert register(url, realm, "before") == 403  # a new realm trusts no host
    before = live(index)
    apply_spec(
        kcconf,
        path,
        spec(realm, TRUSTED + LIMIT + MAPPERS + DISABLED + "    providerId: client-disabled\n"),
    )
    after = live(index)
    # Keycloak keeps no order in a component's multi-valued config.
    assert sorted(after["anonymous/Trusted Hosts"]["trusted-hosts"]) == ["127.0.0.1", "localhost"]
    assert after["anonymous/Max Clients Limit"]["max-clients"] == ["1"]
    mappers = "allowed-protocol-mapper-types"
    assert sorted(after["authenticated/Allowed Protocol Mapper Types"][mappers]) == [
        "oidc-address-mapper",
        "oidc-full-name-mapper",
    ]
    # Its namesake of the other subType is left alone.
    assert (
        after["anonymous/Allowed Protocol Mapper Types"]
        == before["anonymous/Allowed Protocol Mapper Types"]
    )
    assert "authenticated/Disabled on registration" in after
    assert_in_sync(kcconf, path)
    # The realm has clients already (account, admin-cli, ...): a limit of 1 refuses, a higher
    # one lets this host register.
    assert register(url, realm, "limited") == 403
    apply_spec(kcconf, path, spec(realm, TRUSTED + LIMIT.replace("1}", "100}")))
    assert register(url, realm, "anon") == 201

    # A changed providerId is refused before anything is written.
    other = "  - name: Max Clients Limit\n    subType: anonymous\n    providerId: scope\n"
    path.write_text(spec(realm, other))
    refused = kcconf("plan", str(path))
    assert refused.code != 0
    assert "not changed in place" in refused.err, refused.err
    # A setting the provider does not declare, which Keycloak would drop silently: refused.
    path.write_text(spec(realm, LIMIT.replace("max-clients: 1", "max-client: 1")))
    unknown = kcconf("plan", str(path))
    assert unknown.code != 0
    assert "has no setting max-client (Keycloak would drop it silently)" in unknown.err

    # Under prune: all the undeclared go (most of a kind: the deletion limit asks for
    # --allow-deletes); the declared stay.
    path.write_text(spec(realm, TRUSTED + LIMIT, prune=True))
    planned = kcconf("plan", str(path))
    assert "- client-registration-policy authenticated/Disabled on registration" in planned.out
    pruned = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))
    assert pruned.code == 0, pruned.err
    assert set(live(index)) == {"anonymous/Trusted Hosts", "anonymous/Max Clients Limit"}
    assert_in_sync(kcconf, path)


def test_duplicate_names_are_refused_within_a_subtype_only(tmp_path: Path) -> None:
    same = MAPPERS.replace("authenticated", "anonymous")
    path = tmp_path / "spec.yaml"
    path.write_text(spec("x", MAPPERS + same))
    assert run_cli("validate", str(path)).code == 0
    path.write_text(spec("x", MAPPERS + MAPPERS))
    twice = run_cli("validate", str(path))
    assert twice.code != 0
    assert "duplicate client registration policy 'authenticated/Allowed" in twice.out + twice.err


def test_convert_writes_what_differs_from_a_new_realm() -> None:
    policy = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
    base = stored("26.5.6").realm
    own = [dict(c) for c in base["components"][policy]]
    for component in own:
        if component["name"] == "Max Clients Limit":
            component["config"] = {"max-clients": ["7"], "old-setting": ["x"]}
    own.append({"name": "Off", "subType": "authenticated", "providerId": "client-disabled"})
    profile = {"attributes": [{"name": "username"}], "unmanagedAttributePolicy": "ENABLED"}
    stored_profile = {"config": {"kc.user.profile.config": [json.dumps(profile)]}}
    export = {
        "realm": "x",
        "components": {
            policy: own,
            "org.keycloak.userprofile.UserProfileProvider": [stored_profile],
        },
    }
    converted = convert(export, stored("26.5.6"))
    assert converted.spec["clientRegistrationPolicies"] == [
        {"name": "Max Clients Limit", "subType": "anonymous", "providerId": "max-clients",
         "config": {"max-clients": "7"}},
        {"name": "Off", "subType": "authenticated", "providerId": "client-disabled"},
    ]  # fmt: skip
    assert converted.spec["userProfile"] == profile
    skipped = [str(s) for s in converted.report.skipped]
    assert any("[anonymous/Max Clients Limit].config.old-setting" in s for s in skipped), skipped


def test_export_writes_changed_policies_and_the_saved_user_profile(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    profile = (
        "userProfile:\n  unmanagedAttributePolicy: ENABLED\n  attributes:\n"
        "    - name: department\n      displayName: Department\n"
    )
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm, LIMIT) + profile)
    exported = kcconf("export", "--realm", realm, "--users", "none")
    assert exported.code == 0, exported.err
    written = yaml.safe_load(exported.out)
    # Only the changed policy, and only its changed setting; a new realm's others left out.
    assert written["clientRegistrationPolicies"] == [
        {"name": "Max Clients Limit", "subType": "anonymous", "providerId": "max-clients",
         "config": {"max-clients": "1"}},
    ]  # fmt: skip
    assert written["userProfile"]["unmanagedAttributePolicy"] == "ENABLED"
    names = [a["name"] for a in written["userProfile"]["attributes"]]
    assert "department" in names, names
    path.write_text(exported.out)
    assert_in_sync(kcconf, path)
