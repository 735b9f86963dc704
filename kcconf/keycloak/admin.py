"""Looks up Keycloak's ids for natural keys (clientId, scope name, role name, username, group
path).

Specs and plans never hold UUIDs; they are resolved here, from list reads cached per realm.
A name that misses the cache is fetched once more, since apply may have just created it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.errors import KcconfError
from kcconf.keycloak.rest import Api, seg

Rep = dict[str, Any]
PAGE = 500


class Index:
    def __init__(self, api: Api, realm: str) -> None:
        self.api = api
        self.realm = realm
        self.base = seg(realm)
        # Collections by name ("clients", "client-scopes", "users", "groups", "roles:" + clientId).
        self._cache: dict[str, dict[str, Rep]] = {}

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

    def _collection(self, name: str) -> dict[str, Rep]:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> dict[str, Rep]:
        if name == "clients":
            return {c["clientId"]: c for c in self.paged("clients")}
        if name == "client-scopes":
            return {s["name"]: s for s in self.api.get(self.path("client-scopes"))}
        if name == "users":
            return {u["username"]: u for u in self.paged("users", briefRepresentation="false")}
        if name == "groups":
            return {g["path"]: g for g in self._group_tree()}
        client_id = name.removeprefix("roles:")
        path = f"clients/{self.client_uuid(client_id)}/roles" if client_id else "roles"
        return {r["name"]: r for r in self.paged(path, briefRepresentation="false")}

    def _group_tree(self) -> list[Rep]:
        """Every group, level by level (parents first). Since Keycloak 23 a group list leaves
        `subGroups` empty: the tree is walked through `children`, whose default page is 10."""
        found: list[Rep] = []
        level = self.paged("groups", briefRepresentation="false")
        while level:
            found.extend(level)
            level = [
                child
                for group in level
                if group.get("subGroupCount")
                for child in self.paged(
                    f"groups/{group['id']}/children", briefRepresentation="false"
                )
            ]
        return found

    def _find(self, name: str, key: str) -> Rep | None:
        """The item, read again once if missing: apply may just have created it."""
        if key not in self._collection(name):
            self._cache.pop(name, None)
        return self._collection(name).get(key)

    def _id(self, name: str, key: str, what: str) -> str:
        found = self._find(name, key)
        if found is None:
            raise KcconfError(f"{what} {key!r} does not exist in realm {self.realm!r}")
        return str(found["id"])

    def clients(self) -> dict[str, Rep]:
        return self._collection("clients")

    def client_uuid(self, client_id: str) -> str:
        return self._id("clients", client_id, "client")

    def client_ids_by_uuid(self) -> dict[str, str]:
        return {rep["id"]: cid for cid, rep in self.clients().items()}

    def scopes(self) -> dict[str, Rep]:
        return self._collection("client-scopes")

    def scope_id(self, name: str) -> str:
        return self._id("client-scopes", name, "client scope")

    def users(self) -> dict[str, Rep]:
        return self._collection("users")

    def user_id(self, username: str) -> str:
        return self._id("users", username, "user")

    def groups(self) -> dict[str, Rep]:
        """Every group by path (`/staff/moderators`), parents before children, with attributes."""
        return self._collection("groups")

    def group_id(self, path: str) -> str:
        return self._id("groups", path, "group")

    def roles(self, client_id: str = "") -> dict[str, Rep]:
        """Realm roles (client_id "") or one client's roles, by name, with descriptions."""
        return self._collection(f"roles:{client_id}")

    def role(self, ref: str) -> Rep:
        """The representation (id and name) of `name` or `clientId/name`, for mapping bodies."""
        client_id, _, name = ref.rpartition("/")
        found = self._find(f"roles:{client_id}", name)
        if found is None:
            where = f"client {client_id!r}" if client_id else f"realm {self.realm!r}"
            raise KcconfError(f"role {name!r} does not exist in {where}")
        return {"id": found["id"], "name": found["name"]}

    def forget(self) -> None:
        """Drop every cache: after apply, the next plan must read what Keycloak really has."""
        self._cache.clear()


def role_refs(
    reps: Iterable[Mapping[str, Any]], client_ids: Mapping[str, str]
) -> tuple[set[str], set[str]]:
    """Role representations as natural keys: realm role names, and `clientId/name`."""
    realm: set[str] = set()
    clients: set[str] = set()
    for rep in reps:
        if rep.get("clientRole"):
            client = client_ids.get(rep["containerId"], rep["containerId"])
            clients.add(f"{client}/{rep['name']}")
        else:
            realm.add(str(rep["name"]))
    return realm, clients


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
