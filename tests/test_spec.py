"""Loading a spec into the desired state: objects, secrets from the environment, all problems."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kcconf.errors import SpecError
from kcconf.model.objects import Address, Obj, Secret, State
from kcconf.planning.compare import compare
from kcconf.spec.load import load_spec
from tests.helpers import ROOT, run_cli

STORY = Path("realms/minimal-token-impersonation.yaml")
PASSWORDS = {"MODERATOR_PASSWORD": "moderator-pw-1", "ALICE_PASSWORD": "alice-pw-1"}


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative paths keep the messages short and exact: "realms/...yaml:39:5: ...".
    monkeypatch.chdir(ROOT)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("load_spec must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def write(text: str, name: str = "spec.yaml") -> Path:
    path = Path(name)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def spec_errors(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(SpecError) as caught:
        load_spec(path, {} if env is None else env)
    return str(caught.value)


def test_the_story_spec_gives_its_objects(at_root: None, no_network: None) -> None:
    desired = load_spec(STORY, PASSWORDS)
    moderator = Address("user", "moderator")
    alice = Address("user", "alice")
    assert desired == State(
        "minimal-token",
        {
            Address("realm", "minimal-token"): Obj(
                Address("realm", "minimal-token"),
                {"enabled": True, "displayName": "Minimal token impersonation"},
            ),
            Address("client", "our-public-client"): Obj(
                Address("client", "our-public-client"),
                {
                    "name": "Our public client",
                    "enabled": True,
                    "publicClient": True,
                    "protocol": "openid-connect",
                    "standardFlowEnabled": False,
                    "directAccessGrantsEnabled": True,
                    "fullScopeAllowed": False,
                },
                {
                    "defaultClientScopes": frozenset({"basic", "roles"}),
                    "optionalClientScopes": frozenset(),
                    "scopeMappings.realmRoles": frozenset(),
                    "scopeMappings.clientRoles": frozenset({"realm-management/impersonation"}),
                },
            ),
            moderator: Obj(
                moderator,
                {
                    "enabled": True,
                    "email": "moderator@example.com",
                    "emailVerified": True,
                    "firstName": "Mo",
                    "lastName": "Derator",
                },
                {"clientRoles": frozenset({"realm-management/impersonation"})},
            ),
            alice: Obj(
                alice,
                {
                    "enabled": True,
                    "email": "alice@example.com",
                    "emailVerified": True,
                    "firstName": "Alice",
                    "lastName": "Example",
                },
                {"clientRoles": frozenset()},
            ),
        },
        # No client writes a `roles` list, so no client's roles may be pruned.
        containers={"client-role": set()},
        assertions={
            "tokens": [
                {
                    "client": "our-public-client",
                    "user": "moderator",
                    "roles": ["realm-management/impersonation"],
                    "absent": ["realm_access"],
                },
                {
                    "client": "our-public-client",
                    "user": "alice",
                    "roles": [],
                    "absent": ["realm_access", "resource_access"],
                },
            ],
            "impersonation": [
                {"user": "moderator", "client": "our-public-client", "target": "alice"}
            ],
        },
    )
    # `initial` is not part of an object's equality: the passwords are checked on their own.
    assert desired.objects[moderator].initial == {"password": Secret("moderator-pw-1")}
    assert desired.objects[alice].initial == {"password": Secret("alice-pw-1")}
    assert all(obj.raw is None for obj in desired.objects.values())


def test_secrets_are_read_from_the_process_environment_by_default(
    at_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", "from-env-1")
    monkeypatch.setenv("ALICE_PASSWORD", "from-env-2")
    desired = load_spec(STORY)
    assert desired.objects[Address("user", "moderator")].initial == {
        "password": Secret("from-env-1")
    }


def test_every_missing_environment_variable_is_reported_at_once(at_root: None) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(STORY, {})
    assert str(caught.value) == (
        "realms/minimal-token-impersonation.yaml:39:5: users[0].password:"
        " environment variable MODERATOR_PASSWORD is not set\n"
        "realms/minimal-token-impersonation.yaml:48:5: users[1].password:"
        " environment variable ALICE_PASSWORD is not set"
    )
    assert len(caught.value.problems) == 2


def test_one_missing_variable_and_a_client_secret(here: Path) -> None:
    path = write(
        """\
        realm: {name: demo}
        clients:
          - clientId: backend
            secret: {env: BACKEND_SECRET}
        users:
          - username: bob
            password: {env: BOB_PASSWORD}
        """
    )
    assert spec_errors(path, {"BOB_PASSWORD": "x"}) == (
        "spec.yaml:4:5: clients[0].secret: environment variable BACKEND_SECRET is not set"
    )
    desired = load_spec(path, {"BOB_PASSWORD": "x", "BACKEND_SECRET": "backend-secret-1"})
    client = desired.objects[Address("client", "backend")]
    assert client.fields == {"secret": Secret("backend-secret-1")}


def test_usernames_are_lower_cased_in_addresses(here: Path) -> None:
    path = write(
        """\
        realm: {name: Demo}
        users:
          - username: Bob.Builder
            email: Bob@Example.com
        """
    )
    desired = load_spec(path, {})
    assert desired.realm == "Demo"
    assert list(desired.objects) == [Address("realm", "Demo"), Address("user", "bob.builder")]
    assert desired.objects[Address("user", "bob.builder")].fields == {"email": "Bob@Example.com"}


def test_roles_scopes_and_attributes_become_fields_and_relations(here: Path) -> None:
    path = write(
        """\
        realm:
          name: demo
          accessTokenLifespan: 300
          attributes: {frontendUrl: https://sso.example.com}
          defaultDefaultClientScopes: [basic, audit]
          defaultOptionalClientScopes: []
        clientScopes:
          - name: audit
            protocol: openid-connect
            attributes: {include.in.token.scope: true}
        roles:
          - name: auditor
            description: Reads audit logs
            composites:
              realmRoles: [offline_access]
              clientRoles: {realm-management: [view-events], backend: [reader]}
        clients:
          - clientId: backend
            redirectUris: [https://b.example.com/*, https://a.example.com/*]
            attributes: {pkce.code.challenge.method: S256, use.refresh.tokens: false}
            scopeMappings: {realmRoles: [auditor]}
            roles:
              - name: reader
              - name: admin
                composites: {clientRoles: {backend: [reader]}}
        users:
          - username: bob
            attributes: {team: support, langs: [nl, en]}
            realmRoles: [auditor]
        """
    )
    objects = load_spec(path, {}).objects
    assert list(objects.values()) == [
        Obj(
            Address("realm", "demo"),
            {"accessTokenLifespan": 300, "attributes.frontendUrl": "https://sso.example.com"},
            {
                "defaultDefaultClientScopes": frozenset({"basic", "audit"}),
                "defaultOptionalClientScopes": frozenset(),
            },
        ),
        Obj(
            Address("client-scope", "audit"),
            {"protocol": "openid-connect", "attributes.include.in.token.scope": "true"},
        ),
        Obj(
            Address("realm-role", "auditor"),
            {"description": "Reads audit logs"},
            {
                "composites.realmRoles": frozenset({"offline_access"}),
                "composites.clientRoles": frozenset(
                    {"realm-management/view-events", "backend/reader"}
                ),
            },
        ),
        Obj(
            Address("client", "backend"),
            {
                "redirectUris": ["https://b.example.com/*", "https://a.example.com/*"],
                "attributes.pkce.code.challenge.method": "S256",
                "attributes.use.refresh.tokens": "false",
            },
            {"scopeMappings.realmRoles": frozenset({"auditor"})},
        ),
        Obj(Address("client-role", "backend/reader")),
        Obj(
            Address("client-role", "backend/admin"),
            relations={"composites.clientRoles": frozenset({"backend/reader"})},
        ),
        Obj(
            Address("user", "bob"),
            {"attributes.team": ["support"], "attributes.langs": ["en", "nl"]},
            {"realmRoles": frozenset({"auditor"})},
        ),
    ]


def test_realm_attributes_are_compared_as_the_strings_keycloak_keeps(here: Path) -> None:
    path = write("realm:\n  name: demo\n  attributes: {flag: true, n: 3}\n")
    desired = load_spec(path, {})
    realm = Address("realm", "demo")
    # What a realm read gives after an apply: Keycloak's RealmRepresentation.attributes is a
    # Map<String, String>.
    live = State("demo", {realm: Obj(realm, {"attributes.flag": "true", "attributes.n": "3"})})
    assert compare(desired, live) == []


def test_a_schema_error_raises_spec_error_before_anything_else(
    here: Path, no_network: None
) -> None:
    path = write(
        """\
        realm:
          name: demo
          enabled: "yes"
        users:
          - email: someone@example.com
            password: {env: NOT_SET_ANYWHERE}
        """
    )
    assert spec_errors(path) == (
        "spec.yaml:3:3: realm.enabled: must be a boolean, not a string\n"
        "spec.yaml:5:5: users[0]: missing required key 'username'"
    )


def test_a_yaml_error_raises_spec_error(here: Path, no_network: None) -> None:
    path = write("realm:\n  name: demo\n   enabled: true\n")
    assert spec_errors(path) == (
        "spec.yaml:3:11: (top level): invalid YAML: mapping values are not allowed here"
    )


UNDECLARED = """\
realm: {name: demo}
clients:
  - clientId: app
    defaultClientScopes: [audit]
    scopeMappings: {clientRoles: {backend: [reader]}}
users:
  - username: bob
    realmRoles: [ghost]
"""


def test_undeclared_roles_and_scopes_are_left_to_the_plan(here: Path, no_network: None) -> None:
    desired = load_spec(write(UNDECLARED), {})
    assert desired.objects[Address("user", "bob")].relations == {"realmRoles": frozenset({"ghost"})}
    assert desired.objects[Address("client", "app")].relations == {
        "defaultClientScopes": frozenset({"audit"}),
        "scopeMappings.clientRoles": frozenset({"backend/reader"}),
    }


def test_undeclared_roles_and_scopes_are_reported_by_validate(here: Path) -> None:
    write(UNDECLARED)
    result = run_cli("validate", "spec.yaml")
    assert (result.code, result.out, result.err) == (
        1,
        "spec.yaml:4:27: clients[0].defaultClientScopes[0]: unknown client scope 'audit'"
        " (not declared under clientScopes and not a Keycloak built-in)\n"
        "spec.yaml:5:35: clients[0].scopeMappings.clientRoles.backend: unknown client 'backend'"
        " (not declared under clients and not a Keycloak built-in)\n"
        "spec.yaml:8:18: users[0].realmRoles[0]: unknown realm role 'ghost'"
        " (not declared under roles and not a Keycloak built-in)\n",
        "error: 3 problem(s) in 1 file(s)\n",
    )


def test_groups_become_objects_addressed_by_path_and_users_name_them(
    here: Path, no_network: None
) -> None:
    path = write(
        """\
        realm: {name: demo}
        prune: {groups: created}
        groups:
          - name: team
            renamedFrom: [staff]
            attributes: {site: [utrecht, amsterdam], kind: support}
            realmRoles: [auditor]
            subGroups:
              - name: mods
                renamedFrom: [moderators]
                clientRoles: {realm-management: [impersonation]}
                subGroups:
                  - name: seniors
                    realmRoles: []
          - name: guests
        users:
          - username: bob
            groups: [/team/mods, /guests]
          - username: carol
            groups: []
          - username: dave
        """
    )
    desired = load_spec(path, {})
    assert desired.prune == {"group": "created"}
    groups = desired.of_kind("group")
    assert list(groups.values()) == [
        Obj(
            Address("group", "/team"),
            {"attributes.site": ["amsterdam", "utrecht"], "attributes.kind": ["support"]},
            {"realmRoles": frozenset({"auditor"})},
        ),
        Obj(
            Address("group", "/team/mods"),
            relations={"clientRoles": frozenset({"realm-management/impersonation"})},
        ),
        Obj(Address("group", "/team/mods/seniors"), relations={"realmRoles": frozenset()}),
        Obj(Address("group", "/guests")),
    ]
    # The old names, as paths under the parent's path in the spec (its new one).
    assert [obj.previous for obj in groups.values()] == [("/staff",), ("/team/moderators",), (), ()]
    users = desired.of_kind("user")
    assert [obj.relations for obj in users.values()] == [
        {"groups": frozenset({"/team/mods", "/guests"})},
        {"groups": frozenset()},
        {},
    ]


def test_an_undeclared_group_is_left_to_the_plan(here: Path, no_network: None) -> None:
    path = write("realm: {name: demo}\nusers:\n  - username: bob\n    groups: [/elsewhere]\n")
    desired = load_spec(path, {})
    assert desired.objects[Address("user", "bob")].relations == {
        "groups": frozenset({"/elsewhere"})
    }
