"""What Keycloak keeps of what it is given: an export rewritten the way the server rewrites it.

Some values a realm-export holds never read back as written, whatever imports them (kcconf
apply, Keycloak's own import): a realm attribute that is a realm field in disguise, an empty
name of a user, a client scope of the other protocol in a client's scope lists, a
service-account client without the `service_account` scope. Written into a spec as they are,
they would stay a change in every plan; written the way Keycloak keeps them, the spec describes
the realm the server really holds. Each rewrite is noted in the report when it changed something.
Measured on Keycloak 26.5.6 (docs/keycloak-facts.md 16.6 to 16.9); what depends on the version
is measured per version (16.13).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kcconf.adopt.items import Rep
from kcconf.adopt.report import Report
from kcconf.adopt.upgrade import OIDC

# Realm fields Keycloak stores among the realm's attributes: a read shows them as fields and
# never under `attributes` (16.6). Older exports wrote them in both places.
FIELD_ATTRIBUTES = frozenset(
    {
        "actionTokenGeneratedByAdminLifespan",
        "actionTokenGeneratedByUserLifespan",
        "adminPermissionsEnabled",
        "bruteForceProtected",
        "bruteForceStrategy",
        "defaultSignatureAlgorithm",
        "failureFactor",
        "maxDeltaTimeSeconds",
        "maxFailureWaitSeconds",
        "maxTemporaryLockouts",
        "minimumQuickLoginWaitSeconds",
        "offlineSessionMaxLifespan",
        "offlineSessionMaxLifespanEnabled",
        "organizationsEnabled",
        "permanentLockout",
        "quickLoginCheckMilliSeconds",
        "verifiableCredentialsEnabled",
        "waitIncrementSeconds",
        "webAuthnPolicyAttestationConveyancePreference",
        "webAuthnPolicyAuthenticatorAttachment",
        "webAuthnPolicyAvoidSameAuthenticatorRegister",
        "webAuthnPolicyCreateTimeout",
        "webAuthnPolicyRequireResidentKey",
        "webAuthnPolicyRpEntityName",
        "webAuthnPolicyRpId",
        "webAuthnPolicyUserVerificationRequirement",
    }
)
HEADERS = "_browser_header."  # one attribute per entry of `browserSecurityHeaders`
# Realm lists a read leaves out when they are empty (16.7).
EMPTY_UNREAD = ("supportedLocales",)
USER_NAMES = ("firstName", "lastName", "email")  # an empty one is not kept (16.7)
SERVICE_SCOPE = "service_account"
# A client's empty redirect URIs and web origins (`""`) are dropped on write from this version
# on (measured: 26.7.3, 26.7.5); 26.5.6 keeps them (16.13).
EMPTY_URIS_DROPPED = (26, 7, 3)
URI_LISTS = ("redirectUris", "webOrigins")


def as_kept(rep: dict[str, Any], base: Rep, report: Report, version: str) -> None:
    """`rep` rewritten in place the way Keycloak `version` keeps it; `base` is a new realm of
    that server."""
    _realm_attributes(rep, report)
    for key in EMPTY_UNREAD:
        if rep.get(key) == [] and key not in base:
            del rep[key]
    for user in rep.get("users") or []:
        for key in USER_NAMES:
            if user.get(key) == "":
                del user[key]
    protocols = {
        str(s["name"]): str(s.get("protocol") or OIDC)
        for s in [*(base.get("clientScopes") or []), *(rep.get("clientScopes") or [])]
    }
    known = {str(c["clientId"]) for c in base.get("clients") or []}
    for client in rep.get("clients") or []:
        _client_scopes(client, protocols, report)
        if str(client["clientId"]) not in known:
            _web_origins(client)
        if _version(version) >= EMPTY_URIS_DROPPED:
            _empty_uris(client, report)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def _empty_uris(client: dict[str, Any], report: Report) -> None:
    for key in URI_LISTS:
        values = client.get(key)
        if isinstance(values, list) and "" in values:
            client[key] = [v for v in values if v != ""]
            report.note(
                f"clients[{client['clientId']}].{key}",
                "empty entries left out, as this Keycloak leaves them out",
            )


def _field_of(rep: Rep, key: str) -> Any:
    if key.startswith(HEADERS):
        return (rep.get("browserSecurityHeaders") or {}).get(key.removeprefix(HEADERS))
    return rep.get(key)


def _realm_attributes(rep: dict[str, Any], report: Report) -> None:
    attributes = rep.get("attributes")
    if not isinstance(attributes, Mapping):
        return
    hidden = sorted(k for k in attributes if k in FIELD_ATTRIBUTES or k.startswith(HEADERS))
    for key in hidden:
        field = _field_of(rep, key)
        if field is None or str(field).lower() != str(attributes[key]).lower():
            where = "browserSecurityHeaders" if key.startswith(HEADERS) else key
            report.skip(
                f"attributes.{key}",
                f"Keycloak keeps it as the realm field {where}, and the export's field "
                "differs or is missing",
            )
    rep["attributes"] = {k: v for k, v in attributes.items() if k not in hidden}
    if hidden:
        report.note("attributes", "realm fields written again as attributes: left to the fields")


def _client_scopes(client: dict[str, Any], protocols: Mapping[str, str], report: Report) -> None:
    """A client keeps only scopes of its own protocol; a service-account client always has
    `service_account` as a default scope, where the server has that scope (16.8, 16.9)."""
    protocol = str(client.get("protocol") or OIDC)
    for key in ("defaultClientScopes", "optionalClientScopes"):
        scopes = client.get(key)
        if not isinstance(scopes, list):
            continue
        own = [s for s in scopes if protocols.get(s, protocol) == protocol]
        if own != scopes:
            client[key] = own
            report.note(
                f"clients[{client['clientId']}].{key}",
                "scopes of another protocol left out, as Keycloak leaves them out",
            )
    defaults = client.get("defaultClientScopes")
    if (
        client.get("serviceAccountsEnabled")
        and SERVICE_SCOPE in protocols
        and isinstance(defaults, list)
        and SERVICE_SCOPE not in defaults
    ):
        defaults.append(SERVICE_SCOPE)
        optional = client.get("optionalClientScopes")
        if isinstance(optional, list) and SERVICE_SCOPE in optional:
            optional.remove(SERVICE_SCOPE)
        report.note(
            f"clients[{client['clientId']}].defaultClientScopes",
            f"{SERVICE_SCOPE} added, as Keycloak adds it to every service-account client",
        )


def origins(client: Rep) -> list[str]:
    """The web origins Keycloak gives a client created without `webOrigins`: those of its
    http(s) redirect URIs (16.11)."""
    found = set()
    for uri in client.get("redirectUris") or []:
        if str(uri).startswith("http"):
            parts = urlsplit(str(uri))
            found.add(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")
    return sorted(found)


def _web_origins(client: dict[str, Any]) -> None:
    if "webOrigins" not in client and origins(client):
        client["webOrigins"] = origins(client)
