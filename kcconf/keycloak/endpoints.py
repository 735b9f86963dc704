"""Keycloak's admin REST surface, described once: each resource's collection, key and paging.

Paths are relative to `admin/realms/{realm}/`; `{0}`, `{1}` stand for parent ids (a client's id
for its roles or mappers). Kinds, checks and the token preview all reach Keycloak through these
descriptions and `RoleMappings`, so a URL is written in one place. The facts behind each
(page caps, brief representations, bodies) are in docs/keycloak-facts.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from kcconf.errors import KeycloakError
from kcconf.keycloak.rest import Api, seg

Rep = dict[str, Any]


class RealmAdmin(Protocol):
    """What the descriptions need of a realm's admin client (kcconf.keycloak.admin): its
    connection, paths under the realm, paged lists, and ids by natural key."""

    api: Api

    def path(self, *parts: str) -> str: ...

    def paged(self, path: str, **params: Any) -> list[Rep]: ...

    def client_uuid(self, client_id: str) -> str: ...

    def scope_id(self, name: str) -> str: ...

    def role(self, ref: str) -> Rep: ...


@dataclass(frozen=True)
class Endpoint:
    """One collection resource: list it, create in it, and read, update or delete an item."""

    collection: str  # "clients", "clients/{0}/roles"
    key: str  # the natural key of an item: "clientId", "name", "username"
    label: str  # how an error names one item: "client"
    paged: bool = True  # takes first/max (some lists cap at 100 without them)
    params: Mapping[str, str] = field(default_factory=dict)  # extra list parameters
    by: str = "id"  # the item path segment: its "id", or its natural key ("name" for roles)

    def path(self, *parents: str) -> str:
        return self.collection.format(*parents)

    def item(self, segment: str, *parents: str) -> str:
        return f"{self.path(*parents)}/{segment}"

    def list(self, admin: RealmAdmin, *parents: str) -> list[Rep]:
        if self.paged:
            return admin.paged(self.path(*parents), **self.params)
        return list(admin.api.get(admin.path(self.path(*parents)), **self.params) or [])

    def create(self, admin: RealmAdmin, body: Mapping[str, Any], *parents: str) -> str | None:
        """POST a new item; Keycloak's id for it, from the Location header, when it sends one."""
        return admin.api.post(admin.path(self.path(*parents)), body)

    def update(
        self, admin: RealmAdmin, segment: str, body: Mapping[str, Any], *parents: str
    ) -> None:
        """PUT an item. Keycloak's PUTs replace what they are sent: callers send the live
        representation with their changes written in (read-modify-write)."""
        admin.api.put(admin.path(self.item(segment, *parents)), body)

    def delete(self, admin: RealmAdmin, segment: str, *parents: str) -> None:
        admin.api.delete(admin.path(self.item(segment, *parents)))


BRIEF_OFF = {"briefRepresentation": "false"}
BRIEF_ON = {"briefRepresentation": "true"}

CLIENTS = Endpoint("clients", "clientId", "client")
CLIENT_SCOPES = Endpoint("client-scopes", "name", "client scope", paged=False)
REALM_ROLES = Endpoint("roles", "name", "role", params=BRIEF_OFF, by="name")
CLIENT_ROLES = Endpoint("clients/{0}/roles", "name", "role", params=BRIEF_OFF, by="name")
USERS = Endpoint("users", "username", "user", params=BRIEF_OFF)
USERS_BRIEF = Endpoint("users", "username", "user", params=BRIEF_ON)
GROUPS = Endpoint("groups", "path", "group", params=BRIEF_OFF)
GROUP_CHILDREN = Endpoint("groups/{0}/children", "name", "group", params=BRIEF_OFF)
USER_GROUPS = Endpoint("users/{0}/groups", "path", "group")
# Direct members only, as a user's groups and role mappings are (docs/keycloak-facts.md 17.1).
GROUP_MEMBERS = Endpoint("groups/{0}/members", "username", "member", params=BRIEF_ON)
ROLE_MEMBERS = Endpoint("roles/{0}/users", "username", "member", params=BRIEF_ON)
CLIENT_MAPPERS = Endpoint("clients/{0}/protocol-mappers/models", "name", "mapper", paged=False)
REQUIRED_ACTIONS = Endpoint(
    "authentication/required-actions", "alias", "required action", paged=False, by="alias"
)
SCOPE_MAPPERS = Endpoint("client-scopes/{0}/protocol-mappers/models", "name", "mapper", paged=False)
IDENTITY_PROVIDERS = Endpoint(
    "identity-provider/instances", "alias", "identity provider", paged=False, by="alias"
)
IDP_MAPPERS = Endpoint(
    "identity-provider/instances/{0}/mappers", "name", "identity provider mapper", paged=False
)
ORGANIZATIONS = Endpoint("organizations", "alias", "organization", params=BRIEF_OFF)
# An organization's linked identity providers and members; POSTs take the bare alias or user id.
ORGANIZATION_IDPS = Endpoint("organizations/{0}/identity-providers", "alias", "identity provider")
ORGANIZATION_MEMBERS = Endpoint("organizations/{0}/members", "username", "member", params=BRIEF_ON)
# Components (user federation providers and their mappers, keys): one collection, listed by the
# `type` (providerType) and `parent` (parentId) query parameters; items by id.
COMPONENTS = Endpoint("components", "name", "component", paged=False)


