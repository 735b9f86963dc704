"""Clients: their settings, secret, default and optional scopes, and scope mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.kinds.client_scope import SCOPE
from kcconf.kinds.role import BUILTIN_CLIENT_ROLES
from kcconf.kinds.user import user_roles
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    Secret,
    State,
    marked,
    owned,
    text,
    unflatten_into,
)
from kcconf.spec.checker import SpecChecker

FIELDS = (
    "name",
    "description",
    "enabled",
    "publicClient",
    "bearerOnly",
    "protocol",
    "standardFlowEnabled",
    "implicitFlowEnabled",
    "directAccessGrantsEnabled",
    "serviceAccountsEnabled",
    "authorizationServicesEnabled",
    "redirectUris",
    "webOrigins",
    "rootUrl",
    "baseUrl",
    "fullScopeAllowed",
    "attributes",
)
# Sub-resources a client PUT must not carry: mappers would be synchronised to what was read,
# and the scope lists are ignored by the admin PUT anyway (docs/keycloak-facts.md 3.3, 3.4).
NOT_PUT = ("protocolMappers", "defaultClientScopes", "optionalClientScopes")


def live_fields(rep: Mapping[str, Any]) -> dict[str, Any]:
    """A client as read: the admin API sends the secret in clear, so it is wrapped at once."""
    fields = ClientKind().fields_of(rep)
    if rep.get("secret") is not None:
        fields["secret"] = Secret(str(rep["secret"]))
    return fields


CLIENT = "client"
UMA_PROTECTION = "uma_protection"  # the role Keycloak makes with authorization services
PLACEMENTS = {
    "defaultClientScopes": ("default", ep.CLIENT_DEFAULT_SCOPES),
    "optionalClientScopes": ("optional", ep.CLIENT_OPTIONAL_SCOPES),
}
# Keycloak's own clients: RealmManager.setDefaultsForNewRealm (admin, account, broker, consoles).
BUILTIN_CLIENTS: frozenset[str] = frozenset(BUILTIN_CLIENT_ROLES)


def _uuid(admin: RealmAdmin, address: Address) -> str:
    return admin.client_uuid(address.name)


def _service_user(admin: RealmAdmin, address: Address) -> str:
    """The id of the client's service-account user, whose role mappings are the client's."""
    return str(ep.service_account_user(admin, _uuid(admin, address))["id"])


SCOPE_MAPPINGS = base.RoleRefs(ep.CLIENT_SCOPE_MAPPINGS, _uuid, "scope mappings", "scopeMappings")
SERVICE_ROLES = base.RoleRefs(
    ep.USER_ROLE_MAPPINGS, _service_user, "service-account roles", "serviceAccountRoles"
)


def _scope_relation(which: str, placement: ep.Placement) -> base.Relation:
    def add(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
        placement.add(admin, names, _uuid(admin, address))

    def remove(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
        placement.remove(admin, names, _uuid(admin, address))

    return base.Relation(f"{which} scopes", SCOPE, add, remove, on_create=True)


class ClientKind(base.Kind):
    name = CLIENT
    spec_key = "clients"
    after = (SCOPE, "realm-role")
    name_field = "clientId"
    fields = FIELDS
    endpoint = ep.CLIENTS
    not_put = NOT_PUT
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": text}
    relations: ClassVar[Mapping[str, base.Relation]] = {
        **{key: _scope_relation(which, where) for key, (which, where) in PLACEMENTS.items()},
        **SCOPE_MAPPINGS.relations,
        **SERVICE_ROLES.relations,
    }

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get("clients") or []):
            fields = self.fields_of(spec)
            if "secret" in spec:
                secret = ctx.secret(("clients", i, "secret"), spec["secret"])
                if secret is not None:
                    fields["secret"] = secret
            relations = {k: frozenset(spec[k]) for k in PLACEMENTS if k in spec}
            relations |= SCOPE_MAPPINGS.desired(spec) | SERVICE_ROLES.desired(spec)
            address = Address(self.name, spec["clientId"])
            yield Obj(address, fields, relations, previous=base.previous(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        clients = admin.clients()
        wanted = {c: desired.wanted(Address(self.name, c)) for c in clients}
        read = [c for c, w in wanted.items() if SCOPE_MAPPINGS.wanted(w) or SERVICE_ROLES.wanted(w)]
        found = admin.each(
            "reading clients' scope mappings",
            lambda client_id: _relations(admin, clients[client_id], wanted[client_id]),
            read,
        )
        more = dict(zip(read, found, strict=True))
        for client_id, rep in clients.items():
            relations = {k: frozenset(rep.get(k) or ()) for k in PLACEMENTS}
            yield Obj(
                Address(self.name, client_id),
                live_fields(rep),
                relations | more.get(client_id, {}),
                raw=rep,
                owned=owned(rep),
                protected=builtin_client(admin, client_id),
            )

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"clientId": change.address.name}, change.target.fields)
        # Given explicitly, these lists replace the realm defaults Keycloak would attach.
        for key in PLACEMENTS:
            if key in change.target.relations:
                body[key] = sorted(change.target.relations[key])
        ep.CLIENTS.create(admin, marked(body))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clients",), "clientId", "clientId")
        for path, _ in checker.items(("clients",)):
            checker.exclusive(*((*path, key) for key in PLACEMENTS))
            spec = checker.get(path)
            if SERVICE_ROLES.key in spec and spec.get("serviceAccountsEnabled") is not True:
                checker.report(
                    (*path, SERVICE_ROLES.key),
                    f"{SERVICE_ROLES.key} needs serviceAccountsEnabled: true on the same client "
                    "(a client without service accounts has no service-account user)",
                )

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENTS

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, "clients", "clientId")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, client in base.items(data, "clients"):
            for key in PLACEMENTS:
                for i, name in enumerate(client.get(key) or []):
                    yield base.Reference((*path, key, i), SCOPE, name)
            yield from SCOPE_MAPPINGS.references(path, client)
            yield from SERVICE_ROLES.references(path, client)


def _relations(
    admin: RealmAdmin, rep: Mapping[str, Any], want: Obj | None
) -> dict[str, frozenset[str]]:
    """The relations read per client: its scope mappings and its service account's roles,
    each only when the spec manages them."""
    relations: dict[str, frozenset[str]] = {}
    if want is not None and SCOPE_MAPPINGS.wanted(want):
        relations |= SCOPE_MAPPINGS.read(admin, rep["id"])
    if want is not None and SERVICE_ROLES.wanted(want):
        relations |= _service_roles(admin, rep, want)
    return relations


def _service_roles(
    admin: RealmAdmin, rep: Mapping[str, Any], want: Obj
) -> dict[str, frozenset[str]]:
    """The service-account user's direct role mappings; none while service accounts are off
    (the plan turns them on before the roles are mapped). Keycloak gives that user
    default-roles-<realm>, left alone unless listed, as for any user."""
    if not rep.get("serviceAccountsEnabled"):
        return SERVICE_ROLES.none()
    user_id = str(ep.service_account_user(admin, str(rep["id"]))["id"])
    found = user_roles(admin, user_id, want, SERVICE_ROLES)
    # Keycloak gives a client with authorization services this role of its own, mapped to its
    # service account (docs/keycloak-facts.md 22.6): left alone unless listed, as above.
    made, key = f"{rep['clientId']}/{UMA_PROTECTION}", SERVICE_ROLES.name("clientRoles")
    if made not in want.relations.get(key, ()):
        found[key] -= {made}
    return found


def builtin_client(admin: RealmAdmin, client_id: str) -> bool:
    """Keycloak's own clients, and in master the `<realm>-realm` clients that administer realms."""
    in_master = admin.realm == "master" and client_id.endswith("-realm")
    return client_id in BUILTIN_CLIENTS or in_master


KINDS = (ClientKind(),)
