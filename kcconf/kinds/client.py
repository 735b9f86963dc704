"""Clients: their settings, secret, default and optional scopes, and scope mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.builtins import BUILTIN_CLIENTS
from kcconf.keycloak.admin import Index, mapping_refs
from kcconf.kinds.base import (
    MappingEndpoint,
    Relation,
    SpecContext,
    pick,
    prefixed,
    previous,
    role_relations,
)
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
SCOPE_LISTS = {"defaultClientScopes": "default", "optionalClientScopes": "optional"}
# Sub-resources a client PUT must not carry: mappers would be synchronised to what was read,
# and the scope lists are ignored by the admin PUT anyway (KEYCLOAK.md 2.2).
NOT_PUT = ("protocolMappers", "defaultClientScopes", "optionalClientScopes")


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return with_string_attributes(pick(rep, FIELDS))


def live_fields(rep: Mapping[str, Any]) -> dict[str, Any]:
    """A client as read: the admin API sends the secret in clear, so it is wrapped at once."""
    fields = fields_of(rep)
    if rep.get("secret") is not None:
        fields["secret"] = Secret(str(rep["secret"]))
    return fields


def _scope_relation(which: str) -> Relation:
    def path(index: Index, address: Address, name: str) -> str:
        uuid = index.client_uuid(address.name)
        return index.path("clients", uuid, f"{which}-client-scopes", index.scope_id(name))

    def add(index: Index, address: Address, names: Sequence[str]) -> None:
        for name in names:
            index.api.put(path(index, address, name))

    def remove(index: Index, address: Address, names: Sequence[str]) -> None:
        for name in names:
            index.api.delete(path(index, address, name))

    return Relation(f"{which} scopes", add, remove, on_create=True)


SCOPE_MAPPINGS = MappingEndpoint(
    lambda index, address: index.path("clients", index.client_uuid(address.name), "scope-mappings")
)


class ClientKind:
    name = "client"
    relations: ClassVar[Mapping[str, Relation]] = {
        **{key: _scope_relation(which) for key, which in SCOPE_LISTS.items()},
        **SCOPE_MAPPINGS.relations("scope mappings", prefix="scopeMappings"),
    }

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get("clients") or []):
            fields = fields_of(spec)
            if "secret" in spec:
                secret = ctx.secret(("clients", i, "secret"), spec["secret"])
                if secret is not None:
                    fields["secret"] = secret
            relations = {k: frozenset(spec[k]) for k in SCOPE_LISTS if k in spec}
            relations |= prefixed("scopeMappings", role_relations(spec.get("scopeMappings") or {}))
            address = Address(self.name, spec["clientId"])
            yield Obj(address, fields, relations, previous=previous(spec))

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        for client_id, rep in index.clients().items():
            address = Address(self.name, client_id)
            fields = live_fields(rep)
            relations = {k: frozenset(rep.get(k) or ()) for k in SCOPE_LISTS}
            want = desired.wanted(address)
            if want is not None and any(k.startswith("scopeMappings.") for k in want.relations):
                body = index.api.get(index.path("clients", rep["id"], "scope-mappings"))
                realm, clients = mapping_refs(body)
                relations["scopeMappings.realmRoles"] = frozenset(realm)
                relations["scopeMappings.clientRoles"] = frozenset(clients)
            yield Obj(
                address,
                fields,
                relations,
                raw=rep,
                owned=owned(rep),
                protected=builtin_client(index, client_id),
            )

    def create(self, index: Index, change: Change) -> None:
        body = unflatten_into({"clientId": change.address.name}, change.target.fields)
        # Given explicitly, these lists replace the realm defaults Keycloak would attach.
        for key in SCOPE_LISTS:
            if key in change.target.relations:
                body[key] = sorted(change.target.relations[key])
        index.api.post(index.path("clients"), marked(body))

    def update(self, index: Index, change: Change) -> None:
        raw = {k: v for k, v in change.live_raw.items() if k not in NOT_PUT}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        index.api.put(index.path("clients", str(raw["id"])), body)

    def delete(self, index: Index, change: Change) -> None:
        index.api.delete(index.path("clients", str(change.live_raw["id"])))


def builtin_client(index: Index, client_id: str) -> bool:
    """Keycloak's own clients, and in master the `<realm>-realm` clients that administer realms."""
    in_master = index.realm == "master" and client_id.endswith("-realm")
    return client_id in BUILTIN_CLIENTS or in_master
