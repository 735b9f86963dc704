"""Groups: a tree addressed by path (`/staff/moderators`), with attributes and role mappings.

A group's own name is the last part of its path. `renamedFrom` names an old name under the same
parent; the group is then renamed in place, keeping its id, members, mappings and subgroups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KeycloakError, KeyPath
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Rep
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, marked, owned, string_list, unflatten_into
from kcconf.spec.checker import SpecChecker

FIELDS = ("attributes",)
# Parts of a group representation a PUT does not change: they have their own endpoints.
NOT_PUT = ("subGroups", "subGroupCount", "realmRoles", "clientRoles", "access")

GROUP = "group"


def _id(admin: RealmAdmin, address: Address) -> str:
    return admin.group_id(address.name)


ROLES = base.RoleRefs(ep.GROUP_ROLE_MAPPINGS, _id, "roles")


class GroupKind(base.Kind):
    name = GROUP
    spec_key = "groups"
    after = (base.REALM_ROLE, base.CLIENT_ROLE)
    path_named = True
    fields = FIELDS
    # Updates by id, so a rename's PUT goes to the live group carrying the new name; a group
    # PUT replaces all attributes and clears a description it is not sent (read-modify-write).
    endpoint = ep.GROUPS
    not_put = NOT_PUT
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": string_list}
    relations: ClassVar[Mapping[str, base.Relation]] = ROLES.relations

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        return self._tree(ctx.doc.data.get("groups") or [], "")

    def _tree(self, specs: Sequence[Mapping[str, Any]], parent: str) -> Iterable[Obj]:
        for spec in specs:
            path = f"{parent}/{spec['name']}"
            relations = ROLES.desired(spec)
            yield Obj(
                Address(self.name, path),
                self.fields_of(spec),
                relations,
                previous=base.previous(spec, f"{parent}/"),
            )
            yield from self._tree(spec.get("subGroups") or [], path)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        groups = admin.groups()
        paths = planned_paths(groups.values(), desired)
        whole = _wholly_owned(groups.values())
        addresses = {gid: Address(self.name, path) for gid, path in paths.items()}
        mapped = [gid for gid, a in addresses.items() if ROLES.wanted(desired.wanted(a))]
        found = admin.each(
            "reading groups' role mappings", lambda gid: ROLES.read(admin, gid), mapped
        )
        roles = dict(zip(mapped, found, strict=True))
        for rep in groups.values():
            gid = rep["id"]
            relations = roles.get(gid, {})
            yield Obj(addresses[gid], self.fields_of(rep), relations, raw=rep, owned=whole[gid])

    def create(self, admin: RealmAdmin, change: Change) -> None:
        parent, _, name = change.address.name.rpartition("/")
        body = marked(unflatten_into({"name": name}, change.target.fields), as_list=True)
        if parent:
            ep.GROUP_CHILDREN.create(admin, body, admin.group_id(parent))
        else:
            ep.GROUPS.create(admin, body)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        try:
            super().delete(admin, change)
        except KeycloakError as exc:
            # Deleting a group deletes its subgroups: one also planned for deletion may be gone.
            if exc.status != 404:
                raise

    def check(self, checker: SpecChecker) -> None:
        # Group names are unique among siblings; a group is named by its path.
        checker.unique(("groups",), "name", "group", prefix="/")
        for path, group_path in _declared_groups(checker):
            checker.unique((*path, "subGroups"), "name", "group", prefix=f"{group_path}/")

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        """Every declared group's path, or None when a group name is malformed."""
        paths: set[str] = set()
        lists: list[tuple[Any, str]] = [(data, "")]
        while lists:
            holder, parent = lists.pop()
            key = "groups" if holder is data else "subGroups"
            value = holder.get(key)
            if value is None:
                continue
            if not isinstance(value, list) or not all(
                isinstance(g, Mapping) and isinstance(g.get("name"), str) for g in value
            ):
                return None
            for group in value:
                paths.add(f"{parent}/{group['name']}")
                lists.append((group, f"{parent}/{group['name']}"))
        return paths

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        lists: list[tuple[tuple[str | int, ...], Mapping[str, Any], str]] = [((), data, "groups")]
        while lists:
            prefix, holder, key = lists.pop()
            for path, group in base.items(holder, key):
                yield from ROLES.references((*prefix, *path), group)
                lists.append(((*prefix, *path), group, "subGroups"))


def _declared_groups(checker: SpecChecker) -> Iterable[tuple[KeyPath, str]]:
    """Each declared group's key path and group path (`/staff/moderators`), parents first.
    A group whose name the schema refused is left out, with the groups below it."""
    lists: list[tuple[KeyPath, str]] = [(("groups",), "")]
    while lists:
        list_path, parent = lists.pop(0)
        for path, group in checker.items(list_path):
            name = group.get("name")
            if isinstance(name, str) and (*path, "name") not in checker.tainted:
                yield path, f"{parent}/{name}"
                lists.append(((*path, "subGroups"), f"{parent}/{name}"))


def planned_paths(groups: Iterable[Rep], desired: State) -> dict[str, str]:
    """The id of each live group -> the path the plan knows it by.

    A group renamed in place keeps its old path here, so the comparison sees the rename. The
    groups below it go by the paths they will have once it is renamed: the paths the spec writes.
    """
    wanted = desired.of_kind(GROUP)
    claims: dict[str, Address] = {}  # old path -> the desired group renamed from it
    for address, want in wanted.items():
        for old in want.previous:
            claims.setdefault(old, address)
    children: dict[str | None, list[Rep]] = {}
    out: dict[str, str] = {}
    for rep in groups:
        children.setdefault(rep.get("parentId"), []).append(rep)
        out[rep["id"]] = str(rep["path"])
    parents: list[tuple[str | None, str]] = [(None, "")]
    while parents:
        parent_id, parent_path = parents.pop()
        level = {f"{parent_path}/{rep['name']}": rep for rep in children.get(parent_id, ())}
        for path, rep in level.items():
            out[rep["id"]] = path
            new, below = claims.get(path), path
            if new is not None and _renamed(path, new, level, wanted):
                below = new.name
            parents.append((rep["id"], below))
    return out


def _renamed(
    old: str, new: Address, siblings: Mapping[str, Rep], wanted: Mapping[Address, Obj]
) -> bool:
    """Whether the comparison renames the live group at `old` to `new`. As in compare: when
    `new` does not exist yet and `old` is the first undeclared live one of its renamedFrom."""
    if new.name in siblings:
        return False
    candidates = (
        path
        for path in wanted[new].previous
        if path in siblings and Address(new.kind, path) not in wanted
    )
    return next(candidates, None) == old


def _wholly_owned(groups: Iterable[Rep]) -> dict[str, bool]:
    """id -> whether kcconf created the group and every group below it.

    Deleting a group deletes its subgroups, so a `created` prune must not delete a group that
    holds one made by hand.
    """
    whole: dict[str, bool] = {}
    spoiled: set[str] = set()  # ids of groups with a descendant kcconf did not create
    for rep in reversed(list(groups)):  # listed parents first: so children come first here
        whole[rep["id"]] = owned(rep) and rep["id"] not in spoiled
        if not whole[rep["id"]] and rep.get("parentId"):
            spoiled.add(rep["parentId"])
    return whole


KINDS = (GroupKind(),)
