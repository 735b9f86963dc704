"""Old export shapes mapped to today's, as Keycloak's own migrations map a stored realm.

Each step names the Keycloak version that changed the shape; an export written before it is
rewritten the way that version's migration rewrites a realm, so the spec describes the realm
an upgraded server would hold. A step is noted in the report only when it changed something.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from kcconf.adopt.items import Rep
from kcconf.adopt.report import Report

OIDC = "openid-connect"
SUB_MAPPER = "oidc-sub-mapper"  # Keycloak 25's, in its `basic` scope


def version(rep: Rep) -> tuple[int, ...] | None:
    """The version that wrote the export (`3.4.1.Final-SNAPSHOT` -> (3, 4, 1)); None: unknown."""
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", str(rep.get("keycloakVersion") or ""))
    return tuple(int(p or 0) for p in found.groups()) if found else None


def upgrade(
    source: Rep, report: Report, realm: str | None = None, target: str | None = None
) -> dict[str, Any]:
    """`source` in the shape the Keycloak `target` (a version; None: the latest) keeps: only
    the migrations up to that version are applied."""
    to = version({"keycloakVersion": target}) if target else None
    rep: dict[str, Any] = copy.deepcopy(dict(source))
    if realm is not None and realm != rep["realm"]:
        rep = _renamed(rep, str(rep["realm"]), realm)
    _default_roles(rep, report)
    _templates(rep, report)
    _terms_alias(rep)
    written = version(rep)
    if written is not None and written < (25,) and (to is None or to >= (25,)):
        _basic_scope(rep, report)
    if to is not None and to < (25,):
        _no_basic_scope(rep, report)
    if to is None or to >= (26,):
        _hide_on_login(rep, report)
    if written is not None and written < (24,) and _has_user_attributes(rep):
        # Keycloak 24's migration keeps the attributes of realms whose user profile was off.
        rep["userProfile"] = {"unmanagedAttributePolicy": "ENABLED"}
    return rep


def _hide_on_login(rep: dict[str, Any], report: Report) -> None:
    """Keycloak 26 moved a provider's `config.hideOnLoginPage` to its `hideOnLogin` field, and
    moves it so when it is written (docs/keycloak-facts.md 18)."""
    for provider in rep.get("identityProviders") or []:
        config = provider.get("config") or {}
        if "hideOnLoginPage" in config:
            if str(config.pop("hideOnLoginPage")).lower() == "true":
                provider.setdefault("hideOnLogin", True)
            report.note(
                f"identityProviders[{provider['alias']}].config.hideOnLoginPage",
                "hideOnLogin (Keycloak 26)",
            )


def _renamed(rep: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The realm renamed, with its default role (the only object named after the realm)."""
    old_role, new_role = f"default-roles-{old.lower()}", f"default-roles-{new.lower()}"

    def walk(value: Any) -> Any:
        if value == old_role:
            return new_role
        if isinstance(value, str):  # the built-in clients' URLs hold the realm's name
            for prefix in ("/realms/", "/admin/"):
                value = value.replace(f"{prefix}{old}/", f"{prefix}{new}/")
            # A role policy's config names its roles inside a JSON string.
            return value.replace(f'"{old_role}"', f'"{new_role}"')
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    out: dict[str, Any] = walk(rep)
    out["realm"] = new
    return out


def _default_roles(rep: dict[str, Any], report: Report) -> None:
    """Before Keycloak 13, `defaultRoles` (realm roles) and each client's `defaultRoles`;
    since, the composites of the role `default-roles-<realm>`."""
    realm_roles = rep.pop("defaultRoles", None)
    client_roles = {
        c["clientId"]: c.pop("defaultRoles")
        for c in rep.get("clients") or []
        if "defaultRoles" in c
    }
    if realm_roles is None and not client_roles:
        return
    name = f"default-roles-{str(rep['realm']).lower()}"
    roles = rep.setdefault("roles", {}).setdefault("realm", [])
    roles[:] = [r for r in roles if r["name"] != name]
    composites = {"realm": list(realm_roles or []), "client": client_roles}
    roles.append({"name": name, "composite": True, "composites": composites})
    for user in rep.get("users") or []:
        user.setdefault("realmRoles", []).append(name)
    report.note("defaultRoles", f"Keycloak < 13 shape, mapped to the composites of {name}")


def _templates(rep: dict[str, Any], report: Report) -> None:
    """Before Keycloak 4, client templates; since, client scopes (a client's template became
    one of its default scopes)."""
    templates = rep.pop("clientTemplates", None) or []
    scopes: list[Any] = rep.setdefault("clientScopes", []) if templates else []
    for template in templates:
        scopes.append(
            {
                k: template[k]
                for k in ("name", "description", "protocol", "attributes", "protocolMappers")
                if k in template
            }
        )
    for client in rep.get("clients") or []:
        template = client.pop("clientTemplate", None)
        if template:
            client.setdefault("defaultClientScopes", []).append(template)
    for entry in rep.get("scopeMappings") or []:
        if "clientTemplate" in entry:
            entry["clientScope"] = entry.pop("clientTemplate")
    if templates:
        report.note("clientTemplates", "Keycloak < 4 shape, mapped to client scopes")


def _terms_alias(rep: dict[str, Any]) -> None:
    """Keycloak 22 renamed the terms action's alias to upper case."""
    for action in rep.get("requiredActions") or []:
        if action.get("alias") == "terms_and_conditions":
            action["alias"] = action["providerId"] = "TERMS_AND_CONDITIONS"


def _basic_scope(rep: dict[str, Any], report: Report) -> None:
    """Keycloak 25 moved the `sub` claim into the new `basic` scope, and its migration makes
    `basic` a default scope of the realm and of every OpenID Connect client."""
    changed = False
    defaults = rep.get("defaultDefaultClientScopes")
    if isinstance(defaults, list) and "basic" not in defaults:
        defaults.append("basic")
        changed = True
    for client in rep.get("clients") or []:
        scopes = client.get("defaultClientScopes")
        oidc = client.get("protocol", OIDC) == OIDC
        if oidc and isinstance(scopes, list) and "basic" not in scopes:
            scopes.append("basic")
            changed = True
    if changed:
        report.note("basic", "Keycloak < 25 shape: added the basic scope as Keycloak 25 does")


def _no_basic_scope(rep: dict[str, Any], report: Report) -> None:
    """For a Keycloak before 25, an export of 25 or later without Keycloak's `basic` scope:
    the scope holds the `sub` claim's mapper, a mapper type those versions lack (they put
    `sub` in every token without a scope), so the scope and every mention of it go."""
    scopes = rep.get("clientScopes") or []
    ours = [
        s
        for s in scopes
        if s.get("name") == "basic"
        and any(m.get("protocolMapper") == SUB_MAPPER for m in s.get("protocolMappers") or [])
    ]
    if not ours:
        return
    rep["clientScopes"] = [s for s in scopes if s not in ours]
    for owner in [rep, *(rep.get("clients") or [])]:
        for key in (
            "defaultDefaultClientScopes",
            "defaultOptionalClientScopes",
            "defaultClientScopes",
            "optionalClientScopes",
        ):
            if isinstance(owner.get(key), list):
                owner[key] = [n for n in owner[key] if n != "basic"]
    rep["scopeMappings"] = [
        m for m in rep.get("scopeMappings") or [] if m.get("clientScope") != "basic"
    ]
    report.note("basic", "Keycloak 25's built-in scope left out: the target version has none")


def _has_user_attributes(rep: Rep) -> bool:
    return any(u.get("attributes") for u in rep.get("users") or [])
