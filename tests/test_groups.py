"""Groups: a tree named by paths, with attributes, role mappings and members. Planned and applied
against a real Keycloak; each apply test ends in sync, writing nothing. The pure parts (paths of
groups below a renamed one, relation targets) are tested without a server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.versions import version_tuple
from kcconf.kinds import relation
from kcconf.kinds.group import GroupKind, planned_paths
from kcconf.model.changes import Action, Change
from kcconf.model.objects import MARKER, Address, Obj, State
from tests.conftest import Target
from tests.helpers import Run, assert_in_sync, realm_spec, requests_of

Kcconf = Callable[..., Run]

BASE = """\
roles:
  - name: auditor
clients:
  - clientId: app
    roles:
      - name: reader
"""

TREE = """\
groups:
  - name: staff
    attributes: {site: [utrecht, amsterdam], kind: team}
    realmRoles: [auditor]
    subGroups:
      - name: moderators
        clientRoles: {app: [reader], realm-management: [impersonation]}
        subGroups:
          - name: seniors
  - name: guests
    realmRoles: []
"""


def write(tmp_path: Path, realm: str, body: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, body))
    return spec


def apply(kcconf: Kcconf, spec: Path, *flags: str) -> Run:
    done = kcconf("apply", "--auto-approve", *flags, str(spec))
    assert done.code == 0, done.out + done.err
    return done


def role_mappings(index: RealmAdmin, path: str) -> set[str]:
    body = index.api.get(index.path("groups", index.group_id(path), "role-mappings")) or {}
    realm = {r["name"] for r in body.get("realmMappings") or []}
    clients = {
        f"{client}/{r['name']}"
        for client, entry in (body.get("clientMappings") or {}).items()
        for r in entry["mappings"]
    }
    return realm | clients


def member_of(index: RealmAdmin, username: str) -> set[str]:
    return {g["path"] for g in index.paged(f"users/{index.user_id(username)}/groups")}


# --- against a real Keycloak --------------------------------------------------------------------


def test_nested_groups_are_created_as_written(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    apply(kcconf, write(tmp_path, realm, BASE))
    spec = write(tmp_path, realm, BASE + TREE)
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "+ group /guests\n"
        "+ group /staff\n"
        '    attributes.site: ["amsterdam", "utrecht"]\n'
        '    attributes.kind: ["team"]\n'
        "    roles: + auditor\n"
        "+ group /staff/moderators\n"
        "    roles: + app/reader, + realm-management/impersonation\n"
        "+ group /staff/moderators/seniors\n"
        "Plan: 4 to add, 0 to change, 0 to delete.\n",
    )
    apply(kcconf, spec)
    index.forget()
    groups = index.groups()
    assert set(groups) == {"/guests", "/staff", "/staff/moderators", "/staff/moderators/seniors"}
    assert groups["/staff"]["attributes"] == {
        "site": ["amsterdam", "utrecht"],
        "kind": ["team"],
        MARKER: ["true"],
    }
    assert groups["/staff/moderators"]["parentId"] == groups["/staff"]["id"]
    assert role_mappings(index, "/staff") == {"auditor"}
    assert role_mappings(index, "/staff/moderators") == {
        "app/reader",
        "realm-management/impersonation",
    }
    assert role_mappings(index, "/guests") == set()
    assert_in_sync(kcconf, spec)


def test_a_second_apply_changes_groups_in_place_and_merges_attributes(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = write(tmp_path, realm, BASE + TREE)
    apply(kcconf, spec)
    staff = index.groups()["/staff"]
    # Made by hand: an attribute and a description kcconf does not manage, and a role mapping.
    # Groups have a description from Keycloak 26 on (24.0.5 answers 400 to one).
    described = version_tuple(keycloak.version) >= (26,)
    by_hand = {"description": "by hand"} if described else {}
    attributes = {**staff["attributes"], "badge": ["7"]}
    index.api.put(index.path("groups", staff["id"]), {**staff, "attributes": attributes, **by_hand})
    guests = index.group_id("/guests")
    index.api.post(index.path("groups", guests, "role-mappings", "realm"), [index.role("auditor")])
    changed = TREE.replace("site: [utrecht, amsterdam]", "site: utrecht").replace(
        "app: [reader], realm-management: [impersonation]", "app: [reader]"
    )
    spec = write(tmp_path, realm, BASE + changed)
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "~ group /guests\n"
        "    roles: - auditor\n"
        "~ group /staff\n"
        "    attributes.site: - amsterdam\n"
        "~ group /staff/moderators\n"
        "    roles: - realm-management/impersonation\n"
        "Plan: 0 to add, 3 to change, 0 to delete.\n",
    )
    apply(kcconf, spec)
    index.forget()
    after = index.groups()["/staff"]
    assert after["id"] == staff["id"]
    assert after.get("description") == by_hand.get("description")  # a PUT clears one not sent
    assert after["attributes"] == {
        "site": ["utrecht"],
        "kind": ["team"],
        "badge": ["7"],
        MARKER: ["true"],
    }
    assert role_mappings(index, "/guests") == set()
    assert role_mappings(index, "/staff/moderators") == {"app/reader"}
    assert_in_sync(kcconf, spec)


def test_more_subgroups_than_keycloak_lists_by_default(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    # Keycloak's children list returns 10 groups unless asked for more.
    children = "".join(f"      - name: team{i:02d}\n" for i in range(12))
    spec = write(tmp_path, realm, f"groups:\n  - name: many\n    subGroups:\n{children}")
    apply(kcconf, spec)
    index.forget()
    assert len(index.groups()) == 13
    assert_in_sync(kcconf, spec)


MEMBERSHIP = """\
groups:
  - name: a
    subGroups:
      - name: c
  - name: b
