"""Keycloak's realm representation (an export file, or a live realm read the same way) to a
spec holding only what differs from what Keycloak creates by itself.

Export and convert both come here, so the same realm gives the same spec either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kcconf.adopt import authz as adopt_authz
from kcconf.adopt import components, federation, flows, keys, providers, trim, unexpressed
from kcconf.adopt.baseline import SERVICE, Baseline, unknown_fields
from kcconf.adopt.items import Item, Items, Rep
from kcconf.adopt.kept import as_kept, origins
from kcconf.adopt.report import Report
from kcconf.adopt.settings import realm_block
from kcconf.adopt.upgrade import OIDC, upgrade
from kcconf.kinds import authz
from kcconf.kinds.client import UMA_PROTECTION

KEEP_CLIENT = frozenset({"clientId"})
CLIENT_CHILDREN = frozenset({"protocolMappers", "roles"})
SCOPE_LISTS = ("defaultClientScopes", "optionalClientScopes")


@dataclass
class Converted:
    spec: dict[str, Any]
    report: Report
    counts: dict[str, int] = field(default_factory=dict)  # objects read, by spec key


def convert(
    source: Rep, baseline: Baseline, realm: str | None = None, users: bool = True
) -> Converted:
    report = Report()
    rep = upgrade(source, report, realm, baseline.version)
    base = baseline.for_realm(str(rep["realm"]))
    as_kept(rep, base.realm, report, baseline.version)
    items, base_items = Items(rep, report), Items(base.realm, Report())
    unknown = {
        k: f"not a realm field of Keycloak {baseline.version}"
        for k in unknown_fields(baseline.version)
    }
    spec: dict[str, Any] = {"realm": realm_block(rep, base.realm, items, report, unknown)}
    spec["clientScopes"] = _scopes(rep, base.realm, items, base_items)
    spec["roles"] = _realm_roles(items, base_items, str(rep["realm"]))
    clients = _clients(rep, base, items, base_items, report)
    spec["clients"] = flows.overrides(rep, base.realm, clients, report)
    users_permissions = _authorization(rep, spec["clients"], report)
    spec["groups"] = [items.group(g) for g in rep.get("groups") or []]
    spec["userFederation"] = federation.items(rep, report)
    spec["clientRegistrationPolicies"] = components.policies(rep, base.realm, report)
    people = [u for u in rep.get("users") or [] if not u.get("serviceAccountClientId")]
    people = federation.own_users(people, rep, report)
    spec["users"] = _users(items, people) if users else []
    spec["requiredActions"] = _required_actions(rep, base.realm, report)
    spec["authenticationFlows"] = flows.flows(rep, base.realm, report)
    if "userProfile" in rep:
        spec["userProfile"] = rep["userProfile"]
    else:
        spec["userProfile"] = components.user_profile(rep, report)
    spec["identityProviders"] = providers.identity_providers(rep, report)
    spec["organizations"] = providers.organizations(rep, report, users)
    spec["keys"] = keys.keys(rep, base.realm, report)
    spec["clientProfiles"] = _client_policies(rep, "clientProfiles", "profiles")
    spec["clientPolicies"] = _client_policies(rep, "clientPolicies", "policies")
    spec["usersPermissions"] = users_permissions
    unexpressed.structural(rep, base.realm, report)
    unexpressed.role_attributes(items.rep.get("roles", {}).get("realm") or [], "roles", report)
    counts = {
        "clients": len(rep.get("clients") or []),
        "clientScopes": len(rep.get("clientScopes") or []),
        "roles": len(items.realm_roles())
        + sum(len(v) for v in ((rep.get("roles") or {}).get("client") or {}).values()),
        "groups": _count_groups(rep.get("groups") or []),
        "users": len(people) if users else 0,
        "identityProviders": len(rep.get("identityProviders") or []),
        "organizations": len(rep.get("organizations") or []),
        "userFederation": len(federation.providers(rep)),
    }
    return Converted({k: v for k, v in spec.items() if v}, report, counts)


def _client_policies(rep: Rep, part: str, key: str) -> list[Item]:
    """The realm's own client profiles or policies (a new realm has none; Keycloak's global
    ones are not in an export), each with the fields the spec writes."""
    fields = ("name", "description", "enabled", "executors", "conditions", "profiles")
    entries = (rep.get(part) or {}).get(key) or []
    return [{f: e[f] for f in fields if e.get(f) is not None} for e in entries]


def _count_groups(groups: list[Rep]) -> int:
    return sum(1 + _count_groups(g.get("subGroups") or []) for g in groups)


def _scopes(rep: Rep, base: Rep, items: Items, base_items: Items) -> list[Item]:
    known = {str(s["name"]): base_items.scope(s) for s in base.get("clientScopes") or []}
    out = []
    for scope in sorted(rep.get("clientScopes") or [], key=lambda s: str(s["name"])):
        item: Item | None = items.scope(scope)
        own = known.get(str(scope["name"]))
        if own is not None and item is not None:
            item = _builtin(item, own, frozenset({"name"}))
        if item is not None:
            out.append(item)
    return out


def _builtin(item: Item, own: Item, keep: frozenset[str]) -> Item | None:
    """A built-in object as far as it differs from a new realm's; None when it does not."""
    out = trim.fields(item, own, keep, CLIENT_CHILDREN)
    if "protocolMappers" in out:
        out["protocolMappers"] = trim.mappers(
            out["protocolMappers"], own.get("protocolMappers") or []
        )
    if "roles" in out:
        out["roles"] = trim.roles(out["roles"], own.get("roles") or [])
    out = {k: v for k, v in out.items() if v or k not in CLIENT_CHILDREN}  # no empty children
    return out if set(out) - keep else None


