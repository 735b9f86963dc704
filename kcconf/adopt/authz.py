"""Clients' `authorizationSettings` as spec keys: a client's own authorization services as its
`authorization` block, and realm-management's (the fine-grained admin permissions v1) as
`clients[].permissions`, `usersPermissions` and realm-management's policies.

Keycloak's export already names everything naturally (policies by name, users by username, roles
by name, groups by path), so the items are its own less what no spec key takes: policy types
kcconf does not manage (js, regex, time, client-scope...), and permissions applying one of those
(they could not be created), each reported by path with the reason. Admin permissions of groups,
roles and identity providers have no spec key yet and are reported too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kcconf.adopt.items import Item, Rep
from kcconf.adopt.report import Report
from kcconf.kinds.authorization import GROUP_TYPE

POLICY_TYPES = frozenset({"client", "user", "role", "group", "aggregate"})
PERMISSION_TYPES = frozenset({"resource", "scope"})
# What a new resource server, policy or permission holds unless told otherwise: left out.
DEFAULTS = {
    "policyEnforcementMode": "ENFORCING",
    "decisionStrategy": "UNANIMOUS",
    "allowRemoteResourceManagement": True,
    "logic": "POSITIVE",
}
SETTINGS = ("policyEnforcementMode", "decisionStrategy", "allowRemoteResourceManagement")
# `<scope>.permission.client.<client id>` and `<scope>.permission.users`; impersonation's is
# named after its role, not its scope (docs/keycloak-facts.md 22.4).
CLIENT_PERMISSION = re.compile(r"^(?P<scope>[a-z-]+)\.permission\.client\.(?P<id>.+)$")
USERS_PERMISSION = re.compile(r"^(?P<scope>[a-z-]+)\.permission\.users$")
USERS_SCOPE_NAMES = {"admin-impersonating": "impersonate"}


def _config(rep: Rep, key: str) -> list[Any]:
    raw = (rep.get("config") or {}).get(key)
    try:
        value = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _policy(rep: Rep) -> Item:
    item: Item = {"name": rep["name"], "type": rep["type"]}
    for key in ("description", "logic", "decisionStrategy"):
        if rep.get(key) and rep[key] != DEFAULTS.get(key):
            item[key] = rep[key]
    kind = rep["type"]
    if kind in ("client", "user"):
        item[f"{kind}s"] = sorted(str(v) for v in _config(rep, f"{kind}s"))
    elif kind == "role":
        item["roles"] = [
            {"role": str(r.get("id")), "required": bool(r.get("required"))}
            for r in _config(rep, "roles")
        ]
    elif kind == GROUP_TYPE:
        item["groups"] = [
            {"path": str(g.get("path")), "extendChildren": bool(g.get("extendChildren"))}
            for g in _config(rep, "groups")
        ]
        if (rep.get("config") or {}).get("groupsClaim"):
            item["groupsClaim"] = rep["config"]["groupsClaim"]
    if kind in ("aggregate", *PERMISSION_TYPES):
        item["policies"] = sorted(str(v) for v in _config(rep, "applyPolicies"))
    if kind in PERMISSION_TYPES:
        for key in ("resources", "scopes"):
            if _config(rep, key):
                item[key] = sorted(str(v) for v in _config(rep, key))
    return item


def _policies(settings: Rep, where: str, report: Report) -> tuple[list[Item], list[Item]]:
    """(policies, permissions) a spec can take; the rest reported. A policy or permission that
    applies one left out is left out too, repeatedly, as it could not be created."""
    reps = [p for p in settings.get("policies") or [] if isinstance(p, Mapping)]
    out = {}
    for rep in reps:
        if rep.get("type") in POLICY_TYPES | PERMISSION_TYPES:
            out[str(rep["name"])] = _policy(rep)
        else:
            report.skip(
                f"{where}.policies[{rep.get('name')}]",
                f"a policy of type {rep.get('type')} is not managed (client, user, role, group "
                "and aggregate policies are)",
            )
    dropped = True
    while dropped:
        dropped = False
        for name, item in list(out.items()):
            missing = [p for p in item.get("policies") or [] if p not in out]
            if missing:
                report.skip(f"{where}.policies[{name}]", f"applies {', '.join(missing)}, left out")
                del out[name]
                dropped = True
    policies = [i for i in out.values() if i["type"] in POLICY_TYPES]
    permissions = [i for i in out.values() if i["type"] in PERMISSION_TYPES]
    return policies, permissions


def _named(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: str(i["name"]))


def client_block(client: Rep, report: Report) -> Item:
    """A client's `authorization` block from its export (empty when it has none)."""
    settings = client.get("authorizationSettings")
    if not isinstance(settings, Mapping) or not client.get("authorizationServicesEnabled"):
        return {}
    where = f"clients[{client['clientId']}].authorizationSettings"
    block: Item = {k: settings[k] for k in SETTINGS if settings.get(k) not in (None, DEFAULTS[k])}
    scopes = [
        {"name": s["name"], **{k: s[k] for k in ("displayName", "iconUri") if s.get(k)}}
        for s in settings.get("scopes") or []
    ]
    resources = [
        _resource(r, where, report)
        for r in settings.get("resources") or []
        if _own(r, str(client["clientId"]), where, report)
    ]
    policies, permissions = _policies(settings, where, report)
    for key, value in (
        ("scopes", scopes),
        ("resources", resources),
        ("policies", policies),
        ("permissions", permissions),
    ):
        if value:
            block[key] = _named(value)
    return block


