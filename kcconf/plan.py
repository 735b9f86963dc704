"""Reading the live realm for a desired state and planning the changes between them."""

from __future__ import annotations

from dataclasses import dataclass

from kcconf.changes import Action, Change
from kcconf.compare import compare
from kcconf.errors import KcconfError
from kcconf.index import Index
from kcconf.kinds import KINDS
from kcconf.model import Address, State


@dataclass(frozen=True)
class Plan:
    """The changes that make one realm match its spec, in apply order."""

    realm: str
    changes: tuple[Change, ...]
    realm_exists: bool = True

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def empty(self) -> bool:
        return not self.changes


def read_live(index: Index, desired: State) -> State:
    """What Keycloak has, in the same shape as the spec; relations only where the spec has them
    (so a plan costs list reads plus one read per object whose relations are managed)."""
    live = State(desired.realm)
    for kind in KINDS:
        wanted = {a: o for a, o in desired.objects.items() if a.kind == kind.name}
        found = list(kind.read(index, wanted))
        if kind.name == "realm" and not found:
            return State(desired.realm, exists=False)
        for obj in found:
            live.add(obj)
    return live


def make_plan(index: Index, desired: State, reset_passwords: bool = False) -> Plan:
    live = read_live(index, desired)
    if live.exists:
        check_references(index, desired, live)
    changes = compare(desired, live, reset_passwords=reset_passwords)
    return Plan(desired.realm, tuple(changes), live.exists)


def check_references(index: Index, desired: State, live: State) -> None:
    """Every scope and role a relation names must exist live or be created by this plan."""
    known = set(live.objects) | set(desired.objects)
    missing = []
    for obj in desired.objects.values():
        for name, items in obj.relations.items():
            for item in sorted(items):
                target = _target(name, item)
                if target not in known and not _exists_live(index, target):
                    missing.append(
                        f"{obj.address}: {target} does not exist in Keycloak or the spec"
                    )
    if missing:
        raise KcconfError("; ".join(missing))


def _target(relation: str, item: str) -> Address:
    if relation.endswith("ClientScopes"):
        return Address("client-scope", item)
    if relation.endswith("clientRoles"):
        return Address("client-role", item)
    return Address("realm-role", item)


def _exists_live(index: Index, target: Address) -> bool:
    """Roles of clients the spec does not declare (realm-management) are not read up front."""
    if target.kind != "client-role":
        return False
    client_id, _, role = target.name.rpartition("/")
    return client_id in index.clients() and role in index.roles(client_id)
