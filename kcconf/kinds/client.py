"""Clients: their settings, secret, default and optional scopes, and scope mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds.base import (
    RENAMED_FROM,
    Kind,
    Reference,
    Relation,
    Schema,
    SpecContext,
    declared_names,
    items,
    mapping_relations,
    pick,
    prefixed,
    previous,
    prune_policy,
    read_mappings,
    role_references,
    role_relations,
)
from kcconf.kinds.client_scope import SCOPE
from kcconf.kinds.role import BUILTIN_CLIENT_ROLES
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    Secret,
    State,
    marked,
    owned,
    unflatten_into,
    with_string_attributes,
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


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return with_string_attributes(pick(rep, FIELDS))


def live_fields(rep: Mapping[str, Any]) -> dict[str, Any]:
    """A client as read: the admin API sends the secret in clear, so it is wrapped at once."""
    fields = fields_of(rep)
    if rep.get("secret") is not None:
        fields["secret"] = Secret(str(rep["secret"]))
    return fields


CLIENT = "client"
PLACEMENTS = {
    "defaultClientScopes": ("default", ep.CLIENT_DEFAULT_SCOPES),
    "optionalClientScopes": ("optional", ep.CLIENT_OPTIONAL_SCOPES),
}
# Keycloak's own clients: RealmManager.setDefaultsForNewRealm (admin, account, broker, consoles).
BUILTIN_CLIENTS: frozenset[str] = frozenset(BUILTIN_CLIENT_ROLES)


def _uuid(admin: RealmAdmin, address: Address) -> str:
    return admin.client_uuid(address.name)


def _scope_relation(which: str, placement: ep.Placement) -> Relation:
    def add(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
        placement.add(admin, names, _uuid(admin, address))

    def remove(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
        placement.remove(admin, names, _uuid(admin, address))

    return Relation(f"{which} scopes", SCOPE, add, remove, on_create=True)


class ClientKind(Kind):
    name = CLIENT
    spec_key = "clients"
    label = "client"
    after = (SCOPE, "realm-role")
    prune_key = "clients"
    name_field = "clientId"
    relations: ClassVar[Mapping[str, Relation]] = {
        **{key: _scope_relation(which, where) for key, (which, where) in PLACEMENTS.items()},
        **mapping_relations(ep.CLIENT_SCOPE_MAPPINGS, _uuid, "scope mappings", "scopeMappings"),
    }

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get("clients") or []):
            fields = fields_of(spec)
            if "secret" in spec:
                secret = ctx.secret(("clients", i, "secret"), spec["secret"])
                if secret is not None:
                    fields["secret"] = secret
            relations = {k: frozenset(spec[k]) for k in PLACEMENTS if k in spec}
            relations |= prefixed("scopeMappings", role_relations(spec.get("scopeMappings") or {}))
            address = Address(self.name, spec["clientId"])
            yield Obj(address, fields, relations, previous=previous(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        for client_id, rep in admin.clients().items():
            address = Address(self.name, client_id)
            fields = live_fields(rep)
            relations = {k: frozenset(rep.get(k) or ()) for k in PLACEMENTS}
            want = desired.wanted(address)
            if want is not None and any(k.startswith("scopeMappings.") for k in want.relations):
                relations |= read_mappings(
                    ep.CLIENT_SCOPE_MAPPINGS, admin, rep["id"], "scopeMappings"
                )
            yield Obj(
                address,
                fields,
                relations,
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

    def update(self, admin: RealmAdmin, change: Change) -> None:
        raw = {k: v for k, v in change.live_raw.items() if k not in NOT_PUT}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        ep.CLIENTS.update(admin, str(raw["id"]), body)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        ep.CLIENTS.delete(admin, str(change.live_raw["id"]))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clients",), "clientId", "clientId")
        for path, _ in checker.items(("clients",)):
            checker.exclusive(*((*path, key) for key in PLACEMENTS))

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENTS

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return declared_names(data, "clients", "clientId")

    def references(self, data: Mapping[str, Any]) -> Iterable[Reference]:
        for path, client in items(data, "clients"):
            for key in PLACEMENTS:
                for i, name in enumerate(client.get(key) or []):
                    yield Reference((*path, key, i), SCOPE, name)
            yield from role_references((*path, "scopeMappings"), client.get("scopeMappings"))

    def schema(self) -> Schema:
        return SCHEMA


def builtin_client(admin: RealmAdmin, client_id: str) -> bool:
    """Keycloak's own clients, and in master the `<realm>-realm` clients that administer realms."""
    in_master = admin.realm == "master" and client_id.endswith("-realm")
    return client_id in BUILTIN_CLIENTS or in_master


