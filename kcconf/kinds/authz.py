"""What the authorization kinds share: a client's resource server read once by natural names,
names translated to Keycloak's ids for writes, and the policies attached to a permission.

Keycloak's settings export (`authz/resource-server/settings`) names everything naturally:
clients by clientId, users by username, roles by name (`client/role` for a client's), groups by
path, resources, scopes and policies by name. kcconf reads that, and writes with ids it looks
up itself: Keycloak's write endpoints try a value as an id before a name, so a name that
happens to be another object's id would otherwise pick that object (docs/keycloak-facts.md
22.3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kcconf.errors import KcconfError, KeyPath
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.kinds.client import CLIENT, builtin_client
from kcconf.model.objects import Address

KEY = "authorization"  # a client item's key holding its authorization services
MANAGEMENT = "realm-management"  # its resource server holds the admin permissions (v1)


def client_of(address: Address) -> str:
    """The clientId of an authorization object's client (its parent)."""
    assert address.parent is not None and address.parent.kind == CLIENT
    return address.parent.name


def server_path(admin: RealmAdmin, client_id: str, *parts: str) -> str:
    """A path under a client's resource server."""
    return admin.path(ep.RESOURCE_SERVER.format(admin.client_uuid(client_id)), *parts)


def settings(admin: RealmAdmin, client_id: str) -> Mapping[str, Any] | None:
    """The client's authorization settings (every resource, scope, policy and permission, by
    natural names), read once per plan; None without a resource server."""
    uuid = admin.client_uuid(client_id)
    path = ep.RESOURCE_SERVER.format(uuid)
    return admin.document(path, lambda: ep.authz_settings(admin, uuid))


def spec_blocks(data: Mapping[str, Any]) -> Iterable[tuple[KeyPath, str, Mapping[str, Any]]]:
    """(key path, clientId, `authorization` block) of each client that writes one."""
    for path, client in base.items(data, "clients"):
        block = client.get(KEY)
        if isinstance(block, Mapping) and isinstance(client.get("clientId"), str):
            yield (*path, KEY), str(client["clientId"]), block


def served(admin: RealmAdmin, client_ids: Iterable[str]) -> list[tuple[str, Mapping[str, Any]]]:
    """(clientId, settings) of the clients that exist and have a resource server."""
    clients = admin.clients()
    found = []
    for client_id in sorted(client_ids):
        if client_id in clients:
            doc = settings(admin, client_id)
            if doc is not None:
                found.append((client_id, doc))
    return found


def protected(admin: RealmAdmin, client_id: str) -> bool:
    """Objects of a Keycloak client's resource server (realm-management's holds the admin
    permissions Keycloak makes) are never deleted by a prune."""
    return builtin_client(admin, client_id)


def config_list(rep: Mapping[str, Any], key: str) -> list[Any]:
    """A list Keycloak's export keeps in a policy's config as a JSON string."""
    raw = (rep.get("config") or {}).get(key)
    try:
        value = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        value = []
    return value if isinstance(value, list) else []


def item_id(admin: RealmAdmin, endpoint: ep.Endpoint, client_id: str, name: str) -> str:
    """The id of a resource, scope or policy of the client's resource server, by name."""
    found = admin.find(endpoint, name, admin.client_uuid(client_id))
    if found is None:
        raise KcconfError(f"{endpoint.label} {name!r} does not exist in client {client_id!r}")
    return str(found[endpoint.by])


def attach(
    admin: RealmAdmin, client_id: str, policy_id: str, names: Sequence[str], adding: bool
) -> None:
    """Add (or remove) policies, by name, to the policies a permission or aggregate policy
    applies. A policy PUT without `policies` keeps them, and one with the list replaces them,
    so the current list is read right before the write."""
    kind = admin.api.get(server_path(admin, client_id, "policy", policy_id))["type"]
    path = server_path(admin, client_id, "policy", str(kind), policy_id)
    current = admin.api.get(path)  # the typed representation: the generic one is not put back
    applied = admin.api.get(
        server_path(admin, client_id, "policy", policy_id, "associatedPolicies")
    )
    ids = {str(p["id"]) for p in applied or []}
    named = {item_id(admin, ep.AUTHZ_POLICIES, client_id, name) for name in names}
    ids = ids | named if adding else ids - named
    admin.api.put(path, {**current, "policies": sorted(ids)})