def components(provider_type: str, parent: str = "") -> Endpoint:
    """The components of one provider type (under one parent, when given)."""
    params = {"type": provider_type, **({"parent": parent} if parent else {})}
    return replace(COMPONENTS, params=params)


# A client's authorization services (its resource server), by the client's id. The policy list
# holds the permissions too: both are policies to Keycloak, sharing one namespace of names.
RESOURCE_SERVER = "clients/{0}/authz/resource-server"
AUTHZ_SCOPES = Endpoint(f"{RESOURCE_SERVER}/scope", "name", "authorization scope")
AUTHZ_RESOURCES = Endpoint(
    f"{RESOURCE_SERVER}/resource", "name", "authorization resource", by="_id"
)
AUTHZ_POLICIES = Endpoint(f"{RESOURCE_SERVER}/policy", "name", "authorization policy")


class Realm:
    """The realm's own representation: `admin/realms/{realm}` itself."""

    @staticmethod
    def read(admin: RealmAdmin) -> Rep:
        rep: Rep = admin.api.get(admin.path(""))
        return rep

    @staticmethod
    def create(admin: RealmAdmin, body: Mapping[str, Any]) -> None:
        admin.api.post("", body)  # `admin/realms` takes new realms

    @staticmethod
    def update(admin: RealmAdmin, body: Mapping[str, Any]) -> None:
        admin.api.put(admin.path(""), body)


@dataclass(frozen=True)
class Links:
    """A set of links an owner holds and changes one item at a time: `users/{0}/groups/{1}`."""

    collection: str

    def read(self, admin: RealmAdmin, owner: str = "") -> list[Rep]:
        return list(admin.api.get(admin.path(self.collection.format(owner))) or [])

    def change(self, admin: RealmAdmin, owner: str, targets: Iterable[str], adding: bool) -> None:
        for target in targets:
            path = admin.path(self.collection.format(owner), target)
            if adding:
                admin.api.put(path)
            else:
                admin.api.delete(path)


@dataclass(frozen=True)
class Composites:
    """A role's composite children, by the role's id: read as representations, changed in
    one request of id-and-name bodies."""

    collection: str

    def read(self, admin: RealmAdmin, role_id: str) -> list[Rep]:
        return list(admin.api.get(admin.path(self.collection.format(role_id))) or [])

    def change(self, admin: RealmAdmin, role_id: str, body: Sequence[Rep], adding: bool) -> None:
        send = admin.api.post if adding else admin.api.delete
        send(admin.path(self.collection.format(role_id)), body)


COMPOSITES = Composites("roles-by-id/{0}/composites")
MEMBERSHIPS = Links("users/{0}/groups")
DEFAULT_GROUPS = Links("default-groups")  # the realm's: groups every new user joins


@dataclass(frozen=True)
class Placement:
    """A set of client scopes attached to an owner: PUT and DELETE one scope by its id.

    `clients/{0}/default-client-scopes` (a client's) or `default-default-client-scopes` (the
    realm's, for clients created later)."""

    collection: str

    def names(self, admin: RealmAdmin, *parents: str) -> set[str]:
        found = admin.api.get(admin.path(self.collection.format(*parents))) or []
        return {str(s["name"]) for s in found}

    def add(self, admin: RealmAdmin, names: Iterable[str], *parents: str) -> None:
        for name in names:
            admin.api.put(self._item(admin, name, parents))

    def remove(self, admin: RealmAdmin, names: Iterable[str], *parents: str) -> None:
        for name in names:
            admin.api.delete(self._item(admin, name, parents))

    def _item(self, admin: RealmAdmin, name: str, parents: Sequence[str]) -> str:
        return admin.path(self.collection.format(*parents), admin.scope_id(name))


