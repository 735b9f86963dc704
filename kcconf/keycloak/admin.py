"""The admin client of one realm: paths, paged lists, and ids looked up by natural keys
(clientId, scope name, role name, username, group path).

Specs and plans never hold UUIDs; they are resolved here, from list reads cached per realm.
A name that misses the cache is fetched once more, since apply may have just created it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak import parallel
from kcconf.keycloak.endpoints import Endpoint, Rep
from kcconf.keycloak.rest import Api, seg

T = TypeVar("T")
R = TypeVar("R")

PAGE = 500


class RealmAdmin:
    def __init__(self, api: Api, realm: str, progress: parallel.Progress | None = None) -> None:
        self.api = api
        self.realm = realm
        self.base = seg(realm)
        self.progress = progress or parallel.Progress()
        # One lock per collection: its first reader reads it while the others wait for it, and
        # collections of different keys are read side by side (1,000 clients' roles).
        self._locks: dict[CacheKey, threading.RLock] = {}
        self._locks_lock = threading.Lock()
        # Collections by endpoint and parent ids, each keyed by its items' natural key.
        self._cache: dict[CacheKey, dict[str, Rep]] = {}
        # Single documents by path (a client's authorization settings), None when absent.
        self._documents: dict[str, Rep | None] = {}

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

    def each(self, label: str, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`fn` of every item, up to the connection's `workers` at once, as one phase of
        progress (`label`); results in the items' order."""
        if not items:
            return []
        self.progress.start(label, len(items))
        try:
            return parallel.each(self.api.workers, fn, items, self.progress.tick)
        finally:
            self.progress.finish()

    def collection(self, endpoint: Endpoint, *parents: str) -> dict[str, Rep]:
        """Every item of a collection by natural key, read once and cached. One thread reads
        it while the others that need it wait, rather than each reading it again."""
        key = _key(endpoint, parents)
        found = self._cache.get(key)
        if found is not None:
            return found
        with self._lock_of(key):
            if key not in self._cache:
                reps = (
                    self._group_tree() if endpoint is ep.GROUPS else endpoint.list(self, *parents)
                )
                self._cache[key] = {str(r[endpoint.key]): r for r in reps}
            return self._cache[key]

    def document(self, path: str, read: Callable[[], Rep | None]) -> Rep | None:
        """A document read once per plan (`read()` the first time), shared by the kinds that
        each take their part of it."""
        key: CacheKey = (path, (), ("document",))
        with self._lock_of(key):
            if path not in self._documents:
                self._documents[path] = read()
            return self._documents[path]

    def _lock_of(self, key: CacheKey) -> threading.RLock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.RLock())

    def _group_tree(self) -> list[Rep]:
        """Every group, level by level (parents first). Since Keycloak 23 a group list leaves
        `subGroups` empty: the tree is walked through `children`, whose default page is 10."""
        found: list[Rep] = []
        level = ep.GROUPS.list(self)
        while level:
            found.extend(level)
            level = [
                child
                for group in level
                if group.get("subGroupCount")
                for child in ep.GROUP_CHILDREN.list(self, group["id"])
            ]
        return found

    def find(self, endpoint: Endpoint, key: str, *parents: str) -> Rep | None:
        """The item, read again once if missing: apply may just have created it."""
        seen = self.collection(endpoint, *parents)
        if key in seen:
            return seen[key]
        with self._lock_of(_key(endpoint, parents)):
            # Read again only if no other thread has done so since `seen` was read.
            if self._cache.get(_key(endpoint, parents)) is seen:
                del self._cache[_key(endpoint, parents)]
            return self.collection(endpoint, *parents).get(key)

    def id_of(self, endpoint: Endpoint, key: str, *parents: str) -> str:
        found = self.find(endpoint, key, *parents)
        if found is None:
            raise KcconfError(f"{endpoint.label} {key!r} does not exist in realm {self.realm!r}")
        return str(found["id"])

    def clients(self) -> dict[str, Rep]:
        return self.collection(ep.CLIENTS)

    def client_uuid(self, client_id: str) -> str:
        return self.id_of(ep.CLIENTS, client_id)

    def client_ids_by_uuid(self) -> dict[str, str]:
        return {rep["id"]: cid for cid, rep in self.clients().items()}

    def scopes(self) -> dict[str, Rep]:
        return self.collection(ep.CLIENT_SCOPES)

    def scope_id(self, name: str) -> str:
        return self.id_of(ep.CLIENT_SCOPES, name)

    def users(self, full: bool = True) -> dict[str, Rep]:
        """Every user by username: full representations, or brief ones (no attributes nor
        required actions), which Keycloak lists several times faster (docs/keycloak-facts.md
        17.4)."""
        return self.collection(ep.USERS if full else ep.USERS_BRIEF)

    def user_id(self, username: str) -> str:
        return self.id_of(ep.USERS_BRIEF, username)

    def groups(self) -> dict[str, Rep]:
        """Every group by path (`/staff/moderators`), parents before children, with attributes."""
        return self.collection(ep.GROUPS)

    def group_id(self, path: str) -> str:
        return self.id_of(ep.GROUPS, path)

    def roles(self, client_id: str = "") -> dict[str, Rep]:
        """Realm roles (client_id "") or one client's roles, by name, with descriptions."""
        if not client_id:
            return self.collection(ep.REALM_ROLES)
        return self.collection(ep.CLIENT_ROLES, self.client_uuid(client_id))

    def role(self, ref: str) -> Rep:
        """The representation (id and name) of `name` or `clientId/name`, for mapping bodies."""
        client_id, _, name = ref.rpartition("/")
        if client_id:
            found = self.find(ep.CLIENT_ROLES, name, self.client_uuid(client_id))
        else:
            found = self.find(ep.REALM_ROLES, name)
        if found is None:
            where = f"client {client_id!r}" if client_id else f"realm {self.realm!r}"
            raise KcconfError(f"role {name!r} does not exist in {where}")
        return {"id": found["id"], "name": found["name"]}

    def forget(self) -> None:
        """Drop every cache: after apply, the next plan must read what Keycloak really has."""
        self._cache.clear()
        self._documents.clear()


CacheKey = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


def _key(endpoint: Endpoint, parents: tuple[str, ...]) -> CacheKey:
    """A collection's cache key: brief and full lists of one collection are cached apart."""
    return (endpoint.collection, tuple(sorted(endpoint.params.items())), parents)
