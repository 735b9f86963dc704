"""Client scopes: name, description, protocol, attributes, and their own role scope (the realm
and client roles a scope lets into tokens: `scopeMappings`, shaped as on clients)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds.base import (
    Kind,
    Normaliser,
    Reference,
    Relation,
    SpecContext,
    declared_names,
    items,
    mapping_relations,
    prefixed,
    previous,
    read_mappings,
    role_references,
    role_relations,
)
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    State,
    marked,
    text,
    unflatten_into,
)
from kcconf.spec.checker import SpecChecker

SCOPE = "client-scope"
FIELDS = ("description", "protocol", "attributes")
MAPPINGS = "scopeMappings"


def _id(admin: RealmAdmin, address: Address) -> str:
    return admin.scope_id(address.name)


# Keycloak's own scopes (RealmManager.setupClientScopes, DefaultClientScopes, organizations):
# a spec may name them undeclared, and no prune deletes them. Versions in docs/keycloak-facts.md.
BUILTIN_CLIENT_SCOPES: frozenset[str] = frozenset(
    {
        "basic",
        "roles",
        "web-origins",
        "acr",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
        "microprofile-jwt",
        "organization",
        "service_account",
        "saml_organization",
        "role_list",
        "AuthnContextClassRef",  # 26.7 (SAML); seen on 26.7.3
    }
)


class ClientScopeKind(Kind):
    name = SCOPE
    spec_key = "clientScopes"
    label = "client scope"
    after = ("realm",)
    prune_key = "clientScopes"
    fields = FIELDS
    endpoint = ep.CLIENT_SCOPES
    not_put = ("protocolMappers",)  # a PUT with mappers would set them to what was read
    maps: ClassVar[Mapping[str, Normaliser]] = {"attributes": text}

    relations: ClassVar[Mapping[str, Relation]] = mapping_relations(
        ep.SCOPE_SCOPE_MAPPINGS, _id, "scope mappings", MAPPINGS
    )

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get("clientScopes") or []:
            relations = prefixed(MAPPINGS, role_relations(spec.get(MAPPINGS) or {}))
            address = Address(self.name, spec["name"])
            yield Obj(address, self.fields_of(spec), relations, previous=previous(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        for name, rep in admin.scopes().items():
            address = Address(self.name, name)
            want = desired.wanted(address)
            relations = {}
            if want is not None and want.relations:
                relations = read_mappings(ep.SCOPE_SCOPE_MAPPINGS, admin, rep["id"], MAPPINGS)
            builtin = name in BUILTIN_CLIENT_SCOPES
            yield self.live(address, rep, relations, protected=builtin)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        ep.CLIENT_SCOPES.create(admin, marked(body))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clientScopes",), "name", "client scope")

    def references(self, data: Mapping[str, Any]) -> Iterable[Reference]:
        for path, scope in items(data, "clientScopes"):
            yield from role_references((*path, MAPPINGS), scope.get(MAPPINGS))

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENT_SCOPES

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return declared_names(data, "clientScopes", "name")


KINDS = (ClientScopeKind(),)
