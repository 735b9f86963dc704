"""What the realm costs without kcconf: plain `requests`, one admin request at a time.

Three floors for bench/realm_scale.py: creating the realm object by object (the write floor),
creating it through Keycloak's partial import plus the requests partial import cannot carry,
and reading it the way a straightforward tool must (the read floor). None of kcconf's code is
used, so kcconf's figures are compared with Keycloak itself.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import requests
from realm_shape import Shape

PAGE = 1000  # list page size of the read floor
CLIENT_CHUNK = 200  # clients per partial import
USER_CHUNK = 1000  # users per partial import


class Admin:
    """Keycloak's admin REST API with a password-grant login to master's admin-cli, the token
    renewed before it expires (master's admin tokens live 60 s), and a count per method."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url, self.username, self.password = url.rstrip("/"), username, password
        self.http = requests.Session()
        self.counts: Counter[str] = Counter()
        self.token, self.expires = "", 0.0

    def _login(self) -> None:
        answer = self.http.post(
            f"{self.url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.username,
                "password": self.password,
            },
            timeout=60,
        )
        answer.raise_for_status()
        body = answer.json()
        self.token = body["access_token"]
        self.expires = time.monotonic() + float(body["expires_in"]) - 10

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        if time.monotonic() >= self.expires:
            self._login()
        self.counts[method] += 1
        answer = self.http.request(
            method,
            f"{self.url}/admin/realms{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=600,
        )
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer

    def get(self, path: str) -> Any:
        return self.call("GET", path).json()

    def create(self, path: str, body: Any) -> str:
        """POST a new object; its id, from the Location header."""
        return str(self.call("POST", path, body).headers["Location"].rsplit("/", 1)[1])

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        sep = "&" if "?" in path else "?"
        first = 0
        while True:
            page = self.get(f"{path}{sep}first={first}&max={PAGE}")
            yield from page
            if len(page) < PAGE:
                return
            first += PAGE

    def server_version(self) -> str:
        if time.monotonic() >= self.expires:
            self._login()
        answer = self.http.get(
            f"{self.url}/admin/serverinfo",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        answer.raise_for_status()
        return str(answer.json()["systemInfo"]["version"])

    def delete_realm(self, realm: str) -> None:
        self.call("DELETE", f"/{realm}")


def role_ids(api: Admin, realm: str) -> dict[str, dict[str, Any]]:
    """Name -> {id, name} of every realm role: what composite and mapping bodies need."""
    return {r["name"]: {"id": r["id"], "name": r["name"]} for r in api.pages(f"/{realm}/roles")}


def write_floor(api: Admin, shape: Shape) -> None:
    """Every object and relation by its own admin request, in dependency order."""
    r = shape.realm
    api.call("POST", "", {"realm": r, "enabled": True})
    for role in shape.roles:
        api.call("POST", f"/{r}/roles", {"name": role})
    roles = role_ids(api, r)
    for parent, children in shape.composites.items():
        api.call(
            "POST",
            f"/{r}/roles-by-id/{roles[parent]['id']}/composites",
            [roles[c] for c in children],
        )
    scopes = {
        s: api.create(f"/{r}/client-scopes", {"name": s, "protocol": "openid-connect"})
        for s in shape.scopes
    }
    for c in shape.clients:
        cid = api.create(
            f"/{r}/clients",
            {"clientId": c.client_id, "publicClient": True, "fullScopeAllowed": False},
        )
        for role in c.roles:
            api.call("POST", f"/{r}/clients/{cid}/roles", {"name": role})
        api.call(
            "POST", f"/{r}/clients/{cid}/scope-mappings/realm", [roles[x] for x in c.scope_roles]
        )
        api.call("PUT", f"/{r}/clients/{cid}/default-client-scopes/{scopes[c.default_scope]}")
    groups: dict[str, str] = {}
    for g in shape.groups:
        if g.parent is None:
            gid = api.create(f"/{r}/groups", {"name": g.name})
        else:
            gid = api.create(f"/{r}/groups/{groups[f'/{g.parent}']}/children", {"name": g.name})
        groups[g.path] = gid
        api.call("POST", f"/{r}/groups/{gid}/role-mappings/realm", [roles[g.role]])
    for u in shape.users:
        uid = api.create(f"/{r}/users", user_body(u.username, u.email))
        api.call("POST", f"/{r}/users/{uid}/role-mappings/realm", [roles[u.role]])
        api.call("PUT", f"/{r}/users/{uid}/groups/{groups[u.group]}")


def user_body(username: str, email: str) -> dict[str, Any]:
    return {
        "username": username,
        "enabled": True,
        "email": email,
        "firstName": "User",
        "lastName": username[5:],
    }


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_floor(api: Admin, shape: Shape) -> None:
    """Keycloak's partial import in parts, and plain requests for what it cannot carry: client
    scopes (not part of a partial import), clients' default scopes and scope mappings."""
    r = shape.realm
    api.call("POST", "", {"realm": r, "enabled": True})

    def partial(body: dict[str, Any]) -> None:
        api.call("POST", f"/{r}/partialImport", {"ifResourceExists": "FAIL", **body})

    realm_roles = [
        {"name": role, **({"composite": True, "composites": {"realm": kids}} if kids else {})}
        for role in shape.roles
        for kids in [shape.composites.get(role)]
    ]
    partial({"roles": {"realm": realm_roles}})
    scopes = {
        s: api.create(f"/{r}/client-scopes", {"name": s, "protocol": "openid-connect"})
        for s in shape.scopes
    }
    for part in chunks(shape.clients, CLIENT_CHUNK):
        partial(
            {
                "clients": [
                    {"clientId": c.client_id, "publicClient": True, "fullScopeAllowed": False}
                    for c in part
                ],
                "roles": {"client": {c.client_id: [{"name": n} for n in c.roles] for c in part}},
            }
        )
    roles = role_ids(api, r)
    clients = {c["clientId"]: c["id"] for c in api.pages(f"/{r}/clients")}
    for c in shape.clients:
        cid = clients[c.client_id]
        api.call(
            "POST", f"/{r}/clients/{cid}/scope-mappings/realm", [roles[x] for x in c.scope_roles]
        )
        api.call("PUT", f"/{r}/clients/{cid}/default-client-scopes/{scopes[c.default_scope]}")
    tops: dict[str, dict[str, Any]] = {}
    for g in shape.groups:
        rep = {"name": g.name, "path": g.path, "realmRoles": [g.role]}  # without path: a 500
        if g.parent is None:
            tops[g.name] = {**rep, "subGroups": []}
        else:
            tops[g.parent]["subGroups"].append(rep)
    partial({"groups": list(tops.values())})
    for part in chunks(shape.users, USER_CHUNK):
        partial(
            {
                "users": [
                    {**user_body(u.username, u.email), "realmRoles": [u.role], "groups": [u.group]}
                    for u in part
                ]
            }
        )


def read_floor(api: Admin, realm: str) -> None:
    """Every list once, then the per-object reads of direct relations, one request at a time."""
    r = realm
    api.get(f"/{r}")
    for role in api.pages(f"/{r}/roles?briefRepresentation=false"):
        if role.get("composite"):
            api.get(f"/{r}/roles-by-id/{role['id']}/composites")
    api.get(f"/{r}/client-scopes")
    for c in list(api.pages(f"/{r}/clients")):
        api.get(f"/{r}/clients/{c['id']}/roles")
        api.get(f"/{r}/clients/{c['id']}/scope-mappings")
        api.get(f"/{r}/clients/{c['id']}/default-client-scopes")
    for top in list(api.pages(f"/{r}/groups?briefRepresentation=false")):
        api.get(f"/{r}/groups/{top['id']}/role-mappings")
        for sub in list(api.pages(f"/{r}/groups/{top['id']}/children?briefRepresentation=false")):
            api.get(f"/{r}/groups/{sub['id']}/role-mappings")
    for u in list(api.pages(f"/{r}/users?briefRepresentation=false")):
        api.get(f"/{r}/users/{u['id']}/role-mappings")
        api.get(f"/{r}/users/{u['id']}/groups")
