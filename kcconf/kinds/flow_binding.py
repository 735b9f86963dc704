"""Which flows the realm and its clients use: the realm's bindings (`realm.browserFlow`,
`directGrantFlow`, ...) and each client's overrides
(`clients[].authenticationFlowBindingOverrides: {browser: alias, direct_grant: alias}`).

One `flow-binding` object per realm, applied after the flows and clients exist, so a spec can
create a flow and bind it in one apply. Keycloak keeps a client's overrides as flow ids; specs
and plans name flows by alias. A binding to a flow that is neither live nor declared is refused
at plan time, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Flows
from kcconf.keycloak.rest import seg
from kcconf.kinds import base
from kcconf.kinds.authentication_flow import FLOW, OVERRIDES, REALM_BINDINGS
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State

BINDING = "flow-binding"
CLIENT = "client "  # the field prefix of a client's override: `client app browser`


def _client_fields(data: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for client in data.get("clients") or []:
        for key, alias in (client.get(OVERRIDES) or {}).items():
            out[f"{CLIENT}{client['clientId']} {key}"] = alias
    return out


class FlowBindingKind(base.Kind):
    name = BINDING
    spec_key = "realm"
    after = (FLOW, "client")
    prunable = False
    optional = True
    label = "flow bindings"
    reading = "flow bindings"

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        realm = ctx.doc.data["realm"]
        fields = {k: realm[k] for k in REALM_BINDINGS if k in realm}
        fields |= _client_fields(ctx.doc.data)
        if fields:
            yield Obj(Address(self.name, ctx.realm), fields)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        want = desired.objects.get(Address(self.name, admin.realm))
        if want is None:
            return
        realm = ep.Realm.read(admin)
        flows = admin.collection(Flows.TOP)
        by_id = {str(rep["id"]): alias for alias, rep in flows.items()}
        clients = admin.collection(ep.CLIENTS)
        fields: dict[str, Any] = {k: realm.get(k) for k in REALM_BINDINGS}
        for name in want.fields:
            if name.startswith(CLIENT):
                client_id, key = name[len(CLIENT) :].rsplit(" ", 1)
                overrides = (clients.get(client_id) or {}).get(OVERRIDES) or {}
                fields[name] = by_id.get(str(overrides.get(key)))
        declared = {a.name for a in desired.of_kind(FLOW)}
        missing = sorted(
            f"{name} -> {alias!r}"
            for name, alias in want.fields.items()
            if alias not in flows and alias not in declared
        )
        if missing:
            raise KcconfError(
                f"realm {admin.realm!r} binds authentication flows that neither exist in "
                f"Keycloak nor are declared under authenticationFlows: {', '.join(missing)}"
            )
        yield Obj(want.address, fields, protected=True)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        self.update(admin, change)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        """The realm's bindings in one realm write, each client's overrides in one client
        write, flow aliases turned into the ids Keycloak keeps."""
        new = {f.name: f.new for f in change.fields}
        realm = {k: v for k, v in new.items() if k in REALM_BINDINGS}
        if realm:
            ep.Realm.update(admin, {**ep.Realm.read(admin), **realm})
        ids = {str(rep["alias"]): str(rep["id"]) for rep in Flows.TOP.list(admin)}
        by_client: dict[str, dict[str, str]] = {}
        for name, alias in new.items():
            if name.startswith(CLIENT):
                client_id, key = name[len(CLIENT) :].rsplit(" ", 1)
                by_client.setdefault(client_id, {})[key] = ids[alias]
        for client_id, overrides in by_client.items():
            uuid = seg(admin.client_uuid(client_id))
            rep = admin.api.get(admin.path(ep.CLIENTS.item(uuid)))
            rep[OVERRIDES] = {**(rep.get(OVERRIDES) or {}), **overrides}
            ep.CLIENTS.update(admin, uuid, rep)

    def schema(self) -> base.Schema:
        return {}  # its keys are the realm's and the clients' (their schemas hold them)

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        realm = data.get("realm")
        for key in REALM_BINDINGS:
            alias = realm.get(key) if isinstance(realm, Mapping) else None
            if isinstance(alias, str):
                yield base.Reference(("realm", key), FLOW, alias)
        for path, client in base.items(data, "clients"):
            overrides = client.get(OVERRIDES)
            for key, alias in overrides.items() if isinstance(overrides, Mapping) else ():
                yield base.Reference((*path, OVERRIDES, key), FLOW, alias)


KINDS = (FlowBindingKind(),)
