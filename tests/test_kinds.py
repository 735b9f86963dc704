"""The kind model: each kind owns its knowledge, and nothing outside kinds/ names one."""

from __future__ import annotations

import ast
from pathlib import Path

from kcconf.kinds import KINDS, address_order, change_order, password_policy, prune_keys, relation
from kcconf.model.changes import Action, Change, FieldChange
from kcconf.model.objects import Address, Obj, State
from kcconf.output.text import change_lines, field_line, list_diff, moved
from kcconf.planning.compare import compare

PACKAGE = Path(__file__).resolve().parent.parent / "kcconf"
NAMES = {kind.name for kind in KINDS}


def _offences(path: Path) -> list[str]:
    """Kind names written as literals where code decides by kind: compared, subscripted, or
    looked up in the registry, or made into an address. Any hyphenated kind name counts wherever
    it appears. (Spec keys such as `spec["client"]` of a token assertion are data, not kinds.)"""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        deciding: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            deciding = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "BY_NAME":
            deciding = [node.slice]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Address":
            deciding = node.args[:1]
        for child in deciding:
            if isinstance(child, ast.Constant) and child.value in NAMES:
                found.append(f"{path.relative_to(PACKAGE)}:{child.lineno}: {child.value!r}")
        if isinstance(node, ast.Constant) and node.value in NAMES and "-" in str(node.value):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    return found


def test_nothing_outside_kinds_names_a_particular_kind() -> None:
    outside = [p for p in PACKAGE.rglob("*.py") if "kinds" not in p.relative_to(PACKAGE).parts]
    assert [o for p in sorted(outside) for o in _offences(p)] == []


def test_the_order_follows_declared_dependencies() -> None:
    rank = {kind.name: i for i, kind in enumerate(KINDS)}
    for kind in KINDS:
        for before in (*kind.after, *kind.parents):
            assert rank[before] < rank[kind.name], (before, kind.name)
    assert sum(kind.root for kind in KINDS) == 1


def test_relations_name_their_target_kind() -> None:
    for kind in KINDS:
        for name, rel in kind.relations.items():
            assert rel.target in NAMES, (kind.name, name)
    assert relation("client", "defaultClientScopes").target == "client-scope"
    assert relation("realm-role", "composites.clientRoles").target == "client-role"


def test_prune_keys_come_from_the_kinds() -> None:
    assert prune_keys() == {
        "clientScopes": "client-scope",
        "realmRoles": "realm-role",
        "clients": "client",
        "clientRoles": "client-role",
        "groups": "group",
        "users": "user",
        "protocolMappers": "mapper",
        "authenticationFlows": "authentication-flow",
        "identityProviders": "identity-provider",
        "identityProviderMappers": "identity-provider-mapper",
        "organizations": "organization",
        "keys": "key-provider",
        "clientProfiles": "client-profile",
        "clientPolicies": "client-policy",
        "userFederation": "user-federation",
        "userFederationMappers": "user-federation-mapper",
        "authorizationScopes": "authz-scope",
        "authorizationResources": "authz-resource",
        "authorizationPolicies": "authz-policy",
        "authorizationPermissions": "authz-permission",
        "clientRegistrationPolicies": "client-registration-policy",
    }


def test_a_child_address_names_its_parent_and_sorts_right_after_it() -> None:
    app = Address("client", "app")
    mapper = Address("client-role", "email", app)  # any kind can be a child in an address
    assert str(mapper) == "client app / client-role email"
    later = Address("client", "zed")
    assert sorted([later, mapper, app], key=address_order) == [app, mapper, later]
    delete = Change(Action.DELETE, Address("user", "x"), (), (), None, Obj(Address("user", "x")))
    create = Change(Action.CREATE, mapper, (), (), Obj(mapper), None)
    assert sorted([create, delete], key=change_order) == [delete, create]


def test_a_child_change_is_rendered_with_its_parent() -> None:
    mapper = Address("client-role", "aud", Address("client-scope", "roles"))
    change = Change(
        Action.UPDATE,
        mapper,
        (FieldChange("config.included.client.audience", "a", "b"),),
        (),
        Obj(mapper),
        Obj(mapper),
    )
    assert change_lines(change) == [
        "~ client-scope roles / client-role aud",
        '    config.included.client.audience: "a" -> "b"',
    ]


def test_an_ordered_list_shows_a_move_as_a_move() -> None:
    assert list_diff(["a", "b", "c"], ["c", "a", "b"]) == "moved c to 1"
    assert list_diff(["a", "b", "c"], ["a", "c", "b", "d"]) == "+ d, moved b to 3"
    assert moved(["a", "b"], ["a", "b"]) == []


def test_only_ordered_fields_compare_by_order() -> None:
    want = Obj(Address("client", "app"), {"redirectUris": ["b", "a"]})
    have = Obj(Address("client", "app"), {"redirectUris": ["a", "b"]})
    desired, live = State("r"), State("r")
    desired.add(want)
    live.add(have)
    assert compare(desired, live) == []  # redirect URIs are a set in Keycloak


def test_a_map_compared_whole_shows_the_keys_that_change() -> None:
    line = field_line(
        FieldChange(
            "passwordPolicy", {"length": "8", "upperCase": "1"}, {"length": "12", "digits": "1"}
        ),
        Action.UPDATE,
    )
    assert line == 'passwordPolicy: - upperCase, + digits "1", length: "8" -> "12"'


def test_a_password_policy_is_rules_both_ways() -> None:
    rules = password_policy.parse("length(12) and digits(1) and notUsername")
    assert rules == {"length": "12", "digits": "1", "notUsername": ""}
    assert password_policy.render(rules) == "digits(1) and length(12) and notUsername"
    assert password_policy.parse("") == {}


def test_a_built_in_of_a_later_version_is_named_with_the_version() -> None:
    scope = next(k for k in KINDS if k.name == "client-scope")
    assert scope.too_new("basic", "24.0.5") == (
        "client scope basic is built in from Keycloak 25; this server runs 24.0.5"
    )
    assert scope.too_new("basic", "26.5.6") == ""
    assert scope.too_new("audit", "24.0.5") == ""