def _realm_roles(items: Items, base_items: Items, realm: str) -> list[Item]:
    default = f"default-roles-{realm.lower()}"  # written as realm.defaultRoles
    roles = [r for r in items.realm_roles() if r["name"] != default]
    known = [r for r in base_items.realm_roles() if r["name"] != default]
    return trim.roles(roles, known)


def _clients(
    rep: Rep, base: Baseline, items: Items, base_items: Items, report: Report
) -> list[Item]:
    known = {str(c["clientId"]): c for c in base.realm.get("clients") or []}
    realm_scopes = _realm_scopes(rep)
    out = []
    for client in sorted(rep.get("clients") or [], key=lambda c: str(c["clientId"])):
        item = items.client(client)
        if client["clientId"] == authz.MANAGEMENT and item.pop("authorizationServicesEnabled", 0):
            report.skip(
                f"clients[{authz.MANAGEMENT}].authorizationServicesEnabled",
                "Keycloak's own: its resource server comes and goes with the admin permissions",
            )
        own = known.get(str(client["clientId"]))
        if own is not None:
            unexpressed.client_fields(client, own, report)
            trimmed = _builtin(item, base_items.client(own), KEEP_CLIENT)
            if trimmed is not None and client["clientId"] in base.readonly:
                _readonly(trimmed, base.version, report)
                trimmed = None
        else:
            protocol = str(client.get("protocol") or OIDC)
            probe = base.clients.get(protocol, base.clients[OIDC])
            unexpressed.client_fields(client, probe, report)
            made: list[Item] = []  # the mappers Keycloak gives a new service-account client
            if client.get("serviceAccountsEnabled") and SERVICE in base.clients:
                made = base_items.client(base.clients[SERVICE]).get("protocolMappers") or []
            trimmed = _new_client(
                item, base_items.client(probe), realm_scopes, protocol, made, report
            )
            if items.confidential(client):
                trimmed["secret"] = report.secret(
                    f"secret of client {client['clientId']}", "client", client["clientId"], "secret"
                )
        if trimmed is not None:
            out.append(trimmed)
    return out


