"""Client scopes: name, description, protocol, attributes, and their own role scope (the realm
and client roles a scope lets into tokens: `scopeMappings`, shaped as on clients)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
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


def _id(admin: RealmAdmin, address: Address) -> str:
    return admin.scope_id(address.name)


MAPPINGS = base.RoleRefs(ep.SCOPE_SCOPE_MAPPINGS, _id, "scope mappings", "scopeMappings")


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
# The built-ins that arrived with a later version than kcconf's oldest, as measured in new realms
# (docs/keycloak-facts.md): basic absent on 24.0.5, present on 25.0.6; the next three absent on
# 25.0.6, present on 26.4.7 (26 brought organizations); AuthnContextClassRef absent on 26.5.6,
# present on 26.7.3 (26.7 brought SAML step-up).
BUILTIN_SINCE = {
    "basic": (25,),
    "organization": (26,),
    "saml_organization": (26,),
    "service_account": (26,),
    "AuthnContextClassRef": (26, 7),
}


class ClientScopeKind(base.Kind):
    name = SCOPE
    spec_key = "clientScopes"
    after = ("realm",)
    fields = FIELDS
    endpoint = ep.CLIENT_SCOPES
    not_put = ("protocolMappers",)  # a PUT with mappers would set them to what was read
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": text}
    since = BUILTIN_SINCE

    relations: ClassVar[Mapping[str, base.Relation]] = MAPPINGS.relations

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get("clientScopes") or []:
            relations = MAPPINGS.desired(spec)
            address = Address(self.name, spec["name"])
            yield Obj(address, self.fields_of(spec), relations, previous=base.previous(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        scopes = admin.scopes()
        mapped = [n for n in scopes if MAPPINGS.wanted(desired.wanted(Address(self.name, n)))]
        found = admin.each(
            "reading client scopes' scope mappings",
            lambda name: MAPPINGS.read(admin, scopes[name]["id"]),
            mapped,
        )
        relations = dict(zip(mapped, found, strict=True))
        for name, rep in scopes.items():
            builtin = name in BUILTIN_CLIENT_SCOPES
            address = Address(self.name, name)
            yield self.live(address, rep, relations.get(name, {}), protected=builtin)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        # Keycloak refuses a scope without a protocol (docs/keycloak-facts.md 14.8).
        body.setdefault("protocol", "openid-connect")
        ep.CLIENT_SCOPES.create(admin, marked(body))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clientScopes",), "name", "client scope")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, scope in base.items(data, "clientScopes"):
            yield from MAPPINGS.references(path, scope)

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENT_SCOPES

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, "clientScopes", "name")


KINDS = (ClientScopeKind(),)
