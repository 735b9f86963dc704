"""A live realm read as Keycloak's export representation, for the path convert takes.

The partial export holds what a realm-export file holds except users and client secrets; the
service-account users (whose roles are their clients') and, when asked, the people are read
through the admin API into the same shape. The baseline is measured on the same server.
"""

from __future__ import annotations

from typing import Any

from kcconf.adopt.baseline import Baseline, measure, partial_export
from kcconf.adopt.convert import Converted, convert
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import Api, seg


def read(api: Api, realm: str, users: bool) -> dict[str, Any]:
    admin = RealmAdmin(api, realm)
    rep: dict[str, Any] = partial_export(api, realm)
    rep["users"] = []
    for client in rep.get("clients") or []:
        if client.get("serviceAccountsEnabled"):
            user = _user(admin, ep.service_account_user(admin, str(client["id"])), service=True)
            rep["users"].append(user | {"serviceAccountClientId": client["clientId"]})
    if users:
        people = [u for u in admin.users().values() if not u.get("serviceAccountClientId")]
        rep["users"] += [_user(admin, user, service=False) for user in people]
    if rep.get("organizationsEnabled"):  # the partial export leaves organizations out
        rep["organizations"] = [_organization(admin, org) for org in ep.ORGANIZATIONS.list(admin)]
    return rep


def _organization(admin: RealmAdmin, org: dict[str, Any]) -> dict[str, Any]:
    """An organization as a full export writes one: with its providers and members."""
    org_id = str(org["id"])
    return org | {
        "identityProviders": ep.ORGANIZATION_IDPS.list(admin, org_id),
        "members": ep.ORGANIZATION_MEMBERS.list(admin, org_id),
    }


def _user(admin: RealmAdmin, user: dict[str, Any], service: bool) -> dict[str, Any]:
    """A user as an export writes one: its direct roles and groups by name."""
    out = dict(user)
    mappings = admin.api.get(admin.path("users", seg(str(user["id"])), "role-mappings"))
    realm = [r["name"] for r in mappings.get("realmMappings") or []]
    clients = {
        str(m["client"]): sorted(r["name"] for r in m.get("mappings") or [])
        for m in (mappings.get("clientMappings") or {}).values()
    }
    out["realmRoles"], out["clientRoles"] = realm, clients
    if not service:
        groups = admin.api.get(admin.path("users", seg(str(user["id"])), "groups"))
        out["groups"] = sorted(str(g["path"]) for g in groups)
        creds = admin.api.get(admin.path("users", seg(str(user["id"])), "credentials"))
        out["credentials"] = [{"type": c.get("type")} for c in creds]
    return out


def export(api: Api, realm: str, users: bool) -> tuple[Converted, Baseline]:
    baseline = measure(api)
    return convert(read(api, realm, users), baseline, users=users), baseline
