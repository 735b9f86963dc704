"""The server's features, as its serverinfo reports them, and the refusal a spec gets when it
needs one that is off (docs/keycloak-facts.md 22.1).

Keycloak 24.0.5 and 26.x list every feature under `features` with `enabled`, and the disabled
ones again under `profileInfo.disabledFeatures`: the list is read, the profile only where a
server sends no list (a feature not disabled there is on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.errors import KcconfError

TOKEN_EXCHANGE = "TOKEN_EXCHANGE"
FGAP_V1 = "ADMIN_FINE_GRAINED_AUTHZ"
# How each is switched on at the server's start (`kc.sh start --features=...`).
OPTION = {
    TOKEN_EXCHANGE: "token-exchange",
    FGAP_V1: "admin-fine-grained-authz:v1",
}


def enabled(info: Mapping[str, Any]) -> frozenset[str] | None:
    """The names of the features on; None when the answer says nothing usable."""
    listed = info.get("features")
    if isinstance(listed, list):
        return frozenset(
            str(f["name"]) for f in listed if isinstance(f, Mapping) and f.get("enabled") is True
        )
    return None


def is_on(info: Mapping[str, Any], feature: str) -> bool:
    """Whether `feature` is on: from the feature list (26.x), or from the profile's disabled
    list (24.x), where a feature not listed as disabled is on."""
    found = enabled(info)
    if found is not None:
        return feature in found
    profile = info.get("profileInfo")
    if isinstance(profile, Mapping) and isinstance(profile.get("disabledFeatures"), list):
        return feature not in profile["disabledFeatures"]
    return False  # an answer of an unknown shape: claim nothing is on


def require(info: Mapping[str, Any], feature: str, why: str) -> None:
    """Refuse, before anything is written, a spec that needs a feature the server has off."""
    if is_on(info, feature):
        return
    version = (info.get("systemInfo") or {}).get("version", "unknown")
    raise KcconfError(
        f"{why} needs the Keycloak feature {OPTION[feature]}, which is off on this server "
        f"(Keycloak {version}): start it with --features={OPTION[feature]} (nothing was written)"
    )