def _authorization(rep: Rep, clients: list[Item], report: Report) -> Item:
    """Each client's authorization services into its item, and realm-management's (the admin
    permissions) into the clients' `permissions` and realm-management's policies; the users'
    admin permissions are returned, for `usersPermissions`."""
    by_id = {str(c["clientId"]): c for c in clients}
    uuids = {str(c.get("id")): str(c["clientId"]) for c in rep.get("clients") or []}
    users: Item = {}
    for client in rep.get("clients") or []:
        client_id = str(client["clientId"])
        if client_id == authz.MANAGEMENT:
            policies, permissions, users = adopt_authz.admin_permissions(client, uuids, report)
            for owner, block in permissions.items():
                _item(by_id, clients, owner)["permissions"] = block
            if policies:
                _item(by_id, clients, client_id)["authorization"] = {"policies": policies}
            continue
        block = adopt_authz.client_block(client, report)
        if block:
            _item(by_id, clients, client_id)["authorization"] = block
        if client.get("authorizationServicesEnabled") and client_id in by_id:
            _made_role(by_id[client_id])
    clients.sort(key=lambda c: str(c["clientId"]))
    return users


def _made_role(item: Item) -> None:
    """Keycloak creates uma_protection with the client's authorization services and maps it
    to its service account: a spec creating it again would be refused (409), and the mapping
    is left alone unless listed."""
    roles = [r for r in item.get("roles") or [] if r != {"name": UMA_PROTECTION}]
    if roles:
        item["roles"] = roles
    else:
        item.pop("roles", None)
    service = (item.get("serviceAccountRoles") or {}).get("clientRoles") or {}
    own = [r for r in service.get(item["clientId"]) or [] if r != UMA_PROTECTION]
    if item["clientId"] in service:
        service[item["clientId"]] = own
        if not own:
            del service[item["clientId"]]
        if not service:
            del item["serviceAccountRoles"]["clientRoles"]
        if not item["serviceAccountRoles"]:
            del item["serviceAccountRoles"]


def _item(by_id: dict[str, Item], clients: list[Item], client_id: str) -> Item:
    """The client's spec item, added when the conversion had left it out (nothing else of it
    differs from a new realm's)."""
    if client_id not in by_id:
        by_id[client_id] = {"clientId": client_id}
        clients.append(by_id[client_id])
    return by_id[client_id]


def _readonly(item: Item, version: str, report: Report) -> None:
    """Every difference of a client the server does not let an admin change, reported: its
    fields, and its roles and mappers one by one."""
    client = f"clients[{item['clientId']}]"
    paths = [f"{client}.{key}" for key in sorted(set(item) - KEEP_CLIENT - CLIENT_CHILDREN)]
    for key in sorted(CLIENT_CHILDREN & set(item)):
        paths += [f"{client}.{key}[{child['name']}]" for child in item[key]]
    for path in paths:
        report.skip(path, f"Keycloak {version} does not let an admin change this client")


def _new_client(
    item: Item,
    probe: Item,
    realm_scopes: dict[str, dict[str, list[str]]],
    protocol: str,
    made: list[Item],
    report: Report,
) -> Item:
    """A client kcconf will create: its fields less a new client's, its scope lists only where
    they differ from the realm's defaults (which Keycloak gives a new client), its mappers less
    those Keycloak `made` with it."""
    fields = {k: v for k, v in item.items() if k not in SCOPE_LISTS and k not in trim.RELATIONS}
    fields = {k: v for k, v in fields.items() if k not in CLIENT_CHILDREN}
    out = trim.fields(
        fields,
        {k: v for k, v in probe.items() if k not in trim.RELATIONS},
        KEEP_CLIENT,
        frozenset(),
    )
    if protocol != OIDC:  # a client created without a protocol is an OpenID Connect one
        out = {"clientId": out["clientId"], "protocol": protocol, **out}
    if "webOrigins" in item and not trim.same(item["webOrigins"], origins(item)):
        out["webOrigins"] = item["webOrigins"]  # what Keycloak derives is left to it
    else:
        out.pop("webOrigins", None)
    # Left out only where a new client gets the same lists whenever apply creates it: the
    # realm's defaults a new realm starts with (the probe's), and the realm's defaults the spec
    # writes, which apply sets before or after the client.
    lists = {key: item.get(key) for key in SCOPE_LISTS}
    defaults = realm_scopes.get(protocol, {})
    if any(
        not trim.same(v or [], defaults.get(k, [])) or not trim.same(v or [], probe.get(k) or [])
        for k, v in lists.items()
        if v is not None
    ):
        out |= {k: v for k, v in lists.items() if v is not None}
    mappers = _own_mappers(item, made, report)
    for key, value in (
        ("scopeMappings", item.get("scopeMappings")),
        ("serviceAccountRoles", item.get("serviceAccountRoles")),
        ("protocolMappers", mappers),
        ("roles", item.get("roles")),
    ):
        if value:
            out[key] = value
    return out


