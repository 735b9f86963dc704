"""How much of the realms people run kcconf can express, measured on real realm exports.

Every top-level key of every export in ../shared/realm-exports (Keycloak's realm-export JSON,
written by Keycloak 3.4 to 25) is classified as a part kcconf can or cannot express, counting
objects. A key no part names fails the test, so a new export or a new part is never silently
left out. `pytest -s tests/test_export_coverage.py` prints the table; `since` marks what each
session added, so the table shows the before and after of a change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kcconf.spec.schema import realm_schema
from tests.helpers import ROOT

EXPORTS = ROOT.parent / "shared" / "realm-exports"
Export = dict[str, Any]
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"
REGISTRATION_POLICY = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
USER_PROFILE = "org.keycloak.userprofile.UserProfileProvider"


@dataclass(frozen=True)
class Part:
    name: str
    count: Callable[[Export], int]
    expressible: bool
    why: str
    since: str = "before"  # "before" the kind model, or the change that added it


def _len(key: str) -> Callable[[Export], int]:
    return lambda e: len(e.get(key) or [])


def _nested(key: str, inner: str) -> Callable[[Export], int]:
    return lambda e: sum(len(item.get(inner) or []) for item in e.get(key) or [])


def _groups(e: Export) -> int:
    def tree(groups: list[Any]) -> int:
        return sum(1 + tree(g.get("subGroups") or []) for g in groups)

    return tree(e.get("groups") or [])


def _users(service: bool) -> Callable[[Export], int]:
    return lambda e: sum(
        1 for u in e.get("users") or [] if bool(u.get("serviceAccountClientId")) is service
    )


def _service_roles(e: Export) -> int:
    return sum(
        len(u.get("realmRoles") or []) + sum(map(len, (u.get("clientRoles") or {}).values()))
        for u in e.get("users") or []
        if u.get("serviceAccountClientId")
    )


def _user_key(key: str) -> Callable[[Export], int]:
    return lambda e: sum(1 for u in e.get("users") or [] if u.get(key))


def _client_roles(e: Export) -> int:
    return sum(len(v) for v in ((e.get("roles") or {}).get("client") or {}).values())


def _realm_roles(e: Export) -> int:
    return len((e.get("roles") or {}).get("realm") or [])


def _scope_mappings(owner: str) -> Callable[[Export], int]:
    return lambda e: sum(
        len(m.get("roles") or []) for m in e.get("scopeMappings") or [] if owner in m
    )


def _client_scope_mappings(e: Export) -> int:
    return sum(
        len(m.get("roles") or [])
        for entries in (e.get("clientScopeMappings") or {}).values()
        for m in entries
    )


def _present(key: str) -> Callable[[Export], int]:
    return lambda e: 1 if e.get(key) else 0


def _accepted() -> set[str]:
    """The realm keys the spec schema takes (not those it names only to refuse)."""
    realm = realm_schema()["properties"]["realm"]["properties"]
    return {key for key, value in realm.items() if "not" not in value}


def _settings(export: Export) -> int:
    """Realm settings kcconf takes: the other top-level keys the realm schema accepts."""
    return sum(1 for key in export if key not in COVERED and key in _accepted())


def _other(export: Export) -> int:
    """Top-level keys that are neither a part above nor a setting kcconf takes (less `id`, a
    UUID, and `realm`, the spec's `realm.name`)."""
    skip = COVERED | _accepted() | METADATA | {"id", "realm"}
    return sum(1 for key in export if key not in skip)


# Top-level keys an export carries that are no configuration of the realm.
METADATA = frozenset({"keycloakVersion", "otpSupportedApplications"})
FEDERATION_TYPES = {
    "org.keycloak.storage.UserStorageProvider",
    "org.keycloak.storage.ldap.mappers.LDAPStorageMapper",
}


def _federation(e: Export) -> int:
    """User storage providers and their mappers (nested, or listed at the top level)."""
    components = e.get("components") or {}
    return sum(
        1 + sum(map(len, (p.get("subComponents") or {}).values()))
        for p in components.get("org.keycloak.storage.UserStorageProvider") or []
    ) + len(components.get("org.keycloak.storage.ldap.mappers.LDAPStorageMapper") or [])


def _authz(management: bool, supported: bool) -> Callable[[Export], int]:
    """Objects of clients' authorization settings: realm-management's (the admin permissions)
    or the clients' own; those a spec key takes, or the others."""

    def count(e: Export) -> int:
        total = 0
        for client in e.get("clients") or []:
            settings = client.get("authorizationSettings") or {}
            if (client.get("clientId") == "realm-management") is not management:
                continue
            policies = settings.get("policies") or []
            types = {str(p.get("name")): p.get("type") for p in policies}
            for policy in policies:
                total += _expressed(policy, management, types) is supported
            if not management and supported:
                total += len(settings.get("resources") or []) + len(settings.get("scopes") or [])
        return total

    return count


def _expressed(policy: dict[str, Any], management: bool, types: dict[str, Any]) -> bool:
    """Whether convert writes it: a supported type, applying only supported policies (one
    level, as the exports hold), and for realm-management a client's or the users' permission."""
    name = str(policy.get("name"))
    supported = ("client", "user", "role", "group", "aggregate")
    applied = json.loads((policy.get("config") or {}).get("applyPolicies") or "[]")
    if policy.get("type") not in (*supported, "resource", "scope"):
        return False
    if any(types.get(p) not in supported for p in applied):
        return False
    if policy.get("type") in supported or not management:
        return True
    return ".permission.client." in name or name.endswith(".permission.users")


AUTHZ = "kind model (part 2: authorization)"
MAPPERS = "kind model (protocol mappers)"
SETTINGS = "kind model (realm settings)"
ROLE_SCOPES = "kind model (role scopes)"
PARTS = (
    Part("clients", _len("clients"), True, "clients"),
    Part(
        "clients[].protocolMappers",
        _nested("clients", "protocolMappers"),
        True,
        "protocolMappers",
        MAPPERS,
    ),
    Part(
        "clients[].authorizationSettings",
        _authz(False, True),
        True,
        "clients[].authorization (resources, scopes, policies, permissions by name)",
        AUTHZ,
    ),
    Part(
        "clients[].authorizationSettings (js, regex, time... policies)",
        _authz(False, False),
        False,
        "policy types kcconf does not manage, and permissions applying them",
    ),
    Part(
        "realm-management authorizationSettings (admin permissions v1)",
        _authz(True, True),
        True,
        "clients[].permissions, usersPermissions, realm-management's authorization.policies",
        AUTHZ,
    ),
    Part(
        "realm-management authorizationSettings (groups', roles', idps' permissions)",
        _authz(True, False),
        False,
        "admin permissions of groups, roles and identity providers have no spec key yet",
    ),
    Part("clientScopes", _len("clientScopes"), True, "clientScopes"),
    Part(
        "clientScopes[].protocolMappers",
        _nested("clientScopes", "protocolMappers"),
        True,
        "protocolMappers",
        MAPPERS,
    ),
    Part("roles.realm", _realm_roles, True, "roles"),
    Part("roles.client", _client_roles, True, "clients[].roles"),
    Part("groups (with subGroups)", _groups, True, "groups"),
    Part("users (people)", _users(False), True, "users"),
    Part(
        "users[].credentials",
        _user_key("credentials"),
        False,
        "passwords come from {env}; hashes are not imported",
    ),
    Part(
        "users[].federatedIdentities",
        _user_key("federatedIdentities"),
        False,
        "identity provider links: not managed yet (each holds the upstream user's id; a "
        "user's first brokered login makes it)",
    ),
    Part(
        "users (service accounts)",
        _users(True),
        True,
        "owned by their clients; not declared as users",
    ),
    Part(
        "service-account role mappings",
        _service_roles,
        True,
        "clients[].serviceAccountRoles",
        ROLE_SCOPES,
    ),
    Part(
        "scopeMappings (client)",
        _scope_mappings("client"),
        True,
        "clients[].scopeMappings.realmRoles",
    ),
    Part(
        "scopeMappings (clientScope)",
        _scope_mappings("clientScope"),
        True,
        "clientScopes[].scopeMappings",
        ROLE_SCOPES,
    ),
    Part("clientScopeMappings", _client_scope_mappings, True, "scopeMappings.clientRoles"),
    Part(
        "defaultDefaultClientScopes",
        _len("defaultDefaultClientScopes"),
        True,
        "realm.defaultDefaultClientScopes",
    ),
    Part(
        "defaultOptionalClientScopes",
        _len("defaultOptionalClientScopes"),
        True,
        "realm.defaultOptionalClientScopes",
    ),
    Part("smtpServer", _present("smtpServer"), True, "realm.smtpServer, password from {env}"),
    Part(
        "defaultRole / defaultRoles",
        lambda e: _present("defaultRole")(e) or len(e.get("defaultRoles") or []),
        True,
        "realm.defaultRoles (the composites of default-roles-<realm>)",
        SETTINGS,
    ),
    Part(
        "defaultGroups",
        _len("defaultGroups"),
        True,
        "realm.defaultGroups",
        SETTINGS,
    ),
    Part(
        "requiredActions",
        _len("requiredActions"),
        True,
        "requiredActions, in order",
        "kind model (required actions)",
    ),
    Part(
        "authenticationFlows",
        _len("authenticationFlows"),
        True,
        "authenticationFlows (executions and sub-flows in order), realm bindings, "
        "clients[].authenticationFlowBindingOverrides",
        "kind model (part 2: authentication flows)",
    ),
    Part(
        "authenticatorConfig",
        _len("authenticatorConfig"),
        True,
        "authenticationFlows[].executions[].config",
        "kind model (part 2: authentication flows)",
    ),
    Part(
        "identityProviders",
        _len("identityProviders"),
        True,
        "identityProviders (clientSecret from {env})",
        "kind model (part 2: identity providers)",
    ),
    Part(
        "identityProviderMappers",
        _len("identityProviderMappers"),
        True,
        "identityProviders[].mappers",
        "kind model (part 2: identity providers)",
    ),
    Part(
        "components (key providers)",
        lambda e: len((e.get("components") or {}).get(KEY_PROVIDER) or []),
        True,
        "keys (generated keys of a new realm left out; private keys from {env})",
        "kind model (part 2: keys and client policies)",
    ),
    Part(
        "components (user federation: providers and their mappers)",
        _federation,
        True,
        "userFederation, with mappers; bindCredential from {env}",
        "kind model (part 2: user federation)",
    ),
    Part(
        "components (client registration policies)",
        lambda e: len((e.get("components") or {}).get(REGISTRATION_POLICY) or []),
        True,
        "clientRegistrationPolicies (by subType and name; a new realm's left out where alike)",
        "kind model (part 2: client registration policies)",
    ),
    Part(
        "components (user profile)",
        lambda e: len((e.get("components") or {}).get(USER_PROFILE) or []),
        True,
        "userProfile (the stored kc.user.profile.config)",
        "kind model (part 2: client registration policies)",
    ),
    Part(
        "components (other)",
        lambda e: sum(
            len(v)
            for t, v in (e.get("components") or {}).items()
            if t not in {KEY_PROVIDER, REGISTRATION_POLICY, USER_PROFILE} | FEDERATION_TYPES
        ),
        False,
        "components of other provider types (not managed)",
    ),
    Part(
        "clientPolicies / clientProfiles",
        lambda e: (
            len((e.get("clientPolicies") or {}).get("policies") or [])
            + len((e.get("clientProfiles") or {}).get("profiles") or [])
        ),
        True,
        "clientPolicies, clientProfiles",
        "kind model (part 2: keys and client policies)",
    ),
    Part(
        "clientTemplates",
        _len("clientTemplates"),
        True,
        "clientScopes: convert maps a Keycloak < 4 template to a scope, a client's to a default scope",
        "adopt (kcconf convert)",
    ),
    Part(
        "organizations",
        _len("organizations"),
        True,
        "organizations (Keycloak 26+)",
        "kind model (part 2: organizations)",
    ),
    Part(
        "localizationTexts",
        lambda e: sum(map(len, (e.get("localizationTexts") or {}).values())),
        True,
        "realm.localizationTexts, key by key",
        SETTINGS,
    ),
    Part("realm settings", _settings, True, "realm: typed, or accepted by name"),
    Part(
        "export metadata",
        lambda e: sum(1 for key in METADATA if key in e),
        False,
        "not configuration: the version that wrote the export (keycloakVersion), and what"
        " Keycloak derives from the OTP policy (otpSupportedApplications)",
    ),
    Part("other realm keys", _other, False, "not managed yet"),
)
# Top-level keys some part above counts (the others are realm settings, or counted as other).
COVERED = {
    "clients", "clientScopes", "roles", "groups", "users", "scopeMappings",
    "clientScopeMappings", "defaultDefaultClientScopes", "defaultOptionalClientScopes",
    "smtpServer", "defaultRole", "defaultRoles", "defaultGroups", "requiredActions",
    "authenticationFlows", "authenticatorConfig", "identityProviders", "identityProviderMappers",
    "components", "clientPolicies", "clientProfiles", "clientTemplates", "organizations",
    "localizationTexts",
}  # fmt: skip


def _exports() -> list[Path]:
    if not EXPORTS.is_dir():
        pytest.skip(f"no realm exports at {EXPORTS}")
    return sorted(EXPORTS.glob("*.json"))


def test_every_part_of_every_export_is_classified_and_counted() -> None:
    rows = []
    totals = {"before": [0, 0], "after": [0, 0]}
    for path in _exports():
        export = json.loads(path.read_text())
        counts = [(p, p.count(export)) for p in PARTS]
        for part, n in counts:
            if n:
                rows.append(
                    f"| {path.stem[:40]} | {part.name} | {n} | {'yes' if part.expressible else 'no'} | {part.why} |"
                )
            for when in totals:
                known = part.expressible and (when == "after" or part.since == "before")
                totals[when][0 if known else 1] += n
    print("\n| export | part | objects | expressible | how, or why not |\n|---|---|---:|---|---|")
    print("\n".join(rows))
    for when, (yes, no) in totals.items():
        print(f"{when}: {yes} objects expressible, {no} not ({100 * yes / (yes + no):.1f}%)")
    assert totals["after"][0] > totals["before"][0]


def test_no_export_key_is_left_unclassified() -> None:
    structural = {"clients", "users", "groups", "roles", "clientScopes"}
    for path in _exports():
        export = json.loads(path.read_text())
        nested = {k for k, v in export.items() if isinstance(v, list | dict) and k not in COVERED}
        # Lists and maps that are not parts are realm settings kcconf passes through as
        # fields; none of them may hold objects of a kind kcconf names elsewhere.
        assert not nested & structural, (path.name, nested & structural)
