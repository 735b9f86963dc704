"""What every resource kind provides, and the relation endpoints several kinds share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kcconf.errors import KeyPath, Problem
from kcconf.keycloak.admin import Index
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, Secret, State, flatten
from kcconf.spec.yamlload import Document


class SpecContext:
    """The document being turned into desired objects, collecting problems as it goes."""

    def __init__(self, doc: Document, env: Mapping[str, str]) -> None:
        self.doc = doc
        self.env = env
        self.problems: list[Problem] = []
        self.realm = str(doc.data["realm"]["name"])
        self.containers: dict[str, set[str]] = {}

    def secret(self, keypath: KeyPath, ref: Mapping[str, str]) -> Secret | None:
        name = ref["env"]
        if name not in self.env:
            self.problems.append(
                Problem(self.doc.where(keypath), keypath, f"environment variable {name} is not set")
            )
            return None
        return Secret(self.env[name])


@dataclass(frozen=True)
class Relation:
    """A set-valued relation of an object, changed through its own endpoints."""

    label: str  # how the plan names it: "default scopes"
    add: Callable[[Index, Address, Sequence[str]], None]
    remove: Callable[[Index, Address, Sequence[str]], None]
    on_create: bool = False  # sent in the create request itself, not added afterwards


class Kind(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def relations(self) -> Mapping[str, Relation]: ...

    def desired(self, ctx: SpecContext) -> Iterable[Obj]: ...

    def read(self, index: Index, desired: State) -> Iterable[Obj]: ...

    def create(self, index: Index, change: Change) -> None: ...

    def update(self, index: Index, change: Change) -> None: ...

    def delete(self, index: Index, change: Change) -> None: ...


def previous(spec: Mapping[str, Any], prefix: str = "") -> tuple[str, ...]:
    """The `renamedFrom` names of a spec object, as addresses of its kind."""
    return tuple(f"{prefix}{name}" for name in spec.get("renamedFrom") or ())


def pick(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {n: data[n] for n in names if n in data}


def list_attributes(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields with `attributes` flattened per key. Users and groups keep each attribute as a list
    of strings in Keycloak; a spec may write one string, which means a list of one."""
    out = dict(fields)
    if "attributes" in out:
        out["attributes"] = {
            k: sorted([v] if isinstance(v, str) else v)
            for k, v in (out["attributes"] or {}).items()
        }
    return flatten(out, frozenset({"attributes"}))


def role_relations(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """`{realmRoles: [...], clientRoles: {client: [...]}}` as relations; absent keys stay absent."""
    out: dict[str, frozenset[str]] = {}
    if "realmRoles" in spec:
        out["realmRoles"] = frozenset(spec["realmRoles"])
    if "clientRoles" in spec:
        out["clientRoles"] = frozenset(
            f"{client}/{role}" for client, roles in spec["clientRoles"].items() for role in roles
        )
    return out


def prefixed(prefix: str, relations: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {f"{prefix}.{name}": items for name, items in relations.items()}


class MappingEndpoint:
    """`…/realm` and `…/clients/{uuid}` role lists (role mappings, scope mappings).

    Bodies carry id and name: scope mappings look roles up by id, role mappings by name.
    """

    def __init__(self, base: Callable[[Index, Address], str]) -> None:
        self.base = base

    def relations(self, label: str, prefix: str = "") -> dict[str, Relation]:
        def name(n: str) -> str:
            return f"{prefix}.{n}" if prefix else n

        return {
            name("realmRoles"): Relation(label, self._realm(True), self._realm(False)),
            name("clientRoles"): Relation(label, self._clients(True), self._clients(False)),
        }

    def _realm(self, adding: bool) -> Callable[[Index, Address, Sequence[str]], None]:
        def run(index: Index, address: Address, refs: Sequence[str]) -> None:
            body = [index.role(ref) for ref in refs]
            send = index.api.post if adding else index.api.delete
            send(f"{self.base(index, address)}/realm", body)

        return run

    def _clients(self, adding: bool) -> Callable[[Index, Address, Sequence[str]], None]:
        def run(index: Index, address: Address, refs: Sequence[str]) -> None:
            by_client: dict[str, list[str]] = {}
            for ref in refs:
                by_client.setdefault(ref.rpartition("/")[0], []).append(ref)
            for client_id, group in sorted(by_client.items()):
                body = [index.role(ref) for ref in group]
                path = f"{self.base(index, address)}/clients/{index.client_uuid(client_id)}"
                send = index.api.post if adding else index.api.delete
                send(path, body)

        return run
