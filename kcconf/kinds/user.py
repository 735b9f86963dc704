"""Users: profile fields, attributes, an initial password, role mappings and group membership."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import seg
from kcconf.kinds import base
from kcconf.kinds.group import GROUP, planned_paths
from kcconf.kinds.role import default_roles_name
from kcconf.model.changes import Change
from kcconf.model.objects import (
    Address,
    Obj,
    Secret,
    State,
    marked,
    string_list,
    unflatten_into,
)
from kcconf.spec.checker import SpecChecker

FIELDS = ("enabled", "email", "emailVerified", "firstName", "lastName", "attributes")
PASSWORD = "password"
USER = "user"


def _id(admin: RealmAdmin, address: Address) -> str:
    return admin.user_id(address.name)


ROLES = base.RoleRefs(ep.USER_ROLE_MAPPINGS, _id, "roles")
GROUPS = "groups"


def _membership(joining: bool) -> Callable[[RealmAdmin, Address, Sequence[str]], None]:
    def run(admin: RealmAdmin, address: Address, paths: Sequence[str]) -> None:
        groups = [admin.group_id(path) for path in paths]
        ep.MEMBERSHIPS.change(admin, admin.user_id(address.name), groups, joining)

    return run


class UserKind(base.Kind):
    name = USER
    spec_key = "users"
    after = (GROUP,)
    fields = FIELDS
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": string_list}
    relations: ClassVar[Mapping[str, base.Relation]] = {
        **ROLES.relations,
        # Sent in the create: Keycloak joins a new user to the groups its POST names, by
        # path, or creates no user (docs/keycloak-facts.md 17.3).
        GROUPS: base.Relation(
            "groups", GROUP, _membership(True), _membership(False), on_create=True
        ),
    }

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get("users") or []):
            initial: dict[str, Any] = {}
            if PASSWORD in spec:
                secret = ctx.secret(("users", i, PASSWORD), spec[PASSWORD])
                if secret is not None:
                    initial[PASSWORD] = secret
            # Keycloak stores usernames in lower case; so must the address, or Bob is never found.
            address = Address(self.name, spec["username"].lower())
            relations = ROLES.desired(spec)
            if GROUPS in spec:
                relations[GROUPS] = frozenset(spec[GROUPS])
            yield Obj(address, self.fields_of(spec), relations, initial=initial)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        users = admin.users(full=_full(desired))
        wanted = {name: desired.wanted(Address(self.name, name)) for name in users}
        roles = _roles(admin, {n: w for n, w in wanted.items() if w and ROLES.wanted(w)})
        groups = _groups(
            admin, desired, [n for n, w in wanted.items() if w and GROUPS in w.relations]
        )
        for username, rep in users.items():
            relations = dict(roles.get(username, {}))
            if username in groups:
                relations[GROUPS] = groups[username]
            address = Address(self.name, username)
            yield self.live(address, rep, relations, protected=_protected(admin, rep))

    def create(self, admin: RealmAdmin, change: Change) -> None:
        # The admin API creates users disabled unless told; the admin console enables them.
        # A spec that declares a user without `enabled` means one who can log in.
        body = unflatten_into(
            {"username": change.address.name, "enabled": True}, change.target.fields
        )
        # Kept only where the user profile allows unmanaged attributes (Keycloak 24+).
        body = marked(body, as_list=True)
        # The initial password goes in the create itself: Keycloak then refuses the whole user
        # when its password policy refuses the password, so no user is left without one
        # (docs/keycloak-facts.md 7.9).
        if GROUPS in change.target.relations:
            body["groups"] = sorted(change.target.relations[GROUPS])
        password = _credential(change.target.initial.get(PASSWORD))
        if password is not None:
            body["credentials"] = [password]
        ep.USERS.create(admin, body)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        user_id = str(change.live_raw["id"])
        fields = {f.name: f.new for f in change.fields if f.name != PASSWORD}
        if fields:
            # Since 24.0.4 a user PUT is not partial for attributes: send the whole user back.
            body = unflatten_into(dict(change.live_raw), fields)
            ep.USERS.update(admin, user_id, body)
        if any(f.name == PASSWORD for f in change.fields):
            _set_password(admin, user_id, change.target.initial.get(PASSWORD))

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        ep.USERS.delete(admin, str(change.live_raw["id"]))

    def check(self, checker: SpecChecker) -> None:
        # Keycloak stores usernames in lower case, so Bob and bob are the same user.
        checker.unique(("users",), "username", "username", fold_case=True)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, "users", "username")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, user in base.items(data, "users"):
            yield from ROLES.references(path, user)
            for i, group in enumerate(user.get(GROUPS) or []):
                yield base.Reference((*path, GROUPS, i), GROUP, group)


def _full(desired: State) -> bool:
    """Whether users must be read in full: for their attributes (kcconf's marker among them,
    which a prune of what kcconf created needs), and whenever users may be pruned, so that
    no service account passes for a person (Keycloak 24 lists them among the users)."""
    if desired.prune.get(USER):
        return True
    return any(
        name == "attributes" or name.startswith("attributes.")
        for obj in desired.of_kind(USER).values()
        for name in obj.fields
    )


def _roles(admin: RealmAdmin, wanted: Mapping[str, Obj]) -> dict[str, dict[str, frozenset[str]]]:
    """The role mappings of the users whose roles the spec manages, by username: from the
    members of each realm role when that takes fewer requests than one read per user."""
    if not wanted:
        return {}
    if _by_role_members(admin, wanted):
        return _from_role_members(admin, wanted)
    users = admin.users()
    names = sorted(wanted)
    found = admin.each(
        "reading users' role mappings",
        lambda name: user_roles(admin, str(users[name]["id"]), wanted[name]),
        names,
    )
    return dict(zip(names, found, strict=True))


def _by_role_members(admin: RealmAdmin, wanted: Mapping[str, Obj]) -> bool:
    """Role members answer for realm roles only, so only when no user's client roles are
    managed; worth it when the realm has fewer roles than users to read."""
    clients = ROLES.name("clientRoles")
    if any(clients in w.relations for w in wanted.values()):
        return False
    return len(admin.roles()) < len(wanted)


def _from_role_members(
    admin: RealmAdmin, wanted: Mapping[str, Obj]
) -> dict[str, dict[str, frozenset[str]]]:
    """Each realm role's direct members (not through groups or composites: the same as a
    user's direct role mappings), turned around per user."""
    names = sorted(admin.roles())
    members = admin.each(
        "reading realm roles' members",
        lambda role: ep.ROLE_MEMBERS.list(admin, seg(role)),
        names,
    )
    held: dict[str, set[str]] = {name: set() for name in wanted}
    for role, found in zip(names, members, strict=True):
        for user in found:
            if user["username"] in held:
                held[str(user["username"])].add(role)
    realm = ROLES.name("realmRoles")
    return {
        name: _default_left_alone(admin, {realm: frozenset(roles)}, wanted[name])
        for name, roles in held.items()
    }


