"""What a resource kind declares about itself, and the helpers several kinds share.

A kind is one module under kinds/ holding one `Kind` subclass: its name and address, where the
spec writes it, which kinds must exist before it, its prune key, its built-ins, its relations
with their target kinds, how it is read and written, and its part of the spec schema. Code
outside kinds/ asks the registry (kinds/__init__.py) and never names a particular kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

from kcconf.errors import KeyPath, Problem
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Endpoint, RoleMappings
from kcconf.keycloak.rest import seg
from kcconf.keycloak.versions import since_text, version_tuple
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    Secret,
    State,
    flatten,
    forbidden_env,
    owned,
    unflatten_into,
)
from kcconf.spec.checker import SpecChecker
from kcconf.spec.yamlload import Document

Schema = dict[str, Any]
Normaliser = Callable[[Any], Any]


class SpecContext:
    """The document being turned into desired objects, collecting problems as it goes."""

    def __init__(self, doc: Document, env: Mapping[str, str]) -> None:
        self.doc = doc
        self.env = env
        self.problems: list[Problem] = []
        self.realm = str(doc.data["realm"]["name"])
        self.containers: dict[str, set[str]] = {}

    def secret(self, keypath: KeyPath, ref: Mapping[str, str]) -> Secret | None:
        """The secret `{env: NAME}` names, or None with a problem recorded at `keypath`."""
        name = ref["env"]
        why = self._unusable(name)
        if why is not None:
            self.problems.append(
                Problem(self.doc.where(keypath), keypath, f"environment variable {name} {why}")
            )
            return None
        return Secret(self.env[name])

    def _unusable(self, name: str) -> str | None:
        forbidden = forbidden_env(name)
        if forbidden is not None:  # refused even when unset: the spec must not ask for it
            return f"cannot be a spec secret: it matches {forbidden}, see docs/spec-format.md"
        if name not in self.env:
            return "is not set"
        # CI systems often give a missing secret as an empty variable; an empty client
        # secret is one Keycloak accepts at its token endpoint (docs/keycloak-facts.md 3.13).
        if not self.env[name].strip():
            return "is set but empty" if not self.env[name] else "holds only whitespace"
        return None


Change_ = Callable[[RealmAdmin, Address, Sequence[str]], None]


@dataclass(frozen=True)
class Relation:
    """A set-valued relation of an object, changed through its own endpoints.

    `target` is the kind its items name (a scope, a realm role, a client role, a group), so a
    reference is resolved and renamed by that kind's rules, never guessed from a name.
    """

    label: str  # how the plan names it: "default scopes"
    target: str  # the kind of its items: "client-scope"
    add: Change_
    remove: Change_
    on_create: bool = False  # sent in the create request itself, not added afterwards


class Kind:
    """One resource kind. Subclasses set the class attributes and implement the five methods."""

    name: ClassVar[str]  # "client": the first word of its addresses in plans
    spec_key: ClassVar[str]  # where a spec lists it: top level, or inside a parent's item
    parents: ClassVar[tuple[str, ...]] = ()  # for a child kind: the kinds whose items hold it
    after: ClassVar[tuple[str, ...]] = ()  # kinds created (and so read) before this one
    before: ClassVar[tuple[str, ...]] = ()  # kinds that must wait for this one
    prune_as: ClassVar[str] = ""  # its key under `prune:`, when that is not its spec key
    prunable: ClassVar[bool] = True  # False: never deleted (the realm, Keycloak's providers)
    name_field: ClassVar[str] = "name"  # the field a rename in place changes
    container: ClassVar[str | None] = None  # "client" for `clientId/role` addresses
    path_named: ClassVar[bool] = False  # an address's last `/` part is the object's own name
    root: ClassVar[bool] = False  # the realm itself: absent means the realm does not exist
    reading: ClassVar[str] = ""  # progress: "realm x: reading <this>" (default: plural name)
    # Read only when the spec declares some of it (or lists a container of it in full).
    optional: ClassVar[bool] = False
    label: ClassVar[str] = ""  # how messages name one, when not its name: "protocol mapper"
    relations: ClassVar[Mapping[str, Relation]] = {}
    # Built-ins of later Keycloak versions than kcconf's oldest: name -> first version with it.
    since: ClassVar[Mapping[str, tuple[int, ...]]] = {}
    ordered: ClassVar[frozenset[str]] = frozenset()  # list fields whose order matters
    fields: ClassVar[tuple[str, ...]] = ()  # the fields of its representation it manages
    # Map fields compared key by key (one `attributes.<key>` field each), with how a value is
    # normalised to what Keycloak keeps (`text`: a string; `string_list`: a list of strings).
    maps: ClassVar[Mapping[str, Normaliser]] = {}
    # Where its objects live, for the shared update and delete (by id); None: it does its own.
    endpoint: ClassVar[Endpoint | None] = None
    not_put: ClassVar[tuple[str, ...]] = ()

    def fields_of(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        """Its managed fields of a spec item or a live representation, normalised alike."""
        out = pick(rep, self.fields)
        for name, normalise in self.maps.items():
            if isinstance(out.get(name), Mapping):
                out[name] = {k: normalise(v) for k, v in out[name].items()}
        return flatten(out, frozenset(self.maps))

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        """The managed fields of a live representation, as `read` computes them."""
        return self.fields_of(rep)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        """The object read again right before an update writes it back, so the write starts
        from what Keycloak has now, not from what the plan read (None: this kind's update
        sends no read representation back, it writes parts or reads for itself)."""
        if self.endpoint is None:
            return None
        segment = seg(str(change.live_raw[self.endpoint.by]))
        rep: Mapping[str, Any] = admin.api.get(admin.path(self.endpoint.item(segment)))
        return rep

    def live(
        self,
        address: Address,
        rep: Mapping[str, Any],
        relations: Mapping[str, frozenset[str]] | None = None,
        protected: bool = False,
    ) -> Obj:
        """A live object: its managed fields, whether kcconf made it (its marker), and the raw
        representation its updates start from."""
        fields = self.live_fields(rep)
        return Obj(address, fields, relations or {}, raw=rep, owned=owned(rep), protected=protected)

    def preflight(self, admin: RealmAdmin, desired: State) -> None:
        """Refuse (KcconfError) a spec this server or realm cannot take (a version too old, a
        feature that is off), before anything is read or written, even a new realm created."""

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        raise NotImplementedError

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        raise NotImplementedError

    def create(self, admin: RealmAdmin, change: Change) -> None:
        raise NotImplementedError

    def update(self, admin: RealmAdmin, change: Change) -> None:
        """Read-modify-write through `endpoint`: Keycloak's PUTs replace what they are sent, so
        the live representation goes back with the changed fields written in, less `not_put`
        (sub-resources a PUT would overwrite or ignore)."""
        assert self.endpoint is not None, f"{self.name} has no endpoint: it updates itself"
        raw = {k: v for k, v in change.live_raw.items() if k not in self.not_put}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        self.endpoint.update(admin, seg(str(raw[self.endpoint.by])), body)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        assert self.endpoint is not None, f"{self.name} has no endpoint: it deletes itself"
        self.endpoint.delete(admin, seg(str(change.live_raw[self.endpoint.by])))

    def is_ordered(self, field: str) -> bool:
        """Whether a list field's order matters (compared in order, a move shown as a move)."""
        return field in self.ordered

    def replaces(self, change: Change) -> list[str]:
        """What an update must delete and create again because Keycloak cannot change it in
        place, in words; apply refuses such a plan without --allow-replace."""
        return []

    def refuse(self, desired: State, live: State, changes: Sequence[Change]) -> str:
        """Why a plan with `changes` must not be applied at all ("" when it may): a realm it
        would leave unable to sign tokens, say. Asked before anything is written."""
        return ""

    def deletion_note(self, live: Obj) -> str:
        """What deleting this live object takes along beyond itself ("" when nothing): shown
        in the plan, and such a deletion needs --allow-deletes (user federation's users)."""
        return ""

    def schema(self) -> Schema:
        """Its part of the spec schema, `kinds/<name>.schema.json` beside its module (JSON
        Schema is kept as JSON): `property` (its key's schema: at the top level, or in each
        parent's `item` definition for a child kind), `defs`, `prune` (its prune key's schema)
        and `item` (the definition its children's keys are added to)."""
        text = resources.files("kcconf.kinds").joinpath(f"{self.name}.schema.json").read_text()
        part: Schema = json.loads(text)
        return part

    def check(self, checker: SpecChecker) -> None:
        """Its own offline checks of a spec (duplicate names and the like), reported to
        `checker`; references to other kinds are checked through `references`."""

    def builtins(self, realm: str) -> frozenset[str]:
        """Names Keycloak creates in every new realm: a spec may refer to them undeclared."""
        return frozenset()

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        """Names a spec declares (for offline reference checks); None when it cannot be told."""
        return None

    def references(self, data: Mapping[str, Any]) -> Iterable[Reference]:
        """Every place the spec names an object of another kind, for offline checks."""
        return ()

    def describe(self, name: str) -> tuple[str, str]:
        """How an unknown reference to `name` is reported: what it is, and where a spec
        declares such objects."""
        return f"{self.noun} '{name}'", self.spec_key

    def too_new(self, name: str, server: str) -> str:
        """Why `name` is missing on a server of version `server`, when it is a built-in of
        later versions only ("" otherwise)."""
        since = self.since.get(name)
        if since is None or version_tuple(server) >= since:
            return ""
        first = since_text(since)
        return f"{self.noun} {name} is built in from Keycloak {first}; this server runs {server}"

    def builtins_on(self, realm: str, server: str) -> frozenset[str]:
        """The built-ins a new realm of a server of version `server` has."""
        return frozenset(n for n in self.builtins(realm) if not self.too_new(n, server))

    def exists(self, admin: RealmAdmin, name: str) -> bool:
        """Whether an object that was not read up front exists live (a role of a client the
        spec does not declare, such as realm-management's)."""
        return False

    @property
    def noun(self) -> str:
        """How messages name one: `client scope`."""
        return self.label or self.name.replace("-", " ")

    @property
    def prune_key(self) -> str | None:
        """Its key under `prune:`, if its undeclared objects may be deleted at all."""
        return (self.prune_as or self.spec_key) if self.prunable else None

    def involved(self, desired: State) -> bool:
        """Whether planning `desired` must read this kind at all."""
        if not self.optional:
            return True
        return bool(desired.of_kind(self.name) or desired.containers.get(self.name))

    def own_name(self, address: Address) -> str:
        """The object's own name: the last part of a path-like address."""
        return address.name.rpartition("/")[2] if self.path_named else address.name

    def address(self, name: str, parent: Address | None = None) -> Address:
        return Address(self.name, name, parent)