users:
  - username: bob
"""


def test_user_group_membership_is_left_alone_when_absent_and_exact_when_written(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    spec = write(tmp_path, realm, MEMBERSHIP)
    apply(kcconf, spec)
    bob = index.user_id("bob")
    index.api.put(index.path("users", bob, "groups", index.group_id("/b")))
    assert_in_sync(kcconf, spec)  # `groups` not written: the membership made by hand stays
    assert member_of(index, "bob") == {"/b"}

    spec = write(
        tmp_path,
        realm,
        MEMBERSHIP + "    groups: [/a/c]\n  - username: carol\n    groups: [/b, /a]\n",
    )
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "~ user bob\n"
        "    groups: - /b, + /a/c\n"
        "+ user carol\n"
        "    groups: + /a, + /b\n"
        "Plan: 1 to add, 1 to change, 0 to delete.\n",
    )
    apply(kcconf, spec)
    # Direct membership only: bob is in /a/c, which does not make him a member of /a.
    assert member_of(index, "bob") == {"/a/c"}
    assert member_of(index, "carol") == {"/a", "/b"}
    assert_in_sync(kcconf, spec)

    spec = write(tmp_path, realm, MEMBERSHIP + "    groups: []\n")
    planned = kcconf("plan", str(spec))
    assert planned.out == (
        "~ user bob\n"
        "    groups: - /a/c\n"
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
        "Unmanaged, left alone: 1 user.\n"
    )
    apply(kcconf, spec)
    assert member_of(index, "bob") == set()
    assert_in_sync(kcconf, spec)


def test_a_group_that_exists_nowhere_is_an_error_naming_it(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    apply(kcconf, write(tmp_path, realm, "users:\n  - username: bob\n"))
    index.api.post(index.path("groups"), {"name": "by-hand"})
    # A group made elsewhere may be named; one that exists nowhere may not.
    spec = write(tmp_path, realm, "users:\n  - username: bob\n    groups: [/by-hand, /nope]\n")
    planned = kcconf("plan", str(spec))
    assert planned.code == 1
    assert planned.err.splitlines()[-1] == (
        "error: user bob: group /nope does not exist in Keycloak or the spec"
    )
    spec = write(tmp_path, realm, "users:\n  - username: bob\n    groups: [/by-hand]\n")
    apply(kcconf, spec)
    assert member_of(index, "bob") == {"/by-hand"}


RENAME_BEFORE = (
    BASE
    + TREE
    + """\
users:
  - username: bob
    groups: [/staff, /staff/moderators/seniors]
"""
)

RENAME_AFTER = (
    BASE
    + """\
groups:
  - name: team
    renamedFrom: [staff]
    attributes: {site: [utrecht, amsterdam], kind: team}
    realmRoles: [auditor]
    subGroups:
      - name: mods
        renamedFrom: [moderators]
        clientRoles: {app: [reader], realm-management: [impersonation]}
        subGroups:
          - name: seniors
  - name: guests
    realmRoles: []
users:
  - username: bob
    groups: [/team, /team/mods/seniors]