def _own(rep: Rep, client_id: str, where: str, report: Report) -> bool:
    """Whether the resource server owns the resource: kcconf creates only such resources, so
    one a user owns (user-managed access) is reported rather than taken over."""
    owner = (rep.get("owner") or {}).get("name") if isinstance(rep.get("owner"), Mapping) else None
    if owner in (None, client_id):
        return True
    report.skip(f"{where}.resources[{rep.get('name')}]", "owned by a user: not managed")
    return False


def _resource(rep: Rep, where: str, report: Report) -> Item:
    item: Item = {"name": rep["name"]}
    for key in ("displayName", "type", "ownerManagedAccess"):
        if rep.get(key):
            item[key] = rep[key]
    if rep.get("uris"):
        item["uris"] = sorted(rep["uris"])
    if rep.get("scopes"):
        item["scopes"] = sorted(str(s["name"]) for s in rep["scopes"])
    if rep.get("attributes"):
        item["attributes"] = dict(sorted(rep["attributes"].items()))
    if rep.get("icon_uri"):
        report.skip(f"{where}.resources[{rep['name']}].icon_uri", "not managed")
    return item


def admin_permissions(
    management: Rep, clients: Mapping[str, str], report: Report
) -> tuple[list[Item], dict[str, Item], Item]:
    """realm-management's settings as (its policies, each client's `permissions` by clientId,
    `usersPermissions`); admin permissions with no spec key are reported."""
    settings = management.get("authorizationSettings")
    if not isinstance(settings, Mapping):
        return [], {}, {}
    where = "clients[realm-management].authorizationSettings"
    policies, permissions = _policies(settings, where, report)
    by_client: dict[str, Item] = {}
    users: Item = {}
    for item in permissions:
        found = _meaning(str(item["name"]), clients)
        if found is None:
            report.skip(
                f"{where}.policies[{item['name']}]",
                "only the admin permissions of clients and users have spec keys",
            )
            continue
        owner, scope = found
        block = users if owner is None else by_client.setdefault(owner, {})
        block["enabled"] = True
        if item.get("policies"):
            block[scope] = item["policies"]
    if not by_client and not users:  # then realm-management has no resource server (22.4)
        for item in policies:
            report.skip(
                f"{where}.policies[{item['name']}]",
                "realm-management's resource server exists only while a client's or the users' "
                "admin permissions are enabled, and none of this realm's are",
            )
        policies = []
    return _named(policies), by_client, users


def _meaning(name: str, clients: Mapping[str, str]) -> tuple[str | None, str] | None:
    """(clientId or None for the users', scope) an admin permission stands for."""
    matched = CLIENT_PERMISSION.match(name)
    if matched and matched["id"] in clients:
        return clients[matched["id"]], matched["scope"]
    matched = USERS_PERMISSION.match(name)
    if matched:
        return None, USERS_SCOPE_NAMES.get(matched["scope"], matched["scope"])
    return None