KINDS = (ClientKind(),)

SCHEMA: Schema = {
    "item": "client",
    "property": {
        "description": "Clients declared by this file. Clients not declared here are left alone.",
        "type": "array",
        "items": {"$ref": "#/$defs/client"},
    },
    "defs": {
        "client": {
            "description": "A client, keyed by clientId.",
            "type": "object",
            "required": ["clientId"],
            "additionalProperties": False,
            "properties": {
                "clientId": {
                    "description": "The client's clientId (its natural key).",
                    "$ref": "#/$defs/name",
                },
                "name": {"description": "Display name.", "type": "string"},
                "description": {"description": "Shown in the admin console.", "type": "string"},
                "enabled": {"description": "Whether the client can be used.", "type": "boolean"},
                "publicClient": {
                    "description": "A public client has no secret.",
                    "type": "boolean",
                },
                "bearerOnly": {"description": "Only accepts bearer tokens.", "type": "boolean"},
                "protocol": {"$ref": "#/$defs/protocol"},
                "standardFlowEnabled": {
                    "description": "Authorization code flow.",
                    "type": "boolean",
                },
                "implicitFlowEnabled": {"description": "Implicit flow.", "type": "boolean"},
                "directAccessGrantsEnabled": {
                    "description": "Resource owner password grant.",
                    "type": "boolean",
                },
                "serviceAccountsEnabled": {
                    "description": "Client credentials grant.",
                    "type": "boolean",
                },
                "redirectUris": {
                    "description": "Valid redirect URIs.",
                    "$ref": "#/$defs/stringList",
                },
                "webOrigins": {
                    "description": "Allowed CORS origins.",
                    "$ref": "#/$defs/stringList",
                },
                "rootUrl": {
                    "description": "Root URL prepended to relative URLs.",
                    "type": "string",
                },
                "baseUrl": {"description": "Default URL of the client.", "type": "string"},
                "fullScopeAllowed": {
                    "description": "Off to limit tokens to scopeMappings.",
                    "type": "boolean",
                },
                "attributes": {
                    "description": "Client attributes, merged key by key.",
                    "$ref": "#/$defs/scalarAttributes",
                },
                "secret": {
                    "description": (
                        "Confidential clients only: the client secret, read from an environment "
                        "variable."
                    ),
                    "$ref": "#/$defs/envSecret",
                    "x-kcconf-secret": True,
                },
                "defaultClientScopes": {
                    "description": "Default client scopes. Exact when written.",
                    "$ref": "#/$defs/nameList",
                },
                "optionalClientScopes": {
                    "description": "Optional client scopes. Exact when written.",
                    "$ref": "#/$defs/nameList",
                },
                "scopeMappings": {
                    "description": "The client's own role scope. Exact when written.",
                    "$ref": "#/$defs/roleRefs",
                },
                "roles": {
                    "description": (
                        "This client's roles. Roles of the client not declared here are left alone."
                    ),
                    "type": "array",
                    "items": {"$ref": "#/$defs/role"},
                },
                "renamedFrom": RENAMED_FROM,
            },
        },
    },
    "prune": prune_policy(),
}