"""
)


def test_a_renamed_group_keeps_its_id_members_mappings_and_subgroups(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    apply(kcconf, write(tmp_path, realm, RENAME_BEFORE))
    before = {path: rep["id"] for path, rep in index.groups().items()}
    spec = write(tmp_path, realm, RENAME_AFTER)
    planned = kcconf("plan", str(spec))
    assert (planned.code, planned.out) == (
        2,
        "~ group /team (renamed from /staff)\n"
        '    name: "staff" -> "team"\n'
        "~ group /team/mods (renamed from /team/moderators)\n"
        '    name: "moderators" -> "mods"\n'
        "Plan: 0 to add, 2 to change, 0 to delete.\n",
    )
    applied = apply(kcconf, spec)
    assert requests_of(applied.err)["PUT"] == 2  # one PUT per renamed group, nothing else
    index.forget()
    after = {path: rep["id"] for path, rep in index.groups().items()}
    assert after == {
        "/team": before["/staff"],
        "/team/mods": before["/staff/moderators"],
        "/team/mods/seniors": before["/staff/moderators/seniors"],
        "/guests": before["/guests"],
    }
    assert role_mappings(index, "/team") == {"auditor"}
    assert role_mappings(index, "/team/mods") == {"app/reader", "realm-management/impersonation"}
    assert member_of(index, "bob") == {"/team", "/team/mods/seniors"}
    assert_in_sync(kcconf, spec)


def test_prune_created_deletes_only_undeclared_groups_kcconf_made_with_their_subgroups(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    made = (
        "groups:\n  - name: keep\n  - name: holder\n"
        "  - name: old\n    subGroups:\n      - name: child\n"
        "        subGroups:\n          - name: grandchild\n"
    )
    apply(kcconf, write(tmp_path, realm, made))
    index.api.post(index.path("groups"), {"name": "by-hand"})
    holder = index.group_id("/holder")
    index.api.post(index.path("groups", holder, "children"), {"name": "by-hand-inside"})
    spec = write(tmp_path, realm, "prune: {groups: created}\ngroups:\n  - name: keep\n")
    planned = kcconf("plan", str(spec))
    # /holder was made by kcconf, but deleting it would delete the group made by hand inside it.
    assert (planned.code, planned.out) == (
        2,
        "- group /old\n"
        "- group /old/child\n"
        "- group /old/child/grandchild\n"
        "Plan: 0 to add, 0 to change, 3 to delete.\n"
        "Unmanaged, left alone: 3 groups.\n",
    )
    applied = apply(kcconf, spec)
    assert requests_of(applied.err)["DELETE"] == 3
    index.forget()
    assert set(index.groups()) == {"/keep", "/holder", "/holder/by-hand-inside", "/by-hand"}
    assert_in_sync(kcconf, spec)

    # `all` widens the prune to every undeclared group.
    spec = write(
        tmp_path,
        realm,
        "prune: {groups: all, limits: {maxDeletePercent: 100}}\ngroups:\n  - name: keep\n",
    )
    planned = kcconf("plan", str(spec))
    assert planned.out == (
        "- group /by-hand\n"
        "- group /holder\n"
        "- group /holder/by-hand-inside\n"
        "Plan: 0 to add, 0 to change, 3 to delete.\n"
    )
    apply(kcconf, spec)
    index.forget()
    assert set(index.groups()) == {"/keep"}
    assert_in_sync(kcconf, spec)


def test_deleting_a_group_its_deleted_parent_took_along_is_no_error(
    realm: str, index: RealmAdmin
) -> None:
    index.api.post("", {"realm": realm, "enabled": True})
    parent = index.api.post(index.path("groups"), {"name": "parent"})
    index.api.post(index.path("groups", str(parent), "children"), {"name": "child"})
    kind = GroupKind()
    live = {obj.address.name: obj for obj in kind.read(index, State(realm))}
    for path in ("/parent", "/parent/child"):  # the parent first: the child goes with it
        kind.delete(index, Change(Action.DELETE, live[path].address, (), (), None, live[path]))
    index.forget()
    assert index.groups() == {}


# --- without a server ---------------------------------------------------------------------------


def rep(group_id: str, name: str, parent: str | None = None, path: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"id": group_id, "name": name, "path": path or f"/{name}"}
    if parent is not None:
        found["parentId"] = parent
    return found


def group(path: str, *previous: str) -> Obj:
    return Obj(Address("group", path), previous=previous)


def test_groups_below_a_renamed_group_go_by_their_new_paths() -> None:
    live = [
        rep("1", "staff"),
        rep("2", "other"),
        rep("3", "moderators", "1", "/staff/moderators"),
        rep("4", "seniors", "3", "/staff/moderators/seniors"),
        rep("5", "x", "2", "/other/x"),
    ]
    desired = State("demo")
    for obj in (group("/team", "/staff"), group("/team/mods", "/team/moderators")):
        desired.add(obj)
    # /staff keeps its path: the comparison sees its rename. Below it, the new paths.
    assert planned_paths(live, desired) == {
        "1": "/staff",
        "2": "/other",
        "3": "/team/moderators",
        "4": "/team/mods/seniors",
        "5": "/other/x",
    }


def test_no_rename_when_the_new_name_exists_or_the_old_one_is_declared() -> None:
    live = [rep("1", "staff"), rep("2", "team"), rep("3", "a", "1", "/staff/a")]
    desired = State("demo")
    desired.add(group("/team", "/staff"))
    assert planned_paths(live, desired)["3"] == "/staff/a"  # /team exists: nothing renamed
    live = [rep("1", "staff"), rep("3", "a", "1", "/staff/a")]
    desired.add(group("/staff"))
    assert planned_paths(live, desired)["3"] == "/staff/a"  # /staff is declared: kept


def test_a_user_groups_relation_names_groups() -> None:
    # A relation's target kind is declared with it, never guessed from the relation's name.
    assert relation("user", "groups").target == "group"
    assert relation("user", "realmRoles").target == "realm-role"
