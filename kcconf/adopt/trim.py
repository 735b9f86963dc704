"""Leaving out what Keycloak makes by itself: an item less what its baseline item holds.

A built-in object (the `account` client, the `profile` scope) is compared with the same object
of a new realm; a new object with what Keycloak gives a new object of its kind (a bare client of
its protocol). Maps (`attributes`, `config`) are compared key by key, as plan compares them; a
relation that differs is written whole, because a written relation is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.adopt.items import Item

MAPS = frozenset({"attributes", "config"})
RELATIONS = frozenset(
    {
        "defaultClientScopes",
        "optionalClientScopes",
        "scopeMappings",
        "serviceAccountRoles",
        "composites",
        "realmRoles",
        "clientRoles",
        "groups",
    }
)
EMPTY_ROLES: Mapping[str, Any] = {"realmRoles": [], "clientRoles": {}}


def same(a: Any, b: Any) -> bool:
    """Equal as plan compares them: scalars as text in maps, lists as sets."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(repr, a)) == sorted(map(repr, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def map_diff(value: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in base or not same(_text(v), _text(base[k]))}


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, list | Mapping) else str(value)


def relation(value: Any, base: Any, key: str) -> Any:
    """A relation written whole when it differs: role blocks with both keys, so a role the
    baseline has and the source lacks is removed."""
    if isinstance(value, Mapping) or isinstance(base, Mapping):
        full = {**EMPTY_ROLES, **(value or {})}
        return None if same(full, {**EMPTY_ROLES, **(base or {})}) else full
    return None if same(value or [], base or []) else sorted(value or [])


def fields(item: Item, base: Item, keep: frozenset[str], children: frozenset[str]) -> Item:
    """`item` less what equals `base`; `keep` keys always stay, `children` are left to the
    caller (mappers, roles, subgroups)."""
    out: Item = {}
    for key in sorted(set(item) | (set(base) & RELATIONS), key=lambda k: (k not in keep, k)):
        value = item.get(key)
        if key in keep or key in children:
            if key in item:
                out[key] = value
        elif key in RELATIONS:
            changed = relation(value, base.get(key), key)
            if changed is not None:
                out[key] = changed
        elif key not in base:
            out[key] = value
        elif key in MAPS and isinstance(value, Mapping):
            diff = map_diff(value, base[key])
            if diff:
                out[key] = diff
        elif not same(value, base[key]):
            out[key] = value
    return out


def mappers(items: list[Item], base: list[Item]) -> list[Item]:
    """Mappers added to a built-in, or the config keys changed on its own mappers."""
    known = {str(m["name"]): m for m in base}
    out = []
    for mapper in items:
        own = known.get(str(mapper["name"]))
        if own is None:
            out.append(mapper)
            continue
        diff = fields(mapper, own, frozenset({"name"}), frozenset())
        if len(diff) > 1:
            out.append({**diff, "protocolMapper": mapper.get("protocolMapper")})
    return out


def roles(items: list[Item], base: list[Item]) -> list[Item]:
    """Roles added to a built-in client, or its own roles as changed."""
    known = {str(r["name"]): r for r in base}
    out = []
    for role in items:
        own = known.get(str(role["name"]))
        diff = role if own is None else fields(role, own, frozenset({"name"}), frozenset())
        if own is None or len(diff) > 1:
            out.append(diff)
    return out
