"""The registry of resource kinds, in the order apply creates and updates them."""

from __future__ import annotations

from kcconf.kinds.base import Kind, Relation
from kcconf.kinds.client import ClientKind
from kcconf.kinds.client_scope import ClientScopeKind
from kcconf.kinds.group import GroupKind
from kcconf.kinds.realm import RealmKind
from kcconf.kinds.role import RoleKind
from kcconf.kinds.user import UserKind
from kcconf.model.objects import KIND_ORDER

KINDS: tuple[Kind, ...] = (
    RealmKind(),
    ClientScopeKind(),
    RoleKind(client_roles=False),
    ClientKind(),
    RoleKind(client_roles=True),
    GroupKind(),
    UserKind(),
)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
assert tuple(BY_NAME) == KIND_ORDER


def relation(kind: str, name: str) -> Relation:
    return BY_NAME[kind].relations[name]
