"""Realm roles and client roles, with their composites.

A client role's address is `clientId/role`, the same form the spec uses to reference it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import role_refs
from kcconf.keycloak.rest import seg
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, marked, unflatten_into
from kcconf.spec.checker import SpecChecker

FIELDS = ("description",)

# Realm roles of every realm: offline_access, uma_authorization, and default-roles-<realm>.
BUILTIN_REALM_ROLES: frozenset[str] = frozenset({"offline_access", "uma_authorization"})
# Roles of Keycloak's own clients: AdminRoles (realm-management), AccountRoles (account), broker.
BUILTIN_CLIENT_ROLES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "realm-management": frozenset(
            {
                "realm-admin",
                "create-client",
                "impersonation",
                "manage-authorization",
                "manage-clients",
                "manage-events",
                "manage-identity-providers",
                "manage-realm",
                "manage-users",
                "query-clients",
                "query-groups",
                "query-realms",
                "query-users",
                "view-authorization",
                "view-clients",
                "view-events",
                "view-identity-providers",
                "view-realm",
                "view-users",
                "manage-organizations",  # these three: from 26.6 (BUILTIN_ROLES_SINCE)
                "query-organizations",
                "view-organizations",
            }
        ),
        "account": frozenset(
            {
                "delete-account",
                "manage-account",
                "manage-account-links",
                "manage-consent",
                "view-applications",
                "view-consent",
                "view-groups",
                "view-profile",
            }
        ),
        "broker": frozenset({"read-token"}),
        "account-console": frozenset(),
        "admin-cli": frozenset(),
        "security-admin-console": frozenset(),
    }
)
# Measured absent on 26.5.6 and present on 26.7.3 and 26.7.5; 26.6 (not served by Maven) is the
# release that brought fine-grained admin permissions for organizations. docs/keycloak-facts.md.
BUILTIN_ROLES_SINCE: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {f"realm-management/{verb}-organizations": (26, 6) for verb in ("manage", "query", "view")}
)


def default_roles_name(realm: str) -> str:
    """The realm's default role; Keycloak lowercases the realm name (RealmManager)."""
    return f"default-roles-{realm.lower()}"


def builtin_realm_roles(realm: str) -> frozenset[str]:
    """Every realm role Keycloak creates in the realm called `realm`."""
    return BUILTIN_REALM_ROLES | {default_roles_name(realm)}


def _split(address: Address) -> tuple[str, str]:
    """(clientId or "", role name) of a role address; role names hold no slash, clientIds may."""
    if address.kind == base.REALM_ROLE:
        return "", address.name
    client_id, _, name = address.name.rpartition("/")  # SAML clientIds may hold slashes
    return client_id, name


def _endpoint(admin: RealmAdmin, client_id: str) -> tuple[ep.Endpoint, tuple[str, ...]]:
    """The roles collection of the realm (client_id "") or of one client, with its parent."""
    if not client_id:
        return ep.REALM_ROLES, ()
    return ep.CLIENT_ROLES, (admin.client_uuid(client_id),)


def _composites(adding: bool) -> Any:
    def run(admin: RealmAdmin, address: Address, refs: Sequence[str]) -> None:
        role_id = admin.role(address.name)["id"]  # a realm role's name, or clientId/name
        body = [admin.role(ref) for ref in refs]
        ep.COMPOSITES.change(admin, role_id, body, adding)

    return run


class _RoleKind(base.Kind):
    """Realm roles, or the roles of declared clients; both have composites."""

    fields = FIELDS

    relations: ClassVar[Mapping[str, base.Relation]] = {
        "composites.realmRoles": base.Relation(
            "composites", base.REALM_ROLE, _composites(True), _composites(False)
        ),
        "composites.clientRoles": base.Relation(
            "composites", base.CLIENT_ROLE, _composites(True), _composites(False)
        ),
    }

    def _specs(self, data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
        raise NotImplementedError

    def _containers(self, admin: RealmAdmin, desired: State) -> Iterable[str]:
        raise NotImplementedError

    def _address(self, client_id: str, name: str) -> Address:
        return Address(self.name, f"{client_id}/{name}" if client_id else name)

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for client_id, spec in self._specs(ctx.doc.data):
            composites = base.role_relations(spec.get("composites") or {})
            relations = base.prefixed("composites", composites)
            prefix = f"{client_id}/" if client_id else ""
            address = self._address(client_id, spec["name"])
            previous = base.previous(spec, prefix)
            yield Obj(address, self.fields_of(spec), relations, previous=previous)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        containers = list(self._containers(admin, desired))
        listed = admin.each(f"reading {self.noun}s", admin.roles, containers)
        roles = {
            self._address(client_id, name): rep
            for client_id, found in zip(containers, listed, strict=True)
            for name, rep in found.items()
        }
        # Composites are read only for the roles whose composites the spec manages.
        managed = {a for a in roles if _manages(desired.wanted(a))}
        composites = _composites_of(admin, [a for a in managed if roles[a].get("composite")], roles)
        for address, rep in roles.items():
            relations = composites.get(address, NO_COMPOSITES) if address in managed else {}
            builtin = _builtin(admin.realm, *_split(address))
            yield self.live(address, rep, relations, protected=builtin)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        client_id, name = _split(change.address)
        body = marked(unflatten_into({"name": name}, change.target.fields), as_list=True)
        endpoint, parents = _endpoint(admin, client_id)
        endpoint.create(admin, body, *parents)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        client_id, name = _split(change.live_address)
        endpoint, parents = _endpoint(admin, client_id)
        rep: Mapping[str, Any] = admin.api.get(admin.path(endpoint.item(seg(name), *parents)))
        return rep

    def update(self, admin: RealmAdmin, change: Change) -> None:
        # The live address: a rename's PUT goes to the old name, carrying the new one.
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        client_id, name = _split(change.live_address)
        endpoint, parents = _endpoint(admin, client_id)
        endpoint.update(admin, seg(name), body, *parents)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        client_id, name = _split(change.live_address)
        endpoint, parents = _endpoint(admin, client_id)
        endpoint.delete(admin, seg(name), *parents)


class RealmRoleKind(_RoleKind):
    name = base.REALM_ROLE
    spec_key = "roles"
    after = ("realm",)
    prune_as = "realmRoles"

    def _specs(self, data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
        for spec in data.get("roles") or []:
            yield "", spec

    def _containers(self, admin: RealmAdmin, desired: State) -> Iterable[str]:
        return ("",)

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("roles",), "name", "realm role")

    def builtins(self, realm: str) -> frozenset[str]:
        return builtin_realm_roles(realm)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, "roles", "name")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, role in base.items(data, "roles"):
            yield from base.role_references((*path, "composites"), role.get("composites"))


