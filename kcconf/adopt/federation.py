"""User federation in an export: the user storage components as `userFederation` items, each
with its mappers (an export nests them as the provider's subComponents; a component listed at
the top level under the mapper type with the provider's id as parentId is taken too).

A new realm has no user federation, so every provider is written, its mappers in full (those
Keycloak makes with an LDAP provider too: the spec's then update them in place). The bind
credential becomes `{env: NAME}`; `lastSync`, which Keycloak stamps after each sync, is not the
realm's configuration. Users linked to a written provider are its to import, not a spec's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.adopt.items import Item, Rep
from kcconf.adopt.report import Report

STORAGE_TYPE = "org.keycloak.storage.UserStorageProvider"
MAPPER_TYPE = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
TYPES = frozenset({STORAGE_TYPE, MAPPER_TYPE})
CREDENTIAL = "bindCredential"
STAMPED = frozenset({"lastSync"})


def providers(rep: Rep) -> list[Rep]:
    return list((rep.get("components") or {}).get(STORAGE_TYPE) or [])


def provider_names(rep: Rep) -> dict[str, str]:
    """Provider id -> name, for the users linked to one."""
    return {str(p["id"]): str(p["name"]) for p in providers(rep) if p.get("id")}


def _config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Config values as a spec writes them: a list of one as its string, sorted by key."""
    out: dict[str, Any] = {}
    for key, value in sorted(config.items()):
        if key in STAMPED or key == CREDENTIAL:
            continue
        values = list(value) if isinstance(value, list) else [value]
        out[key] = values[0] if len(values) == 1 else values
    return out


def _mappers(rep: Rep, provider: Rep) -> list[Rep]:
    nested = (provider.get("subComponents") or {}).get(MAPPER_TYPE) or []
    top = (rep.get("components") or {}).get(MAPPER_TYPE) or []
    listed = [m for m in top if provider.get("id") and m.get("parentId") == provider["id"]]
    return [*nested, *listed]


def _mapper(mapper: Rep) -> Item:
    item: Item = {"name": mapper["name"], "providerId": mapper["providerId"]}
    config = _config(mapper.get("config") or {})
    if config:
        item["config"] = config
    return item


def items(rep: Rep, report: Report) -> list[Item]:
    out = []
    for provider in sorted(providers(rep), key=lambda p: str(p["name"])):
        name = str(provider["name"])
        item: Item = {"name": name, "providerId": provider["providerId"]}
        config = provider.get("config") or {}
        if any(v for v in config.get(CREDENTIAL) or []):
            item[CREDENTIAL] = report.secret(
                f"bind credential of user federation {name}", "federation", name, CREDENTIAL
            )
        if _config(config):
            item["config"] = _config(config)
        mappers = sorted((_mapper(m) for m in _mappers(rep, provider)), key=lambda m: m["name"])
        if mappers:
            item["mappers"] = mappers
        out.append(item)
    ids = provider_names(rep)
    for mapper in (rep.get("components") or {}).get(MAPPER_TYPE) or []:
        if str(mapper.get("parentId")) not in ids:
            report.skip(
                f"components[{MAPPER_TYPE}][{mapper.get('name')}]",
                "a user federation mapper of no provider in the export",
            )
    return out


def own_users(users: Iterable[Rep], rep: Rep, report: Report) -> list[Rep]:
    """The users not linked to a written provider; the linked ones are reported (the provider
    imports them: a spec that created them too would make local users of them)."""
    names = provider_names(rep)
    out = []
    for user in users:
        provider = names.get(str(user.get("federationLink")))
        if provider is None:
            out.append(user)
        else:
            report.skip(
                f"users[{user['username']}]",
                f"imported from user federation {provider}: its provider imports it",
            )
    return out
