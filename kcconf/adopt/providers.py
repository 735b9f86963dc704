"""Identity providers (with their mappers) and organizations of an export, as spec items.

A new realm holds none of either, so every one is the realm's own configuration. An export
keeps a provider's mappers in a top-level `identityProviderMappers` list naming their provider
by `identityProviderAlias`; the spec keeps them under their provider. A provider's client
secret becomes `{env: NAME}` like every other secret. What Keycloak's admin API would refuse
(an http:// endpoint of an external host while the realm requires TLS, docs/keycloak-facts.md
18) and what no spec key takes are reported, not written.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from kcconf.adopt.items import Item, Rep, picked
from kcconf.adopt.report import Report
from kcconf.model.objects import MARKER

SECRET = "clientSecret"
# The endpoints Keycloak checks against the realm's sslRequired when a provider is written.
CHECKED_URLS = (
    "authorizationUrl",
    "tokenUrl",
    "jwksUrl",
    "userInfoUrl",
    "logoutUrl",
    "tokenIntrospectionUrl",
)
# Fields of a provider no spec key takes: Keycloak's ids, and what it derives or ignores.
NOT_FIELDS = frozenset({"alias", "internalId", "config", "types", "organizationId"})
IGNORED = frozenset({"updateProfileFirstLoginMode"})  # unused by Keycloak since 12


def identity_providers(rep: Rep, report: Report) -> list[Item]:
    mappers: dict[str, list[Item]] = {}
    for mapper in rep.get("identityProviderMappers") or []:
        item: Item = {"name": mapper["name"], **picked(mapper, "mappers")}
        if "config" in item:
            item["config"] = dict(sorted(item["config"].items()))
        mappers.setdefault(str(mapper.get("identityProviderAlias")), []).append(item)
    out = []
    for provider in sorted(rep.get("identityProviders") or [], key=lambda p: str(p["alias"])):
        alias = str(provider["alias"])
        refused = _insecure(provider, str(rep.get("sslRequired") or "external"))
        if refused:
            report.skip(f"identityProviders[{alias}]", refused)
            mappers.pop(alias, None)
            continue
        out.append(_provider(provider, mappers.pop(alias, []), report))
    for alias, orphans in sorted(mappers.items()):
        for mapper in orphans:
            report.skip(
                f"identityProviderMappers[{mapper['name']}]",
                f"names identity provider {alias!r}, which the export does not hold",
            )
    return out


def _provider(rep: Rep, mappers: list[Item], report: Report) -> Item:
    alias = str(rep["alias"])
    item: Item = {"alias": alias, **picked(rep, "identityProviders")}
    config = {k: v for k, v in (rep.get("config") or {}).items() if k != MARKER}
    if config.get(SECRET):
        config[SECRET] = report.secret(
            f"client secret of identity provider {alias}", "idp", alias, "client", "secret"
        )
    if config:
        item["config"] = dict(sorted(config.items()))
    else:
        item.pop("config", None)
    for key in sorted(set(rep) - set(item) - NOT_FIELDS - IGNORED):
        if rep[key] not in (None, False, "", [], {}):
            report.skip(f"identityProviders[{alias}].{key}", "not managed for identity providers")
    if mappers:
        item["mappers"] = sorted(mappers, key=lambda m: str(m["name"]))
    return item


def _insecure(rep: Rep, ssl_required: str) -> str:
    """Why Keycloak would refuse the provider's endpoints in this realm ("" when it would not)."""
    if ssl_required == "none":
        return ""
    for key in CHECKED_URLS:
        url = str((rep.get("config") or {}).get(key) or "")
        if url.startswith("http://") and (ssl_required == "all" or not _local(url)):
            return (
                f"Keycloak refuses its http:// {key} while the realm's sslRequired is "
                f"{ssl_required}: change it to https:// (or sslRequired) and convert again"
            )
    return ""


def _local(url: str) -> bool:
    """A loopback or private address, which sslRequired `external` lets through."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def organizations(rep: Rep, report: Report, users: bool) -> list[Item]:
    out = []
    for org in sorted(rep.get("organizations") or [], key=lambda o: str(o["alias"])):
        item: Item = {"alias": org["alias"], **picked(org, "organizations")}
        if "domains" in item:
            item["domains"] = [
                {"name": d["name"], **({"verified": True} if d.get("verified") else {})}
                for d in sorted(item["domains"], key=lambda d: str(d["name"]))
            ]
        if not item.get("attributes"):
            item.pop("attributes", None)
        linked = sorted(_name(p, "alias") for p in org.get("identityProviders") or [])
        if linked:
            item["identityProviders"] = linked
        members = _members(org, report, users)
        if members:
            item["members"] = members
        out.append(item)
    return out


def _members(org: Rep, report: Report, users: bool) -> list[str]:
    """Its unmanaged members by username; managed ones (made by a broker login) and, without
    users, all of them are reported."""
    found = []
    for member in org.get("members") or []:
        username = _name(member, "username")
        if not users or (isinstance(member, Mapping) and member.get("membershipType") == "MANAGED"):
            why = "a managed member (created by the broker)" if users else "users are not exported"
            report.skip(f"organizations[{org['alias']}].members[{username}]", why)
        else:
            found.append(username)
    return sorted(found)


def _name(entry: Any, key: str) -> str:
    return str(entry.get(key)) if isinstance(entry, Mapping) else str(entry)
