"""Users: profile fields, attributes, an initial password, role mappings and group membership."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.builtins import default_roles_name
from kcconf.keycloak.admin import Index, mapping_refs
from kcconf.kinds.base import (
    MappingEndpoint,
    Relation,
    SpecContext,
    list_attributes,
    pick,
    role_relations,
)
from kcconf.kinds.group import planned_paths
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, Secret, State, marked, owned, unflatten_into

FIELDS = ("enabled", "email", "emailVerified", "firstName", "lastName", "attributes")
PASSWORD = "password"


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return list_attributes(pick(rep, FIELDS))


ROLE_MAPPINGS = MappingEndpoint(
    lambda index, address: index.path("users", index.user_id(address.name), "role-mappings")
)
ROLES = ("realmRoles", "clientRoles")
GROUPS = "groups"


def _membership(joining: bool) -> Callable[[Index, Address, Sequence[str]], None]:
    def run(index: Index, address: Address, paths: Sequence[str]) -> None:
        user_id = index.user_id(address.name)
        for path in paths:
            url = index.path("users", user_id, "groups", index.group_id(path))
            if joining:
                index.api.put(url)
            else:
                index.api.delete(url)

    return run


class UserKind:
    name = "user"
    relations: ClassVar[Mapping[str, Relation]] = {
        **ROLE_MAPPINGS.relations("roles"),
        GROUPS: Relation("groups", _membership(True), _membership(False)),
    }

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get("users") or []):
            initial: dict[str, Any] = {}
            if PASSWORD in spec:
                secret = ctx.secret(("users", i, PASSWORD), spec[PASSWORD])
                if secret is not None:
                    initial[PASSWORD] = secret
            # Keycloak stores usernames in lower case; so must the address, or Bob is never found.
            address = Address(self.name, spec["username"].lower())
            relations = role_relations(spec)
            if GROUPS in spec:
                relations[GROUPS] = frozenset(spec[GROUPS])
            yield Obj(address, fields_of(spec), relations, initial=initial)

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        paths: dict[str, str] | None = None
        for username, rep in index.users().items():
            address = Address(self.name, username)
            relations: dict[str, frozenset[str]] = {}
            want = desired.wanted(address)
            if want is not None and any(r in want.relations for r in ROLES):
                relations.update(_role_mappings(index, rep, want))
            if want is not None and GROUPS in want.relations:
                # Known by the paths the plan uses: below a renamed group, the new ones.
                if paths is None:
                    paths = planned_paths(index.groups().values(), desired)
                found = index.paged(f"users/{rep['id']}/groups")
                relations[GROUPS] = frozenset(paths.get(g["id"]) or str(g["path"]) for g in found)
            yield Obj(
                address,
                fields_of(rep),
                relations,
                raw=rep,
                owned=owned(rep),
                protected=_protected(index, rep),
            )

    def create(self, index: Index, change: Change) -> None:
        # The admin API creates users disabled unless told; the admin console enables them.
        # A spec that declares a user without `enabled` means one who can log in.
        body = unflatten_into(
            {"username": change.address.name, "enabled": True}, change.target.fields
        )
        # Kept only where the user profile allows unmanaged attributes (Keycloak 24+).
        body = marked(body, as_list=True)
        user_id = index.api.post(index.path("users"), body) or index.user_id(change.address.name)
        _set_password(index, user_id, change.target.initial.get(PASSWORD))

    def update(self, index: Index, change: Change) -> None:
        user_id = str(change.live_raw["id"])
        fields = {f.name: f.new for f in change.fields if f.name != PASSWORD}
        if fields:
            # Since 24.0.4 a user PUT is not partial for attributes: send the whole user back.
            body = unflatten_into(dict(change.live_raw), fields)
            index.api.put(index.path("users", user_id), body)
        if any(f.name == PASSWORD for f in change.fields):
            _set_password(index, user_id, change.target.initial.get(PASSWORD))

    def delete(self, index: Index, change: Change) -> None:
        index.api.delete(index.path("users", str(change.live_raw["id"])))


def _role_mappings(index: Index, rep: Mapping[str, Any], want: Obj) -> dict[str, frozenset[str]]:
    body = index.api.get(index.path("users", rep["id"], "role-mappings"))
    realm, clients = mapping_refs(body)
    # Keycloak gives every new user this role; it is left alone unless listed.
    default = default_roles_name(index.realm)
    if default not in want.relations.get("realmRoles", ()):
        realm.discard(default)
    return {"realmRoles": frozenset(realm), "clientRoles": frozenset(clients)}


def _protected(index: Index, rep: Mapping[str, Any]) -> bool:
    """Service-account users belong to their clients; the user kcconf acts as keeps its access."""
    if rep.get("serviceAccountClientId"):
        return True
    return index.realm == index.api.auth_realm and rep["username"] == index.api.login_user


def _set_password(index: Index, user_id: str, password: Any) -> None:
    if isinstance(password, Secret):
        credential = {"type": "password", "value": password.reveal(), "temporary": False}
        index.api.put(index.path("users", user_id, "reset-password"), credential)