@dataclass(frozen=True)
class RoleMappings:
    """The roles mapped to an owner: a user's or group's role mappings, a client's or client
    scope's scope mappings. Read as natural keys (`role`, `clientId/role`); written per realm
    and per client, with bodies of id and name (scope mappings look roles up by id, role
    mappings by name)."""

    collection: str  # "users/{0}/role-mappings"

    def read(self, admin: RealmAdmin, *parents: str) -> tuple[set[str], set[str]]:
        """(realm role names, `clientId/role` refs) mapped directly, not through composites."""
        body = admin.api.get(admin.path(self.collection.format(*parents))) or {}
        realm = {str(r["name"]) for r in body.get("realmMappings") or []}
        clients = {
            f"{client_id}/{r['name']}"
            for client_id, entry in (body.get("clientMappings") or {}).items()
            for r in entry.get("mappings") or []
        }
        return realm, clients

    def change(self, admin: RealmAdmin, refs: Sequence[str], adding: bool, *parents: str) -> None:
        """Map (or unmap) `refs`, one request for the realm's roles and one per client."""
        by_client: dict[str, list[str]] = {}
        for ref in refs:
            by_client.setdefault(ref.rpartition("/")[0], []).append(ref)
        base = self.collection.format(*parents)
        send = admin.api.post if adding else admin.api.delete
        for client_id, group in sorted(by_client.items()):
            where = "realm" if not client_id else f"clients/{admin.client_uuid(client_id)}"
            send(admin.path(base, where), [admin.role(ref) for ref in group])

    def composite(self, admin: RealmAdmin, client_id: str, *parents: str) -> set[str]:
        """Names of one client's roles the owner has effectively (composites expanded)."""
        path = admin.path(
            self.collection.format(*parents), "clients", admin.client_uuid(client_id), "composite"
        )
        return {str(r["name"]) for r in admin.api.get(path) or []}


USER_ROLE_MAPPINGS = RoleMappings("users/{0}/role-mappings")
GROUP_ROLE_MAPPINGS = RoleMappings("groups/{0}/role-mappings")
CLIENT_SCOPE_MAPPINGS = RoleMappings("clients/{0}/scope-mappings")
SCOPE_SCOPE_MAPPINGS = RoleMappings("client-scopes/{0}/scope-mappings")
CLIENT_DEFAULT_SCOPES = Placement("clients/{0}/default-client-scopes")
CLIENT_OPTIONAL_SCOPES = Placement("clients/{0}/optional-client-scopes")
REALM_DEFAULT_SCOPES = Placement("default-default-client-scopes")
REALM_OPTIONAL_SCOPES = Placement("default-optional-client-scopes")


def service_account_user(admin: RealmAdmin, client_uuid: str) -> Rep:
    """The user Keycloak keeps for a client with service accounts enabled (400 otherwise)."""
    user: Rep = admin.api.get(admin.path(f"clients/{client_uuid}/service-account-user"))
    return user


class Localization:
    """A realm's localization texts, per locale: `localization/{locale}` merges what it is
    sent (a map of key -> text)."""

    @staticmethod
    def locales(admin: RealmAdmin) -> set[str]:
        return set(admin.api.get(admin.path("localization")) or [])

    @staticmethod
    def texts(admin: RealmAdmin, locale: str) -> dict[str, str]:
        return dict(admin.api.get(admin.path(f"localization/{locale}")) or {})

    @staticmethod
    def merge(admin: RealmAdmin, locale: str, texts: Mapping[str, Any]) -> None:
        admin.api.post(admin.path(f"localization/{locale}"), texts)


def authz_settings(admin: RealmAdmin, client_uuid: str) -> Rep | None:
    """A client's authorization settings as Keycloak exports them: every resource, scope,
    policy and permission, each naming the others (and clients, users, roles, groups) by
    natural name; None when the client has no resource server (404)."""
    path = admin.path(RESOURCE_SERVER.format(client_uuid), "settings")
    try:
        rep: Rep = admin.api.get(path)
    except KeycloakError as exc:
        if exc.status == 404:
            return None
        raise
    return rep


def management_permissions(admin: RealmAdmin, client_uuid: str = "") -> Rep:
    """Fine-grained admin permissions (v1) of a client, or of the realm's users (no id):
    `{enabled, resource, scopePermissions: {scope: permission id}}`."""
    found: Rep = admin.api.get(admin.path(_management(client_uuid)))
    return found


def set_management_permissions(admin: RealmAdmin, enabled: bool, client_uuid: str = "") -> None:
    admin.api.put(admin.path(_management(client_uuid)), {"enabled": enabled})


def _management(client_uuid: str) -> str:
    if client_uuid:
        return f"clients/{client_uuid}/management/permissions"
    return "users-management-permissions"


def user_profile(admin: RealmAdmin) -> Rep:
    """The realm's user profile configuration (Keycloak 24+)."""
    profile: Rep = admin.api.get(admin.path("users/profile"))
    return profile


def update_user_profile(admin: RealmAdmin, body: Mapping[str, Any]) -> None:
    admin.api.put(admin.path("users/profile"), body)