def _groups(admin: RealmAdmin, desired: State, names: Sequence[str]) -> dict[str, frozenset[str]]:
    """The groups of the users whose groups the spec manages, by username, known by the paths
    the plan uses (below a renamed group, the new ones): from each group's members when that
    takes fewer requests than one read per user."""
    if not names:
        return {}
    groups = admin.groups()
    paths = planned_paths(groups.values(), desired)
    if len(groups) < len(names):
        return _from_group_members(admin, names, paths)
    users = admin.users()
    listed = admin.each(
        "reading users' groups",
        lambda name: ep.USER_GROUPS.list(admin, users[name]["id"]),
        list(names),
    )
    return {
        name: frozenset(paths.get(g["id"]) or str(g["path"]) for g in joined)
        for name, joined in zip(names, listed, strict=True)
    }


def _from_group_members(
    admin: RealmAdmin, names: Sequence[str], paths: Mapping[str, str]
) -> dict[str, frozenset[str]]:
    """Each group's direct members, turned around per user."""
    ids = sorted(paths)
    members = admin.each(
        "reading groups' members", lambda gid: ep.GROUP_MEMBERS.list(admin, gid), ids
    )
    held: dict[str, set[str]] = {name: set() for name in names}
    for gid, found in zip(ids, members, strict=True):
        for user in found:
            if user["username"] in held:
                held[str(user["username"])].add(paths[gid])
    return {name: frozenset(groups) for name, groups in held.items()}


def user_roles(
    admin: RealmAdmin, user_id: str, want: Obj, roles: base.RoleRefs = ROLES
) -> dict[str, frozenset[str]]:
    """A user's direct role mappings (or a client's service-account roles, `roles`)."""
    return _default_left_alone(admin, roles.read(admin, user_id), want, roles)


def _default_left_alone(
    admin: RealmAdmin,
    relations: dict[str, frozenset[str]],
    want: Obj,
    roles: base.RoleRefs = ROLES,
) -> dict[str, frozenset[str]]:
    """Keycloak gives every new user default-roles-<realm>; it is left alone unless listed."""
    default = default_roles_name(admin.realm)
    realm = roles.name("realmRoles")
    if default not in want.relations.get(realm, ()):
        relations[realm] -= {default}
    return relations


def _protected(admin: RealmAdmin, rep: Mapping[str, Any]) -> bool:
    """Service-account users belong to their clients, users imported from user federation to
    their provider (deleted, they come back with new ids at the next sync, without what
    Keycloak kept of them: docs/keycloak-facts.md 20.9); the user kcconf acts as keeps its
    access."""
    if rep.get("serviceAccountClientId") or rep.get("federationLink"):
        return True
    return admin.realm == admin.api.auth_realm and rep["username"] == admin.api.login_user


def _credential(password: Any) -> dict[str, Any] | None:
    if not isinstance(password, Secret):
        return None
    return {"type": "password", "value": password.reveal(), "temporary": False}


def _set_password(admin: RealmAdmin, user_id: str, password: Any) -> None:
    credential = _credential(password)
    if credential is not None:
        ep.reset_password(admin, user_id, credential)


KINDS = (UserKind(),)
