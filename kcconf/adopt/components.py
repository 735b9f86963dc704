"""An export's client registration policies and stored user profile, as spec keys.

Client registration policies (`components[...ClientRegistrationPolicy]`) become
`clientRegistrationPolicies` items, keyed by subType and name; a policy a new realm has alike
(same subType, name and provider) is written only as far as its config differs, key by key. A
config key the new realm's policy holds and the export's lacks cannot be written (a spec merges
config key by key), and is reported.

Keycloak 24+ keeps a realm's saved user profile in a `...UserProfileProvider` component, its
JSON under `kc.user.profile.config`; a new realm has no such component (it serves the default
profile), so a stored one is the realm's own and becomes `userProfile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kcconf.adopt.items import Item, Rep
from kcconf.adopt.report import Report
from kcconf.kinds.user_federation import config_values

POLICY_TYPE = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
PROFILE_TYPE = "org.keycloak.userprofile.UserProfileProvider"
PROFILE_CONFIG = "kc.user.profile.config"
TYPES = frozenset({POLICY_TYPE, PROFILE_TYPE})
# The settings Keycloak's own policy providers declare (serverinfo componentTypes; the same on
# 24.0.5, which lacks registration-web-origins, 26.5.6 and 26.7.5). Keycloak drops any other
# setting silently (docs/keycloak-facts.md 23.3): an old export's
# `consent-required-for-all-mappers`, say.
SETTINGS = {
    "allowed-client-templates": frozenset({"allowed-client-scopes", "allow-default-scopes"}),
    "allowed-protocol-mappers": frozenset({"allowed-protocol-mapper-types"}),
    "client-disabled": frozenset(),
    "consent-required": frozenset(),
    "max-clients": frozenset({"max-clients"}),
    "registration-web-origins": frozenset({"web-origins"}),
    "scope": frozenset(),
    "trusted-hosts": frozenset(
        {"trusted-hosts", "host-sending-registration-request-must-match", "client-uris-must-match"}
    ),
}


def _of(rep: Rep, provider_type: str) -> list[Rep]:
    return list((rep.get("components") or {}).get(provider_type) or [])


def _config(component: Rep, report: Report | None = None) -> dict[str, Any]:
    """Its config as a spec writes it; a multi-valued one sorted (Keycloak keeps no order).
    With a report: a setting Keycloak's own provider does not declare is reported, not kept."""
    out: dict[str, Any] = {}
    declared = SETTINGS.get(str(component.get("providerId")))
    for key, value in sorted((component.get("config") or {}).items()):
        if report is not None and declared is not None and key not in declared:
            subtype, name = _key(component)
            report.skip(
                f"components[{POLICY_TYPE}][{subtype}/{name}].config.{key}",
                f"not a setting of Keycloak's {component.get('providerId')} policy: Keycloak "
                "drops it",
            )
            continue
        value = config_values(value)
        out[key] = sorted(value) if isinstance(value, list) else value
    return out


def _key(component: Rep) -> tuple[str, str]:
    return str(component.get("subType")), str(component.get("name"))


def policies(rep: Rep, base: Rep, report: Report) -> list[Item]:
    """The policies that differ from a new realm's, by subType and name."""
    known = {_key(c): c for c in _of(base, POLICY_TYPE)}
    out = []
    for component in sorted(_of(rep, POLICY_TYPE), key=_key):
        config = _config(component, report)
        own = known.get(_key(component))
        if own is not None and own.get("providerId") == component.get("providerId"):
            _lacking(component, _config(own), config, report)
            config = {k: v for k, v in config.items() if _config(own).get(k) != v}
            if not config:
                continue
        subtype, name = _key(component)
        item: Item = {"name": name, "subType": subtype, "providerId": component["providerId"]}
        if config:
            item["config"] = config
        out.append(item)
    return out


def _lacking(
    component: Rep, own: Mapping[str, Any], config: Mapping[str, Any], report: Report
) -> None:
    subtype, name = _key(component)
    for key in sorted(set(own) - set(config)):
        report.skip(
            f"components[{POLICY_TYPE}][{subtype}/{name}].config.{key}",
            "a setting a new realm's policy has and this one lacks: a spec cannot remove a "
            "config key",
        )


def user_profile(rep: Rep, report: Report) -> dict[str, Any] | None:
    """The stored user profile of an export without a top-level `userProfile`, parsed."""
    for component in _of(rep, PROFILE_TYPE):
        stored = (component.get("config") or {}).get(PROFILE_CONFIG) or []
        if not stored:
            continue  # the default profile: nothing of the realm's own
        try:
            profile = json.loads("".join(str(part) for part in stored))
        except ValueError:
            profile = None
        if isinstance(profile, dict):
            return profile
        report.skip(f"components[{PROFILE_TYPE}].config.{PROFILE_CONFIG}", "not a JSON object")
    return None
