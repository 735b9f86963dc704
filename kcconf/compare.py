"""The one comparison: desired state against live state, giving the changes.

`kcconf plan` prints its result and `kcconf apply` executes it; nothing else decides what changed.
"""

from __future__ import annotations

from typing import Any

from kcconf.changes import Action, Change, FieldChange, RelationChange
from kcconf.model import Obj, Secret, State, normal

# Keycloak's partial exports show secrets this way: an unknown value, not a different one.
MASKED = "**********"


def compare(desired: State, live: State, reset_passwords: bool = False) -> list[Change]:
    """`reset_passwords` also sets values that are otherwise only sent on create."""
    changes = []
    for address, want in desired.objects.items():
        have = live.objects.get(address)
        change = _create(want) if have is None else _update(want, have, reset_passwords)
        if change is not None:
            changes.append(change)
    return sorted(changes, key=lambda c: c.sort_key)


def same(new: Any, old: Any) -> bool:
    if isinstance(new, Secret):
        known = old.reveal() if isinstance(old, Secret) else old
        return bool(known == MASKED or new.reveal() == known)
    return bool(normal(new) == normal(old))


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


def _update(want: Obj, have: Obj, reset_passwords: bool) -> Change | None:
    fields = tuple(
        FieldChange(name, have.fields.get(name), value, isinstance(value, Secret))
        for name, value in want.fields.items()
        if not same(value, have.fields.get(name))
    )
    if reset_passwords:
        fields += tuple(FieldChange(n, None, v, True) for n, v in want.initial.items())
    relations = []
    for name, items in want.relations.items():
        current = have.relations.get(name, frozenset())
        added, removed = items - current, current - items
        if added or removed:
            relations.append(RelationChange(name, tuple(sorted(added)), tuple(sorted(removed))))
    if not fields and not relations:
        return None
    return Change(Action.UPDATE, want.address, fields, tuple(relations), want, have)
