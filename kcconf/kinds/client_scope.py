"""Client scopes: name, description, protocol, attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds.base import (
    RENAMED_FROM,
    Kind,
    Schema,
    SpecContext,
    declared_names,
    pick,
    previous,
    prune_policy,
)
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    State,
    marked,
    owned,
    unflatten_into,
    with_string_attributes,
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


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return with_string_attributes(pick(rep, FIELDS))


class ClientScopeKind(Kind):
    name = SCOPE
    spec_key = "clientScopes"
    label = "client scope"
    after = ("realm",)
    prune_key = "clientScopes"

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get("clientScopes") or []:
            yield Obj(Address(self.name, spec["name"]), fields_of(spec), previous=previous(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        for name, rep in admin.scopes().items():
            yield Obj(
                Address(self.name, name),
                fields_of(rep),
                raw=rep,
                owned=owned(rep),
                protected=name in BUILTIN_CLIENT_SCOPES,
            )

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        ep.CLIENT_SCOPES.create(admin, marked(body))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        raw = {k: v for k, v in change.live_raw.items() if k != "protocolMappers"}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        ep.CLIENT_SCOPES.update(admin, str(raw["id"]), body)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        ep.CLIENT_SCOPES.delete(admin, str(change.live_raw["id"]))

    def check(self, checker: SpecChecker) -> None:
        checker.unique(("clientScopes",), "name", "client scope")

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTIN_CLIENT_SCOPES

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return declared_names(data, "clientScopes", "name")

    def schema(self) -> Schema:
        return SCHEMA


KINDS = (ClientScopeKind(),)

SCHEMA: Schema = {
    "item": "clientScope",
    "property": {
        "description": (
            "Client scopes declared by this file. Scopes not declared here are left alone."
        ),
        "type": "array",
        "items": {"$ref": "#/$defs/clientScope"},
    },
    "defs": {
        "clientScope": {
            "description": "A client scope, keyed by name.",
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {
                    "description": "The scope's name (its natural key).",
                    "$ref": "#/$defs/name",
                },
                "description": {"description": "Shown in the admin console.", "type": "string"},
                "protocol": {"$ref": "#/$defs/protocol"},
                "attributes": {
                    "description": "Scope attributes, merged key by key.",
                    "$ref": "#/$defs/scalarAttributes",
                },
                "renamedFrom": RENAMED_FROM,
            },
        },
    },
    "prune": prune_policy(),
}