class ClientRoleKind(_RoleKind):
    """A client's roles, addressed `clientId/role`: the form specs use to reference them."""

    name = base.CLIENT_ROLE
    spec_key = "roles"
    after = ("client",)
    prune_as = "clientRoles"
    container = "client"
    path_named = True
    since = BUILTIN_ROLES_SINCE

    def _specs(self, data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
        for client in data.get("clients") or []:
            for spec in client.get("roles") or []:
                yield client["clientId"], spec

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        # A client that writes `roles:` (even []) lists its roles in full: they may be pruned.
        written = {c["clientId"] for c in ctx.doc.data.get("clients") or [] if "roles" in c}
        ctx.containers[self.name] = written
        return super().desired(ctx)

    def _containers(self, admin: RealmAdmin, desired: State) -> Iterable[str]:
        wanted = {_split(a)[0] for a in desired.of_kind(self.name)}
        for client_id in sorted(wanted | desired.containers.get(self.name, set())):
            if client_id in admin.clients():  # else created by this plan, with its roles
                yield client_id

    def check(self, checker: SpecChecker) -> None:
        for path, client in checker.items(("clients",)):
            suffix = f" of client '{client.get('clientId')}'"
            checker.unique((*path, "roles"), "name", "role", suffix)

    def builtins(self, realm: str) -> frozenset[str]:
        return frozenset(f"{c}/{r}" for c, roles in BUILTIN_CLIENT_ROLES.items() for r in roles)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        names: set[str] = set()
        for _, client in base.items(data, "clients"):
            declared = base.declared_names(client, "roles", "name")
            if declared is None or not isinstance(client.get("clientId"), str):
                return None
            names |= {f"{client['clientId']}/{n}" for n in declared}
        return names

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, client in base.items(data, "clients"):
            for role_path, role in base.items(client, "roles"):
                where = (*path, *role_path, "composites")
                yield from base.role_references(where, role.get("composites"))

    def describe(self, name: str) -> tuple[str, str]:
        client_id, _, role = name.rpartition("/")
        return f"role '{role}' of client '{client_id}'", "that client's roles"

    def exists(self, admin: RealmAdmin, name: str) -> bool:
        client_id, _, role = name.rpartition("/")
        return client_id in admin.clients() and role in admin.roles(client_id)


NO_COMPOSITES = {
    "composites.realmRoles": frozenset[str](),
    "composites.clientRoles": frozenset[str](),
}


def _manages(want: Obj | None) -> bool:
    return want is not None and bool(want.relations)


def _composites_of(
    admin: RealmAdmin, addresses: Sequence[Address], roles: Mapping[Address, Mapping[str, Any]]
) -> dict[Address, dict[str, frozenset[str]]]:
    """The composites of each role, as the two relations."""
    clients = admin.client_ids_by_uuid()  # read once, before the threads share it
    found = admin.each(
        "reading composite roles' children",
        lambda address: ep.COMPOSITES.read(admin, roles[address]["id"]),
        addresses,
    )
    out = {}
    for address, children in zip(addresses, found, strict=True):
        realm, client = role_refs(children, clients)
        out[address] = {
            "composites.realmRoles": frozenset(realm),
            "composites.clientRoles": frozenset(client),
        }
    return out


def _builtin(realm: str, client_id: str, name: str) -> bool:
    if not client_id:
        master_only = {"admin", "create-realm"} if realm == "master" else set()
        return name in builtin_realm_roles(realm) | master_only
    # uma_protection: Keycloak adds it to every client with authorization services.
    return name in BUILTIN_CLIENT_ROLES.get(client_id, ()) or name == "uma_protection"


KINDS = (RealmRoleKind(), ClientRoleKind())
