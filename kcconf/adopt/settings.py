"""The `realm:` block of an adopted spec: the settings that differ from a new realm's, the realm's
default scopes, default roles and groups, and its localization texts.

The settings taken are those the spec schema accepts under `realm:` (so what is written
validates); any other top-level key of the export that no part of the spec takes, and that
differs from a new realm, is reported. Flow bindings are written when they name a new realm's
flow or one the spec declares (adopt/flows.py); a binding to any other is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.adopt import trim
from kcconf.adopt.flows import own_flows
from kcconf.adopt.items import Item, Items, Rep
from kcconf.adopt.report import Report
from kcconf.kinds.authentication_flow import REALM_BINDINGS
from kcconf.spec.schema import realm_schema

# `realm:` keys built from other parts of the export, not copied as settings.
BUILT = frozenset(
    {
        "name",
        "enabled",
        "defaultDefaultClientScopes",
        "defaultOptionalClientScopes",
        "defaultRoles",
        "defaultGroups",
        "localizationTexts",
        "smtpServer",
    }
)
# Top-level keys of an export that are no setting: the realm's id and name, the version that
# wrote it, and the OTP applications Keycloak derives from the OTP policy.
NOT_CONFIG = frozenset({"id", "realm", "keycloakVersion", "otpSupportedApplications"})
# Keys other parts of the conversion take (objects, relations, and what is reported by part).
PARTS = frozenset(
    {
        "clients",
        "clientScopes",
        "roles",
        "groups",
        "users",
        "scopeMappings",
        "clientScopeMappings",
        "defaultRole",
        "requiredActions",
        "authenticationFlows",
        "authenticatorConfig",
        "identityProviders",
        "identityProviderMappers",
        "components",
        "clientPolicies",
        "clientProfiles",
        "organizations",
        "clientTemplates",
    }
)


def accepted() -> frozenset[str]:
    """The realm keys the spec schema takes (not those it names only to refuse)."""
    realm = realm_schema()["properties"]["realm"]["properties"]
    return frozenset(key for key, value in realm.items() if "not" not in value)


def realm_block(
    rep: Rep, base: Rep, items: Items, report: Report, unknown: Mapping[str, str]
) -> Item:
    """`unknown`: realm fields the server does not have, each with the reason it says."""
    block: Item = {"name": rep["realm"]}
    if "enabled" in rep:
        # Always written: a realm created without it is disabled (docs/keycloak-facts.md 16.10).
        block["enabled"] = rep["enabled"]
    flows = own_flows(rep, base)
    for key in sorted(accepted() - BUILT):
        if key not in rep or trim.same(rep[key], base.get(key)):
            continue
        if key in unknown:
            report.skip(key, unknown[key])
        elif key in REALM_BINDINGS and rep[key] not in flows:
            report.skip(key, "binds a flow neither a new realm nor the spec has")
        elif isinstance(rep[key], Mapping):  # compared key by key, as plan compares it
            diff = trim.map_diff(rep[key], base.get(key) or {})
            if diff:
                block[key] = dict(sorted(diff.items()))
        else:
            block[key] = sorted(rep[key]) if isinstance(rep[key], list) else rep[key]
    block |= _relations(rep, base, items)
    smtp = _smtp(rep.get("smtpServer") or {}, report)
    if smtp and not trim.same(smtp, base.get("smtpServer") or {}):
        block["smtpServer"] = smtp
    texts = {k: dict(sorted(v.items())) for k, v in (rep.get("localizationTexts") or {}).items()}
    if any(texts.values()):
        block["localizationTexts"] = dict(sorted((k, v) for k, v in texts.items() if v))
    for key in sorted(set(rep) - accepted() - PARTS - NOT_CONFIG):
        if not trim.same(rep[key], base.get(key)):
            report.skip(key, "a realm setting kcconf does not manage")
    return block


def _relations(rep: Rep, base: Rep, items: Items) -> Item:
    out: Item = {}
    for key in ("defaultDefaultClientScopes", "defaultOptionalClientScopes"):
        if key in rep:
            changed = trim.relation(rep[key], base.get(key), key)
            if changed is not None:
                out[key] = changed
    found, known = default_roles(rep), default_roles(base)
    changed = None if found is None else trim.relation(found, known, "defaultRoles")
    if changed is not None:
        out["defaultRoles"] = changed
    if rep.get("defaultGroups"):
        out["defaultGroups"] = sorted(rep["defaultGroups"])
    return out


def default_roles(rep: Rep) -> Item | None:
    """The composites of `default-roles-<realm>`: what every new user gets (None: the file
    does not say)."""
    name = f"default-roles-{str(rep['realm']).lower()}"
    for role in (rep.get("roles") or {}).get("realm") or []:
        if role["name"] == name:
            found = role.get("composites") or {}
            return {
                "realmRoles": sorted(found.get("realm") or []),
                "clientRoles": {
                    c: sorted(r) for c, r in sorted((found.get("client") or {}).items())
                },
            }
    return None  # a hand-written import without it: Keycloak's own are left alone


def _smtp(smtp: Mapping[str, Any], report: Report) -> Item:
    """The mail server, its password (if any) from the environment."""
    out = {k: v for k, v in sorted(smtp.items()) if k != "password"}
    if smtp.get("password"):
        out["password"] = report.secret("the SMTP server's password", "smtp", "password")
    return out
