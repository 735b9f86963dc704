"""The realm bench/realm_scale.py measures: its spec is valid offline and declares exactly the
shape's objects and relations, so the benchmark's figures are about the realm it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.realm_shape import Shape, builtin_default_scopes, count, spec_text
from tests.helpers import run_cli

pytestmark = pytest.mark.usefixtures("offline_here")

BUILTIN = tuple(builtin_default_scopes("26.5.6"))


def small() -> Shape:
    return Shape("bench-small", 0.01, BUILTIN)


def spec(shape: Shape) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(spec_text(shape))
    return loaded


def test_the_spec_at_a_small_scale_is_valid_offline() -> None:
    Path("realm.yaml").write_text(spec_text(small()), encoding="utf-8")
    result = run_cli("validate", "realm.yaml")
    assert (result.code, result.out, result.err) == (0, "", "1 file(s) valid\n")


def test_the_spec_declares_each_kind_in_its_scaled_count() -> None:
    doc = spec(small())
    assert doc["realm"] == {"name": "bench-small", "enabled": True}
    assert [s["name"] for s in doc["clientScopes"]] == ["scope-000"]
    assert {s["protocol"] for s in doc["clientScopes"]} == {"openid-connect"}
    assert len(doc["roles"]) == 50
    assert len(doc["clients"]) == 10
    assert len(doc["groups"]) == 1
    assert [len(g["subGroups"]) for g in doc["groups"]] == [9]
    assert len(doc["users"]) == 100


def test_composites_have_three_children_that_are_not_composites() -> None:
    doc = spec(small())
    composites = {
        r["name"]: r["composites"]["realmRoles"] for r in doc["roles"] if "composites" in r
    }
    assert len(composites) == 5
    assert all(len(children) == 3 for children in composites.values())
    children = {c for kids in composites.values() for c in kids}
    assert not children & composites.keys()
    assert children <= {r["name"] for r in doc["roles"]}


def test_each_client_has_two_roles_two_scope_mappings_and_one_extra_default_scope() -> None:
    doc = spec(small())
    roles = {r["name"] for r in doc["roles"]}
    for client in doc["clients"]:
        assert client["fullScopeAllowed"] is False
        assert [r["name"] for r in client["roles"]] == ["reader", "writer"]
        assert len(set(client["scopeMappings"]["realmRoles"])) == 2
        assert set(client["scopeMappings"]["realmRoles"]) <= roles
        assert client["defaultClientScopes"] == [*BUILTIN, "scope-000"]


def test_each_group_and_user_has_one_realm_role_and_users_one_existing_group() -> None:
    doc = spec(small())
    roles = {r["name"] for r in doc["roles"]}
    groups = [g for top in doc["groups"] for g in (top, *top["subGroups"])]
    assert len(groups) == 10
    assert all(len(g["realmRoles"]) == 1 and g["realmRoles"][0] in roles for g in groups)
    paths = {f"/{top['name']}" for top in doc["groups"]} | {
        f"/{top['name']}/{sub['name']}" for top in doc["groups"] for sub in top["subGroups"]
    }
    for user in doc["users"]:
        assert len(user["realmRoles"]) == 1 and user["realmRoles"][0] in roles
        assert len(user["groups"]) == 1 and user["groups"][0] in paths
        assert user["email"] == f"{user['username']}@example.com"
        assert (user["firstName"], user["lastName"]) == ("User", user["username"][5:])
    assert {u["groups"][0] for u in doc["users"]} == paths


def test_at_scale_one_the_realm_has_the_full_counts() -> None:
    full = Shape("bench-full", 1.0, BUILTIN)
    assert (len(full.roles), len(full.composites), len(full.scopes)) == (5000, 500, 100)
    assert (len(full.clients), len(full.groups), len(full.users)) == (1000, 1000, 10000)
    assert sum(g.parent is None for g in full.groups) == 100


def test_every_count_keeps_at_least_one() -> None:
    assert count(100, 0.0001) == 1
    tiny = Shape("bench-tiny", 0.0001, BUILTIN)
    assert (len(tiny.roles), len(tiny.scopes), len(tiny.clients), len(tiny.users)) == (1, 1, 1, 1)
    assert len(tiny.groups) == 10


def test_keycloak_24_has_no_basic_scope() -> None:
    assert builtin_default_scopes("24.0.5") == ["acr", "email", "profile", "roles", "web-origins"]
    assert "basic" in builtin_default_scopes("25.0.6")
