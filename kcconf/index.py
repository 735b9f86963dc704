"""Looks up Keycloak's ids for natural keys (clientId, scope name, role name, username).

Specs and plans never hold UUIDs; they are resolved here, from list reads cached per realm.
A name that misses the cache is fetched once more, since apply may have just created it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.api import Api, seg
from kcconf.errors import KcconfError

Rep = dict[str, Any]
PAGE = 500


class Index:
    def __init__(self, api: Api, realm: str) -> None:
        self.api = api
        self.realm = realm
        self.base = seg(realm)
        self._clients: dict[str, Rep] | None = None
        self._scopes: dict[str, Rep] | None = None
        self._roles: dict[str, dict[str, Rep]] = {}  # "" for realm roles, else clientId
        self._users: dict[str, Rep] | None = None

    def path(self, *parts: str) -> str:
        return "/".join([self.base, *parts])

    def paged(self, path: str, **params: Any) -> list[Rep]:
        """Every item of a list endpoint, PAGE at a time (Keycloak caps some lists at 100)."""
        items: list[Rep] = []
        while True:
            page = self.api.get(self.path(path), first=len(items), max=PAGE, **params)
            items.extend(page)
            if len(page) < PAGE:
                return items

    def clients(self) -> dict[str, Rep]:
        if self._clients is None:
            self._clients = {c["clientId"]: c for c in self.paged("clients")}
        return self._clients

    def client_uuid(self, client_id: str) -> str:
        if client_id not in self.clients():
            self._clients = None
        if client_id not in self.clients():
            raise KcconfError(f"client {client_id!r} does not exist in realm {self.realm!r}")
        return str(self.clients()[client_id]["id"])

    def client_ids_by_uuid(self) -> dict[str, str]:
        return {rep["id"]: cid for cid, rep in self.clients().items()}

    def scopes(self) -> dict[str, Rep]:
        if self._scopes is None:
            self._scopes = {s["name"]: s for s in self.api.get(self.path("client-scopes"))}
        return self._scopes

    def scope_id(self, name: str) -> str:
        if name not in self.scopes():
            self._scopes = None
        if name not in self.scopes():
            raise KcconfError(f"client scope {name!r} does not exist in realm {self.realm!r}")
        return str(self.scopes()[name]["id"])

    def roles(self, client_id: str = "") -> dict[str, Rep]:
        """Realm roles (client_id "") or one client's roles, by name, with descriptions."""
        if client_id not in self._roles:
            path = "roles" if not client_id else f"clients/{self.client_uuid(client_id)}/roles"
            reps = self.paged(path, briefRepresentation="false")
            self._roles[client_id] = {r["name"]: r for r in reps}
        return self._roles[client_id]

    def role(self, ref: str) -> Rep:
        """The representation (id and name) of `name` or `clientId/name`, for mapping bodies."""
        client_id, _, name = ref.rpartition("/")
        if name not in self.roles(client_id):
            self._roles.pop(client_id, None)
        found = self.roles(client_id).get(name)
        if found is None:
            where = f"client {client_id!r}" if client_id else f"realm {self.realm!r}"
            raise KcconfError(f"role {name!r} does not exist in {where}")
        return {"id": found["id"], "name": found["name"]}

    def users(self) -> dict[str, Rep]:
        if self._users is None:
            reps = self.paged("users", briefRepresentation="false")
            self._users = {u["username"]: u for u in reps}
        return self._users

    def user_id(self, username: str) -> str:
        if username not in self.users():
            self._users = None
        if username not in self.users():
            raise KcconfError(f"user {username!r} does not exist in realm {self.realm!r}")
        return str(self.users()[username]["id"])

    def forget(self) -> None:
        """Drop every cache: after apply, the next plan must read what Keycloak really has."""
        self._clients = self._scopes = self._users = None
        self._roles.clear()


def role_refs(reps: Iterable[Mapping[str, Any]], client_ids: Mapping[str, str]) -> set[str]:
    """Role representations as natural keys: `name` for realm roles, `clientId/name` else."""
    refs = set()
    for rep in reps:
        if rep.get("clientRole"):
            refs.add(f"{client_ids.get(rep['containerId'], rep['containerId'])}/{rep['name']}")
        else:
            refs.add(str(rep["name"]))
    return refs


def mapping_refs(body: Mapping[str, Any] | None) -> tuple[set[str], set[str]]:
    """Split a role-mappings or scope-mappings answer into realm and client role refs."""
    body = body or {}
    realm = {str(r["name"]) for r in body.get("realmMappings") or []}
    clients = {
        f"{client_id}/{r['name']}"
        for client_id, entry in (body.get("clientMappings") or {}).items()
        for r in entry.get("mappings") or []
    }
    return realm, clients
