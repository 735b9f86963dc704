"""Client scopes: name, description, protocol, attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds.base import (
    Kind,
    Normaliser,
    SpecContext,
    declared_names,
    previous,
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

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get("clientScopes") or []:
            yield Obj(
                Address(self.name, spec["name"]), self.fields_of(spec), previous=previous(spec)
            )

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        for name, rep in admin.scopes().items():
            builtin = name in BUILTIN_CLIENT_SCOPES
            yield self.live(Address(self.name, name), rep, protected=builtin)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        ep.CLIENT_SCOPES.create(admin, marked(body))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clientScopes",), "name", "client scope")

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENT_SCOPES

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return declared_names(data, "clientScopes", "name")


KINDS = (ClientScopeKind(),)
