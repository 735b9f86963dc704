"""The one comparison: desired state against live state, giving the changes.

`kcconf plan` prints its result and `kcconf apply` executes it; nothing else decides what changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from kcconf.kinds import BY_NAME, change_order, relation
from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import MASKED, Address, Obj, Secret, State, normal


def compare(desired: State, live: State, reset_passwords: bool = False) -> list[Change]:
    """`reset_passwords` also sets values that are otherwise only sent on create."""
    changes = []
    claimed: set[Address] = set()  # live objects some desired object stands for
    renames = _renames(desired, live)
    for want in desired.objects.values():
        have, renamed = _find(want, live, desired)
        if have is not None:
            claimed.add(have.address)
            have = _renamed_relations(have, renames)
        change = _create(want) if have is None else _update(want, have, reset_passwords, renamed)
        if change is not None:
            changes.append(change)
    changes.extend(_deletes(desired, live, claimed))
    return sorted(changes, key=change_order)


def same(new: Any, old: Any, ordered: bool = False) -> bool:
    if isinstance(new, Secret):
        known = old.reveal() if isinstance(old, Secret) else old
        return bool(known == MASKED or new.reveal() == known)
    return bool(normal(new, ordered) == normal(old, ordered))


def prunable(obj: Obj, desired: State) -> bool:
    """Whether the spec's prune policy covers this undeclared live object."""
    policy = desired.prune.get(obj.address.kind)
    return not obj.protected and (policy == "all" or (policy == "created" and obj.owned))


def unmanaged(desired: State, live: State, changes: list[Change]) -> Counter[str]:
    """Live objects no spec declares and the plan leaves alone, per kind (built-ins aside)."""
    touched = {c.address for c in changes} | {c.live_address for c in changes if c.renamed_from}
    return Counter(
        obj.address.kind
        for obj in live.objects.values()
        if obj.address not in desired.objects and obj.address not in touched and not obj.protected
    )


def _find(want: Obj, live: State, desired: State) -> tuple[Obj | None, str | None]:
    """The live object `want` stands for: same name, or one of its `renamedFrom` names."""
    have = live.objects.get(want.address)
    if have is not None:
        return have, None
    for old in want.previous:
        old_address = Address(want.address.kind, old, want.address.parent)
        if old_address in live.objects and old_address not in desired.objects:
            return live.objects[old_address], old
    return None, None


def _renames(desired: State, live: State) -> dict[Address, Address]:
    """Old address -> new address of every object this plan renames in place."""
    renames = {}
    for want in desired.objects.values():
        have, renamed = _find(want, live, desired)
        if have is not None and renamed is not None:
            renames[have.address] = want.address
    return renames


def _renamed_relations(have: Obj, renames: dict[Address, Address]) -> Obj:
    """A live object whose relations name renamed objects by their new names, as Keycloak will
    once the renames are applied (mappings follow the id, not the name)."""
    if not renames:
        return have

    def new_name(name: str, item: str) -> str:
        kind = BY_NAME[relation(have.address.kind, name).target]
        if kind.container is not None:  # `clientId/role`: its client may be renamed too
            container, _, own = item.rpartition("/")
            holder = Address(kind.container, container)
            item = f"{renames.get(holder, holder).name}/{own}"
        target = Address(kind.name, item)
        return renames.get(target, target).name

    relations = {
        name: frozenset(new_name(name, item) for item in items)
        for name, items in have.relations.items()
    }
    return replace(have, relations=relations)


def _create(want: Obj) -> Change:
    fields = tuple(
        FieldChange(name, None, value, isinstance(value, Secret))
        for name, value in {**want.fields, **want.initial}.items()
    )
    relations = tuple(
        RelationChange(name, tuple(sorted(items)), ())
        for name, items in want.relations.items()
        if items
    )
    return Change(Action.CREATE, want.address, fields, relations, want, None)


def _update(want: Obj, have: Obj, reset: bool, renamed: str | None) -> Change | None:
    kind = BY_NAME[want.address.kind]
    fields = tuple(
        FieldChange(name, have.fields.get(name), value, isinstance(value, Secret))
        for name, value in want.fields.items()
        if not same(value, have.fields.get(name), kind.is_ordered(name))
    )
    if renamed is not None:
        fields = (_rename_field(have.address, want.address), *fields)
    if reset:  # a write-only value also compared as a field (a masked secret) is sent once
        changed = {f.name for f in fields}
        fields += tuple(
            FieldChange(n, None, v, True) for n, v in want.initial.items() if n not in changed
        )
    relations = []
    for name, items in want.relations.items():
        current = have.relations.get(name, frozenset())
        added, removed = items - current, current - items
        if added or removed:
            relations.append(RelationChange(name, tuple(sorted(added)), tuple(sorted(removed))))
    if not fields and not relations:
        return None
    return Change(Action.UPDATE, want.address, fields, tuple(relations), want, have, renamed)


def _rename_field(old: Address, new: Address) -> FieldChange:
    kind = BY_NAME[new.kind]
    return FieldChange(kind.name_field, kind.own_name(old), kind.own_name(new))


def _deletes(desired: State, live: State, claimed: set[Address]) -> list[Change]:
    return [
        Change(Action.DELETE, obj.address, (), (), None, obj)
        for obj in live.objects.values()
        if obj.address not in desired.objects
        and obj.address not in claimed
        and prunable(obj, desired)
    ]