@dataclass(frozen=True)
class ClientPolicies:
    """One of the realm's client-policy documents (`client-policies/profiles`, `.../policies`):
    read and written whole, its own entries under `key`; the global (built-in) entries come
    under `global_key` when asked for with `include` and are never written."""

    path: str
    key: str
    global_key: str
    include: str

    def read(self, admin: RealmAdmin) -> tuple[list[Rep], list[Rep]]:
        """(the realm's entries, the global ones)."""
        found = admin.api.get(admin.path(self.path), **{self.include: "true"}) or {}
        return list(found.get(self.key) or []), list(found.get(self.global_key) or [])

    def write(self, admin: RealmAdmin, entries: Sequence[Rep]) -> None:
        admin.api.put(admin.path(self.path), {self.key: list(entries)})


CLIENT_PROFILES = ClientPolicies(
    "client-policies/profiles", "profiles", "globalProfiles", "include-global-profiles"
)
CLIENT_POLICIES = ClientPolicies(
    "client-policies/policies", "policies", "globalPolicies", "include-global-policies"
)


def reset_password(admin: RealmAdmin, user_id: str, credential: Mapping[str, Any]) -> None:
    admin.api.put(admin.path(f"users/{user_id}/reset-password"), credential)


def example_access_token(admin: RealmAdmin, client_uuid: str, **params: str) -> Rep:
    """The claims of the access token Keycloak would issue to a user through a client, built
    without a login (evaluate-scopes)."""
    path = f"clients/{client_uuid}/evaluate-scopes/generate-example-access-token"
    claims: Rep = admin.api.get(admin.path(path), **params)
    return claims


def role_refs(
    reps: Iterable[Mapping[str, Any]], client_ids: Mapping[str, str]
) -> tuple[set[str], set[str]]:
    """Role representations (a composite's children) as natural keys: names and `clientId/name`."""
    realm: set[str] = set()
    clients: set[str] = set()
    for rep in reps:
        if rep.get("clientRole"):
            client = client_ids.get(rep["containerId"], rep["containerId"])
            clients.add(f"{client}/{rep['name']}")
        else:
            realm.add(str(rep["name"]))
    return realm, clients


class Flows:
    """Authentication flows: top-level flows by alias, their executions as one flat list in
    order (`level` and `index` give the tree), sub-flows and authenticator configs by id, and
    an execution moved one place at a time (docs/keycloak-facts.md 19)."""

    TOP = Endpoint("authentication/flows", "alias", "authentication flow", paged=False)

    @staticmethod
    def executions(admin: RealmAdmin, alias: str) -> list[Rep]:
        return list(admin.api.get(admin.path(f"authentication/flows/{seg(alias)}/executions")))

    @staticmethod
    def flow(admin: RealmAdmin, flow_id: str) -> Rep:
        rep: Rep = admin.api.get(admin.path(f"authentication/flows/{seg(flow_id)}"))
        return rep

    @staticmethod
    def update_flow(admin: RealmAdmin, rep: Mapping[str, Any]) -> None:
        admin.api.put(admin.path(f"authentication/flows/{seg(str(rep['id']))}"), rep)

    @staticmethod
    def add_execution(admin: RealmAdmin, alias: str, provider: str) -> None:
        path = f"authentication/flows/{seg(alias)}/executions/execution"
        admin.api.post(admin.path(path), {"provider": provider})

    @staticmethod
    def add_flow(admin: RealmAdmin, alias: str, body: Mapping[str, Any]) -> None:
        admin.api.post(admin.path(f"authentication/flows/{seg(alias)}/executions/flow"), body)

    @staticmethod
    def update_execution(admin: RealmAdmin, alias: str, rep: Mapping[str, Any]) -> None:
        admin.api.put(admin.path(f"authentication/flows/{seg(alias)}/executions"), rep)

    @staticmethod
    def delete_execution(admin: RealmAdmin, execution_id: str) -> None:
        admin.api.delete(admin.path(f"authentication/executions/{seg(execution_id)}"))

    @staticmethod
    def move(admin: RealmAdmin, execution_id: str, up: bool) -> None:
        way = "raise-priority" if up else "lower-priority"
        admin.api.post(admin.path(f"authentication/executions/{seg(execution_id)}/{way}"), {})

    @staticmethod
    def config(admin: RealmAdmin, config_id: str) -> Rep:
        rep: Rep = admin.api.get(admin.path(f"authentication/config/{seg(config_id)}"))
        return rep

    @staticmethod
    def add_config(admin: RealmAdmin, execution_id: str, body: Mapping[str, Any]) -> None:
        path = f"authentication/executions/{seg(execution_id)}/config"
        admin.api.post(admin.path(path), body)

    @staticmethod
    def update_config(admin: RealmAdmin, rep: Mapping[str, Any]) -> None:
        admin.api.put(admin.path(f"authentication/config/{seg(str(rep['id']))}"), rep)
