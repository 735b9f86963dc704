"""Gathering the facts the impersonation rules judge: from the live realm (`kcconf check`),
or as the realm will be once a plan is applied (`kcconf plan`'s warnings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kcconf.checks import permissions
from kcconf.checks.rules import IMPERSONATION, Facts
from kcconf.checks.token_preview import preview
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak import features
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds.client import CLIENT
from kcconf.kinds.user import USER
from kcconf.model.objects import Address, Obj, State

LIGHTWEIGHT = "client.use.lightweight.access.token.enabled"
MANAGEMENT = "realm-management"


@dataclass(frozen=True)
class Case:
    """One impersonation the spec expects: `user` becomes `target` through `client`."""

    user: str
    client: str
    target: str
    token_client: str  # the client that issued the user's token (normally `client`)

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Case:
        client = str(spec["client"])
        return cls(
            str(spec["user"]).lower(),
            client,
            str(spec["target"]).lower(),
            str(spec.get("tokenClient", client)),
        )

    def __str__(self) -> str:
        return f"impersonation {self.user} -> {self.target} through {self.client}"


def server_facts(admin: RealmAdmin) -> tuple[str, bool, bool]:
    """(version, legacy token exchange on, FGAP v1 on) from the server's own report."""
    info = admin.api.server_info()
    version = str(info["systemInfo"]["version"])
    exchange = features.is_on(info, features.TOKEN_EXCHANGE)
    return version, exchange, features.is_on(info, features.FGAP_V1)


def live_facts(admin: RealmAdmin, case: Case) -> Facts:
    version, exchange, fgap_v1 = server_facts(admin)
    client = admin.clients()[case.token_client]
    user_roles = effective_management_roles(admin, case.user)
    target = admin.users().get(case.target)
    target_roles = effective_management_roles(admin, case.target) if target else set()
    token = preview(admin, case.token_client, case.user)
    return Facts(
        version=version,
        token_exchange=exchange,
        fgap_v1=fgap_v1,
        user_has_role="impersonation" in user_roles,
        token_has_role=IMPERSONATION in token.roles,
        roles_default="roles" in (client.get("defaultClientScopes") or []),
        scope_allows_role=bool(client.get("fullScopeAllowed"))
        or "impersonation" in scope_roles(admin, case.token_client),
        lightweight=(client.get("attributes") or {}).get(LIGHTWEIGHT) == "true",
        public=bool(admin.clients()[case.client].get("publicClient")),
        holder=case.client == case.token_client,
        target_exists=bool(target and target.get("enabled", True)),
        target_extra_admin_roles=tuple(sorted(target_roles - user_roles)),
        **_permission(permissions.live(admin) if fgap_v1 else None, case),
    )


def _permission(found: permissions.UsersPermissions | None, case: Case) -> dict[str, Any]:
    """The permission path's facts (FGAP v1 on only: otherwise its endpoints answer 501 or
    differently, and the rules do not consult it)."""
    if found is None:
        return {}
    granted, why = found.grants(case.user, case.target)
    return {"permission": granted, "permission_why": why}


def effective_management_roles(admin: RealmAdmin, username: str) -> set[str]:
    """realm-management roles the user holds, directly or through groups and composites."""
    return ep.USER_ROLE_MAPPINGS.composite(admin, MANAGEMENT, admin.user_id(username))


def scope_roles(admin: RealmAdmin, client_id: str) -> set[str]:
    """realm-management roles the client's role scope lets into its tokens (effective)."""
    return ep.CLIENT_SCOPE_MAPPINGS.composite(admin, MANAGEMENT, admin.client_uuid(client_id))


def projected_facts(admin: RealmAdmin, case: Case, desired: State, live: State) -> Facts:
    """The facts as they will be once the plan is applied: what the spec writes wins over
    what is live. Token contents are predicted from the shape, since no token exists yet."""
    version, exchange, fgap_v1 = server_facts(admin)
    client = _merged(desired, live, Address(CLIENT, case.token_client))
    fields, relations = client
    user_has = _user_has_role(admin, desired, live, case.user)
    full_scope = bool(fields.get("fullScopeAllowed", True))
    mapped = IMPERSONATION in relations.get("scopeMappings.clientRoles", frozenset())
    if "scopeMappings.clientRoles" not in relations and case.token_client in admin.clients():
        mapped = "impersonation" in scope_roles(admin, case.token_client)
    roles_default = "roles" in relations.get("defaultClientScopes", frozenset())
    scope_allows = full_scope or mapped
    target = Address(USER, case.target)
    return Facts(
        version=version,
        token_exchange=exchange,
        fgap_v1=fgap_v1,
        user_has_role=user_has,
        token_has_role=user_has and roles_default and scope_allows,
        roles_default=roles_default,
        scope_allows_role=scope_allows,
        lightweight=fields.get(f"attributes.{LIGHTWEIGHT}") == "true",
        public=bool(_merged(desired, live, Address(CLIENT, case.client))[0].get("publicClient")),
        holder=case.client == case.token_client,
        target_exists=target in desired.objects or target in live.objects,
        **_permission(permissions.projected(admin, desired) if fgap_v1 else None, case),
    )


def _merged(
    desired: State, live: State, address: Address
) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
    """An object's fields and relations as they will be: the spec's over the live ones."""
    have, want = live.objects.get(address), desired.objects.get(address)
    fields: dict[str, Any] = dict(have.fields) if have else {}
    relations: dict[str, frozenset[str]] = dict(have.relations) if have else {}
    if have is not None and have.raw is not None and address.kind == CLIENT:
        relations.setdefault(
            "defaultClientScopes", frozenset(have.raw.get("defaultClientScopes") or ())
        )
    if want is not None:
        fields.update(want.fields)
        relations.update(want.relations)
    return fields, relations


def _user_has_role(admin: RealmAdmin, desired: State, live: State, username: str) -> bool:
    want: Obj | None = desired.objects.get(Address(USER, username))
    if want is not None and "clientRoles" in want.relations:
        return IMPERSONATION in want.relations["clientRoles"]
    if Address(USER, username) in live.objects:
        return "impersonation" in effective_management_roles(admin, username)
    return False