@dataclass(frozen=True)
class Reference:
    """A name the spec writes at `keypath` that must be an object of kind `target`."""

    keypath: KeyPath
    target: str
    name: str


def previous(spec: Mapping[str, Any], prefix: str = "") -> tuple[str, ...]:
    """The `renamedFrom` names of a spec object, as addresses of its kind."""
    return tuple(f"{prefix}{name}" for name in spec.get("renamedFrom") or ())


def pick(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {n: data[n] for n in names if n in data}


def items(data: Mapping[str, Any], key: str) -> Iterable[tuple[KeyPath, Mapping[str, Any]]]:
    """The mappings listed under `key`, with their key paths; anything malformed is skipped."""
    value = data.get(key) if isinstance(data, Mapping) else None
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, Mapping):
            yield (key, index), item


def declared_names(data: Mapping[str, Any], key: str, field: str) -> set[str] | None:
    """Names of the objects listed under `key`, or None when the list is malformed (then no
    reference to them is judged)."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return set()
    if not isinstance(value, list) or not all(
        isinstance(item, Mapping) and isinstance(item.get(field), str) for item in value
    ):
        return None
    return {item[field] for item in value}


REALM_ROLE = "realm-role"
CLIENT_ROLE = "client-role"


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


def role_references(path: KeyPath, spec: Any) -> Iterable[Reference]:
    """The roles a `{realmRoles, clientRoles}` mapping at `path` names, for offline checks."""
    if not isinstance(spec, Mapping):
        return
    for i, name in enumerate(spec.get("realmRoles") or []):
        if isinstance(name, str):
            yield Reference((*path, "realmRoles", i), REALM_ROLE, name)
    clients = spec.get("clientRoles")
    for client_id, roles in clients.items() if isinstance(clients, Mapping) else ():
        yield Reference((*path, "clientRoles", client_id), "client", client_id)
        for i, name in enumerate(roles if isinstance(roles, list) else []):
            if isinstance(name, str):
                ref = f"{client_id}/{name}"
                yield Reference((*path, "clientRoles", client_id, i), CLIENT_ROLE, ref)


def prefixed(prefix: str, relations: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {f"{prefix}.{name}": items for name, items in relations.items()}


@dataclass(frozen=True)
class RoleRefs:
    """Roles an object holds through one mapping endpoint, written in a spec as
    `{realmRoles: [...], clientRoles: {client: [...]}}` under `key` (or, with no key, on the
    item itself: a user's or group's own roles). Each of the two is an exact relation."""

    endpoint: RoleMappings
    owner_id: Callable[[RealmAdmin, Address], str]  # the id the endpoint is under
    label: str  # the plan's label: "scope mappings"
    key: str = ""  # "scopeMappings"

    def name(self, relation: str) -> str:
        return f"{self.key}.{relation}" if self.key else relation

    @property
    def relations(self) -> dict[str, Relation]:
        def run(adding: bool) -> Change_:
            def change(admin: RealmAdmin, address: Address, refs: Sequence[str]) -> None:
                self.endpoint.change(admin, refs, adding, self.owner_id(admin, address))

            return change

        return {
            self.name("realmRoles"): Relation(self.label, REALM_ROLE, run(True), run(False)),
            self.name("clientRoles"): Relation(self.label, CLIENT_ROLE, run(True), run(False)),
        }

    def _block(self, spec: Mapping[str, Any]) -> Any:
        return (spec.get(self.key) or {}) if self.key else spec

    def desired(self, spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        """The relations a spec item writes; absent keys stay absent (left alone)."""
        return {self.name(k): v for k, v in role_relations(self._block(spec)).items()}

    def wanted(self, want: Obj | None) -> bool:
        """Whether the desired object manages these roles (so they must be read)."""
        return want is not None and any(n in want.relations for n in self.relations)

    def read(self, admin: RealmAdmin, owner_id: str) -> dict[str, frozenset[str]]:
        """The owner's direct mappings, as the two relations."""
        realm, clients = self.endpoint.read(admin, owner_id)
        return {
            self.name("realmRoles"): frozenset(realm),
            self.name("clientRoles"): frozenset(clients),
        }

    def none(self) -> dict[str, frozenset[str]]:
        return {name: frozenset() for name in self.relations}

    def references(self, path: KeyPath, spec: Mapping[str, Any]) -> Iterable[Reference]:
        where = (*path, self.key) if self.key else path
        return role_references(where, self._block(spec))
