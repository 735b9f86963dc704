"""A spec as stable YAML: the same data always gives the same bytes.

Keys keep the order the conversion built (realm first, then kinds in dependency order, the
name of each object first); lists are sorted by the conversion. Long strings are never folded.
"""

from __future__ import annotations

from typing import Any

import yaml

ORDER = (
    "realm",
    "userProfile",
    "requiredActions",
    "authenticationFlows",
    "keys",
    "clientScopes",
    "roles",
    "clients",
    "groups",
    "userFederation",
    "users",
    "identityProviders",
    "organizations",
    "clientProfiles",
    "clientPolicies",
    "clientRegistrationPolicies",
    "usersPermissions",
)
HEADER = "# Written by kcconf {how}: only what differs from a new realm of Keycloak {version}.\n"


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no aliases (shared lists are written out), block style."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(spec: dict[str, Any], how: str, version: str) -> str:
    ordered = {key: spec[key] for key in ORDER if key in spec}
    body = yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
    )
    return HEADER.format(how=how, version=version) + body
