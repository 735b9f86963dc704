"""Client scopes: name, description, protocol, attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.builtins import BUILTIN_CLIENT_SCOPES
from kcconf.keycloak.admin import Index
from kcconf.kinds.base import Relation, SpecContext, pick, previous
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

FIELDS = ("description", "protocol", "attributes")


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return with_string_attributes(pick(rep, FIELDS))


class ClientScopeKind:
    name = "client-scope"
    relations: ClassVar[Mapping[str, Relation]] = {}

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get("clientScopes") or []:
            yield Obj(Address(self.name, spec["name"]), fields_of(spec), previous=previous(spec))

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        for name, rep in index.scopes().items():
            yield Obj(
                Address(self.name, name),
                fields_of(rep),
                raw=rep,
                owned=owned(rep),
                protected=name in BUILTIN_CLIENT_SCOPES,
            )

    def create(self, index: Index, change: Change) -> None:
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        index.api.post(index.path("client-scopes"), marked(body))

    def update(self, index: Index, change: Change) -> None:
        raw = {k: v for k, v in change.live_raw.items() if k != "protocolMappers"}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        index.api.put(index.path("client-scopes", str(raw["id"])), body)

    def delete(self, index: Index, change: Change) -> None:
        index.api.delete(index.path("client-scopes", str(change.live_raw["id"])))
