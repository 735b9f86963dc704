"""Protocol mappers of clients and client scopes, each named by its `name` under its parent:
`client app / mapper email`, `client-scope roles / mapper audience`.

A parent that writes `protocolMappers` lists its mappers in full: only those parents' mappers
are read and compared, and the undeclared ones among them are deleted only under
`prune: {protocolMappers: all}` (a mapper carries no attribute for kcconf's ownership marker, so
`created` deletes none). A parent that does not write the key keeps its mappers untouched, and
the mappers of Keycloak's own clients and scopes (`roles` holds `realm roles`, `client roles`)
are never deleted: a mapper added to a built-in scope lives beside them.
Keycloak keeps a mapper's config as strings, so YAML scalars are compared as strings, one
`config.<key>` field per key: a changed key is one plan line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.kinds.client import CLIENT, builtin_client
from kcconf.kinds.client_scope import BUILTIN_CLIENT_SCOPES, SCOPE
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, text, unflatten_into
from kcconf.spec.checker import SpecChecker

MAPPER = "mapper"
FIELDS = ("protocol", "protocolMapper")
# Parent kind -> (its spec list, its key field, its mappers endpoint).
PARENTS = {
    CLIENT: ("clients", "clientId", ep.CLIENT_MAPPERS),
    SCOPE: ("clientScopes", "name", ep.SCOPE_MAPPERS),
}


def _builtin_parent(admin: RealmAdmin, kind: str, name: str) -> bool:
    if kind == CLIENT:
        return builtin_client(admin, name)
    return name in BUILTIN_CLIENT_SCOPES


def _parent_id(admin: RealmAdmin, parent: Address) -> str:
    if parent.kind == CLIENT:
        return admin.client_uuid(parent.name)
    return admin.scope_id(parent.name)


class ProtocolMapperKind(base.Kind):
    name = MAPPER
    spec_key = "protocolMappers"
    label = "protocol mapper"
    reading = "protocol mappers"
    parents = tuple(PARENTS)
    optional = True
    fields = ("protocol", "protocolMapper", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": text}

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        written: set[str] = set()
        for kind, (key, field, _) in PARENTS.items():
            for _, parent in base.items(ctx.doc.data, key):
                if self.spec_key not in parent:
                    continue
                address = Address(kind, str(parent[field]))
                written.add(str(address))
                for mapper in parent[self.spec_key] or []:
                    yield Obj(self.address(mapper["name"], address), self.fields_of(mapper))
        if written:
            ctx.containers[self.name] = written

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        written = desired.containers.get(self.name, set())
        for kind, (_, _, endpoint) in PARENTS.items():
            reps = admin.clients() if kind == CLIENT else admin.scopes()
            parents = [
                (want.address, str(rep["id"]), _builtin_parent(admin, kind, name))
                for name, rep in reps.items()
                if (want := desired.wanted(Address(kind, name))) is not None
                and str(want.address) in written  # else its mappers are not the spec's business
            ]
            # The mappers' own endpoint, not the copies the parent's list embeds: those lack
            # config keys the mapper has (docs/keycloak-facts.md 4.10).
            listed = admin.each(
                f"reading {kind.replace('-', ' ')}s' protocol mappers",
                lambda parent: endpoint.list(admin, parent[1]),  # noqa: B023 (used at once)
                parents,
            )
            for (address, _, builtin), mappers in zip(parents, listed, strict=True):
                for mapper in mappers:
                    yield self.live(
                        self.address(str(mapper["name"]), address), mapper, protected=builtin
                    )

    def create(self, admin: RealmAdmin, change: Change) -> None:
        parent = change.address.parent
        assert parent is not None
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        body.setdefault("protocol", "openid-connect")
        PARENTS[parent.kind][2].create(admin, body, _parent_id(admin, parent))

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        parent = change.address.parent
        assert parent is not None
        mapper_id = change.live_raw["id"]
        found = PARENTS[parent.kind][2].list(admin, _parent_id(admin, parent))
        rep = next((rep for rep in found if rep["id"] == mapper_id), None)
        if rep is None:
            raise KcconfError(f"{change.address} was deleted in Keycloak since the plan was made")
        return rep

    def update(self, admin: RealmAdmin, change: Change) -> None:
        parent = change.address.parent
        assert parent is not None
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        endpoint = PARENTS[parent.kind][2]
        endpoint.update(admin, str(body["id"]), body, _parent_id(admin, parent))

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        parent = change.address.parent
        assert parent is not None
        endpoint = PARENTS[parent.kind][2]
        endpoint.delete(admin, str(change.live_raw["id"]), _parent_id(admin, parent))

    def check(self, checker: SpecChecker) -> None:
        for kind, (key, field, _) in PARENTS.items():
            label = kind.replace("-", " ")
            for path, parent in checker.items((key,)):
                suffix = f" of {label} '{parent.get(field)}'"
                checker.unique((*path, self.spec_key), "name", self.noun, suffix)


KINDS = (ProtocolMapperKind(),)
