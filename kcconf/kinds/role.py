"""Realm roles and client roles, with their composites.

A client role's address is `clientId/role`, the same form the spec uses to reference it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.builtins import BUILTIN_CLIENT_ROLES, builtin_realm_roles
from kcconf.keycloak.admin import Index, role_refs
from kcconf.keycloak.rest import seg
from kcconf.kinds.base import Relation, SpecContext, pick, prefixed, previous, role_relations
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, marked, owned, unflatten_into

FIELDS = ("description",)


def _split(address: Address) -> tuple[str, str]:
    """(clientId or "", role name) of a role address; role names hold no slash, clientIds may."""
    if address.kind == "realm-role":
        return "", address.name
    client_id, _, name = address.name.rpartition("/")  # SAML clientIds may hold slashes
    return client_id, name


def _role_path(index: Index, address: Address) -> str:
    client_id, name = _split(address)
    if not client_id:
        return index.path("roles", seg(name))
    return index.path("clients", index.client_uuid(client_id), "roles", seg(name))


def _composites(adding: bool) -> Any:
    def run(index: Index, address: Address, refs: Sequence[str]) -> None:
        role_id = index.role(address.name)["id"]  # a realm role's name, or clientId/name
        body = [index.role(ref) for ref in refs]
        path = index.path("roles-by-id", role_id, "composites")
        if adding:
            index.api.post(path, body)
        else:
            index.api.delete(path, body)

    return run


class RoleKind:
    """Realm roles (`client_roles=False`) or the roles of declared clients."""

    relations: ClassVar[Mapping[str, Relation]] = {
        "composites.realmRoles": Relation("composites", _composites(True), _composites(False)),
        "composites.clientRoles": Relation("composites", _composites(True), _composites(False)),
    }

    def __init__(self, client_roles: bool) -> None:
        self.client_roles = client_roles
        self.name = "client-role" if client_roles else "realm-role"

    def _specs(self, data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
        if not self.client_roles:
            for spec in data.get("roles") or []:
                yield "", spec
            return
        for client in data.get("clients") or []:
            for spec in client.get("roles") or []:
                yield client["clientId"], spec

    def _address(self, client_id: str, name: str) -> Address:
        return Address(self.name, f"{client_id}/{name}" if client_id else name)

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        if self.client_roles:
            # A client that writes `roles:` (even []) lists its roles in full: they may be pruned.
            written = {c["clientId"] for c in ctx.doc.data.get("clients") or [] if "roles" in c}
            ctx.containers[self.name] = written
        for client_id, spec in self._specs(ctx.doc.data):
            relations = prefixed("composites", role_relations(spec.get("composites") or {}))
            prefix = f"{client_id}/" if client_id else ""
            address = self._address(client_id, spec["name"])
            yield Obj(address, pick(spec, FIELDS), relations, previous=previous(spec, prefix))

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        containers = {""}
        if self.client_roles:
            wanted = {_split(a)[0] for a in desired.of_kind(self.name)}
            containers = wanted | desired.containers.get(self.name, set())
        for client_id in sorted(containers):
            if client_id and client_id not in index.clients():
                continue  # the client is created by this plan; so are its roles
            for name, rep in index.roles(client_id).items():
                address = self._address(client_id, name)
                relations = self._read_composites(index, rep, desired.wanted(address))
                yield Obj(
                    address,
                    pick(rep, FIELDS),
                    relations,
                    raw=rep,
                    owned=owned(rep),
                    protected=_builtin(index.realm, client_id, name),
                )

    def _read_composites(
        self, index: Index, rep: Mapping[str, Any], want: Obj | None
    ) -> dict[str, frozenset[str]]:
        if want is None or not want.relations:
            return {}
        realm: set[str] = set()
        clients: set[str] = set()
        if rep.get("composite"):
            found = index.api.get(index.path("roles-by-id", rep["id"], "composites"))
            realm, clients = role_refs(found, index.client_ids_by_uuid())
        return {
            "composites.realmRoles": frozenset(realm),
            "composites.clientRoles": frozenset(clients),
        }

    def create(self, index: Index, change: Change) -> None:
        client_id, name = _split(change.address)
        body = marked(unflatten_into({"name": name}, change.target.fields), as_list=True)
        if client_id:
            index.api.post(index.path("clients", index.client_uuid(client_id), "roles"), body)
        else:
            index.api.post(index.path("roles"), body)

    def update(self, index: Index, change: Change) -> None:
        # The live address: a rename's PUT goes to the old name, carrying the new one.
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        index.api.put(_role_path(index, change.live_address), body)

    def delete(self, index: Index, change: Change) -> None:
        index.api.delete(_role_path(index, change.live_address))


def _builtin(realm: str, client_id: str, name: str) -> bool:
    if not client_id:
        master_only = {"admin", "create-realm"} if realm == "master" else set()
        return name in builtin_realm_roles(realm) | master_only
    # uma_protection: Keycloak adds it to every client with authorization services.
    return name in BUILTIN_CLIENT_ROLES.get(client_id, ()) or name == "uma_protection"
