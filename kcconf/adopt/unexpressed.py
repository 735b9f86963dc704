"""The parts of an export no spec key takes, reported by path and counted, never dropped.

A part a new realm holds the same (Keycloak's own flows, its generated keys) is not the
realm's own configuration and is not reported; everything else is. For objects kcconf does
write, the fields of theirs it does not manage are reported where they differ from what
Keycloak gives a new object (`clients[app].consentRequired`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.adopt import components as own_components
from kcconf.adopt import federation, trim
from kcconf.adopt.items import Rep, kind_fields
from kcconf.adopt.keys import PROVIDER_TYPE as KEY_PROVIDERS
from kcconf.adopt.report import Report

# Fields of a client the conversion takes elsewhere, or that Keycloak stamps itself.
CLIENT_TAKEN = frozenset(
    {
        "id",
        "clientId",
        "secret",
        "defaultClientScopes",
        "optionalClientScopes",
        "protocolMappers",
        "authenticationFlowBindingOverrides",
        "authorizationSettings",  # the authorization block and admin permissions (adopt/authz)
        "access",
        "defaultRoles",
        "clientTemplate",
        "useTemplateConfig",
        "useTemplateScope",
        "useTemplateMappers",
    }
)


def _name(entry: Mapping[str, Any], *keys: str) -> str:
    return next((str(entry[k]) for k in keys if entry.get(k)), "?")


def structural(rep: Rep, base: Rep, report: Report) -> None:
    """Components of the provider types no spec key takes (keys are adopt/keys.py's, user
    federation federation.py's, registration policies and the user profile components.py's),
    and users' links."""
    components = {
        (t, _name(c, "name"), c.get("providerId"))
        for t, cs in (base.get("components") or {}).items()
        for c in cs
    }
    for provider_type, entries in sorted((rep.get("components") or {}).items()):
        if (
            provider_type == KEY_PROVIDERS
            or provider_type in federation.TYPES | own_components.TYPES
        ):
            # written as `keys` (adopt/keys.py), `userFederation` (federation.py),
            # `clientRegistrationPolicies` and `userProfile` (components.py)
            continue
        for c in entries:
            if (provider_type, _name(c, "name"), c.get("providerId")) not in components:
                report.skip(
                    f"components[{provider_type}][{_name(c, 'name')}]",
                    "a component of a provider type kcconf does not manage",
                )
    written = federation.provider_names(rep)  # users linked to those are reported whole
    for user in rep.get("users") or []:
        for key in ("federatedIdentities", "requiredActions", "clientConsents", "federationLink"):
            if user.get(key) and not (key == "federationLink" and user[key] in written):
                report.skip(f"users[{user['username']}].{key}", "not managed for users")


def client_fields(rep: Rep, base: Rep, report: Report) -> None:
    """A client's fields kcconf does not manage, where they differ from `base` (the same
    built-in client of a new realm, or a new client of its protocol)."""
    skip = CLIENT_TAKEN | set(kind_fields("clients"))
    for key in sorted(set(rep) - skip):
        value = rep[key]
        if key in base and trim.same(value, base[key]):
            continue
        if key not in base and value in (None, False, "", [], {}, 0, -1):
            continue
        report.skip(f"clients[{rep['clientId']}].{key}", "a client field kcconf does not manage")


def role_attributes(roles: Iterable[Rep], where: str, report: Report) -> None:
    for role in roles:
        if role.get("attributes"):
            report.skip(f"{where}[{role['name']}].attributes", "role attributes are not managed")