def _own_mappers(item: Item, made: list[Item], report: Report) -> list[Item]:
    """The client's mappers less those Keycloak creates with it. One of those is left out when
    the client's holds nothing else (an export's copy can lack config keys, docs/keycloak-facts.md
    16.5); one that differs is reported: created with the client, it cannot be created again."""
    known = {str(m["name"]): m for m in made}
    out = []
    for mapper in item.get("protocolMappers") or []:
        own = known.get(str(mapper["name"]))
        if own is None:
            out.append(mapper)
        elif trim.fields(mapper, own, frozenset(), frozenset()):
            report.skip(
                f"clients[{item['clientId']}].protocolMappers[{mapper['name']}]",
                "differs from the mapper of this name Keycloak creates with every "
                "service-account client",
            )
    return out


def _realm_scopes(rep: Rep) -> dict[str, dict[str, list[str]]]:
    """The realm's default and optional scopes of each protocol: what a new client gets."""
    protocol = {
        str(s["name"]): str(s.get("protocol") or OIDC) for s in rep.get("clientScopes") or []
    }
    out: dict[str, dict[str, list[str]]] = {}
    for key, source in (
        ("defaultClientScopes", "defaultDefaultClientScopes"),
        ("optionalClientScopes", "defaultOptionalClientScopes"),
    ):
        for name in rep.get(source) or []:
            out.setdefault(protocol.get(name, OIDC), {}).setdefault(key, []).append(name)
    return out


def _users(items: Items, people: list[Rep]) -> list[Item]:
    users = [items.user(u) for u in sorted(people, key=lambda u: str(u["username"]))]
    return [
        {k: v for k, v in u.items() if not (k == "emailVerified" and v is False)} for u in users
    ]


def _required_actions(rep: Rep, base: Rep, report: Report) -> list[Item]:
    """Actions that differ from a new realm's, in their order; all common ones when the order
    itself differs. An action the server does not have is reported."""
    known = {str(a["alias"]): a for a in base.get("requiredActions") or []}
    actions = [a for a in rep.get("requiredActions") or []]
    for action in actions:
        if action["alias"] not in known:
            report.skip(
                f"requiredActions[{action['alias']}]", "not a required action of this Keycloak"
            )
    common = [a for a in actions if a["alias"] in known]
    if all("priority" in a for a in common):
        common.sort(key=lambda a: (int(a["priority"]), str(a["alias"])))
    order = [a["alias"] for a in common]
    base_order = [
        a["alias"]
        for a in sorted(known.values(), key=lambda a: int(a.get("priority") or 0))
        if a["alias"] in order
    ]
    moved = order != base_order
    out = []
    for action in common:
        item = {k: action[k] for k in ("name", "enabled", "defaultAction", "config") if k in action}
        diff = trim.fields(item, known[action["alias"]], frozenset(), frozenset())
        if diff or moved:
            out.append({"alias": action["alias"], **diff})
    return out
