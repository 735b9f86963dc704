"""Groups: a tree addressed by path (`/staff/moderators`), with attributes and role mappings.

A group's own name is the last part of its path. `renamedFrom` names an old name under the same
parent; the group is then renamed in place, keeping its id, members, mappings and subgroups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KeycloakError
from kcconf.keycloak.admin import Index, Rep, mapping_refs
from kcconf.kinds.base import (
    MappingEndpoint,
    Relation,
    SpecContext,
    list_attributes,
    pick,
    previous,
    role_relations,
)
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, marked, owned, unflatten_into

FIELDS = ("attributes",)
# Parts of a group representation a PUT does not change: they have their own endpoints.
NOT_PUT = ("subGroups", "subGroupCount", "realmRoles", "clientRoles", "access")

ROLE_MAPPINGS = MappingEndpoint(
    lambda index, address: index.path("groups", index.group_id(address.name), "role-mappings")
)


def fields_of(rep: Mapping[str, Any]) -> dict[str, Any]:
    return list_attributes(pick(rep, FIELDS))


class GroupKind:
    name = "group"
    relations: ClassVar[Mapping[str, Relation]] = ROLE_MAPPINGS.relations("roles")

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
        return self._tree(ctx.doc.data.get("groups") or [], "")

    def _tree(self, specs: Sequence[Mapping[str, Any]], parent: str) -> Iterable[Obj]:
        for spec in specs:
            path = f"{parent}/{spec['name']}"
            relations = role_relations(spec)
            yield Obj(
                Address(self.name, path),
                fields_of(spec),
                relations,
                previous=previous(spec, f"{parent}/"),
            )
            yield from self._tree(spec.get("subGroups") or [], path)

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        groups = index.groups()
        paths = planned_paths(groups.values(), desired)
        whole = _wholly_owned(groups.values())
        for rep in groups.values():
            address = Address(self.name, paths[rep["id"]])
            relations: dict[str, frozenset[str]] = {}
            want = desired.wanted(address)
            if want is not None and want.relations:
                body = index.api.get(index.path("groups", rep["id"], "role-mappings"))
                realm, clients = mapping_refs(body)
                relations = {"realmRoles": frozenset(realm), "clientRoles": frozenset(clients)}
            yield Obj(address, fields_of(rep), relations, raw=rep, owned=whole[rep["id"]])

    def create(self, index: Index, change: Change) -> None:
        parent, _, name = change.address.name.rpartition("/")
        body = marked(unflatten_into({"name": name}, change.target.fields), as_list=True)
        if parent:
            index.api.post(index.path("groups", index.group_id(parent), "children"), body)
        else:
            index.api.post(index.path("groups"), body)

    def update(self, index: Index, change: Change) -> None:
        # By id: a rename's PUT goes to the live group, carrying the new name. Read-modify-write:
        # a group PUT replaces all attributes and clears a description it is not sent.
        raw = {k: v for k, v in change.live_raw.items() if k not in NOT_PUT}
        body = unflatten_into(raw, {f.name: f.new for f in change.fields})
        index.api.put(index.path("groups", str(raw["id"])), body)

    def delete(self, index: Index, change: Change) -> None:
        try:
            index.api.delete(index.path("groups", str(change.live_raw["id"])))
        except KeycloakError as exc:
            # Deleting a group deletes its subgroups: one also planned for deletion may be gone.
            if exc.status != 404:
                raise


def planned_paths(groups: Iterable[Rep], desired: State) -> dict[str, str]:
    """The id of each live group -> the path the plan knows it by.

    A group renamed in place keeps its old path here, so the comparison sees the rename. The
    groups below it go by the paths they will have once it is renamed: the paths the spec writes.
    """
    wanted = desired.of_kind("group")
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
