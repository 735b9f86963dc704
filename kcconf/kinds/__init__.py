"""The registry of resource kinds: one line per kind module, ordered by their dependencies.

Each module in MODULES exports `KINDS`, the kinds it defines; a new kind is a new module and
its name added here.

Apply creates and updates kinds in ORDER (what others refer to comes first) and deletes in the
reverse; plans list changes in the same order, a child object right after its parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import import_module

from kcconf.kinds.base import Kind, Relation
from kcconf.model.changes import Action, Change
from kcconf.model.objects import Address

MODULES = (
    "realm",
    "client_scope",
    "role",
    "client",
    "group",
    "user",
    "protocol_mapper",
    "required_action",
    "authentication_flow",
    "flow_binding",
    "user_profile",
    "localization",
    "identity_provider",
    "organization",
    "key_provider",
    "client_policy",
    "user_federation",
    "client_registration_policy",
    "admin_permissions",
    "authorization",
)
REGISTERED: tuple[Kind, ...] = tuple(
    kind for module in MODULES for kind in import_module(f"kcconf.kinds.{module}").KINDS
)


def _ordered(kinds: Sequence[Kind]) -> tuple[Kind, ...]:
    """The kinds with each after those it depends on (and its parents); ties keep the
    registration order, so the order is stable. A cycle is a programming error."""
    done: list[Kind] = []
    waiting = list(kinds)
    while waiting:
        names = {k.name for k in done}
        ready = next(k for k in waiting if set(_needs(k, kinds)) <= names)
        done.append(ready)
        waiting.remove(ready)
    return tuple(done)


def _needs(kind: Kind, kinds: Sequence[Kind]) -> tuple[str, ...]:
    """The kinds that must come before `kind`: its own `after` and `parents`, and every kind
    that names it in its `before`."""
    first = tuple(k.name for k in kinds if kind.name in k.before)
    return (*kind.after, *kind.parents, *first)


KINDS = _ordered(REGISTERED)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
RANK = {kind.name: i for i, kind in enumerate(KINDS)}
ROOT = next(kind for kind in KINDS if kind.root)


def relation(kind: str, name: str) -> Relation:
    return BY_NAME[kind].relations[name]


def address_order(address: Address) -> tuple[int | str, ...]:
    """Kind order, then name; a child sorts right after its parent."""
    own: tuple[int | str, ...] = (RANK[address.kind], address.name)
    return own if address.parent is None else (*address_order(address.parent), *own)


def change_order(change: Change) -> tuple[int | str, ...]:
    """Deletions first, so no reader misses one; then kind order."""
    return (0 if change.action is Action.DELETE else 1, *address_order(change.address))


def kind_order(names: Iterable[str]) -> list[str]:
    """Kind names in registry order (unknown ones last)."""
    return sorted(names, key=lambda k: RANK.get(k, len(RANK)))


def prune_keys() -> dict[str, str]:
    """The spec's names for the kinds a `prune:` block may name -> kind names."""
    return {k.prune_key: k.name for k in KINDS if k.prune_key}
