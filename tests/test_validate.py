import json
import shutil
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kcconf.errors import Location, Problem
from kcconf.spec.schema import realm_schema
from kcconf.spec.validate import check_document, validate_files
from kcconf.spec.yamlload import load_document
from tests.helpers import CLIENT_KEYS, TOP_KEYS, run_cli

FULL_EXAMPLE = Path(__file__).parent / "data" / "full-example.yaml"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Relative paths keep the messages short and exact: "spec.yaml:3:5: ...".
    monkeypatch.chdir(tmp_path)
    return Path()


def problems(text: str, name: str = "spec.yaml") -> list[str]:
    path = Path(name)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return [str(problem) for problem in validate_files([path])]


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The full example's secrets: validate reads them, as plan does."""
    for name in ("OUR_CLIENT_SECRET", "MODERATOR_PASSWORD"):
        monkeypatch.setenv(name, "canary-secret")


def test_full_example_from_the_docs_is_valid(secrets: None) -> None:
    assert validate_files([FULL_EXAMPLE]) == []


def test_full_example_matches_the_docs() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "spec-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert FULL_EXAMPLE.read_text(encoding="utf-8") == example


def test_schema_is_a_valid_draft_2020_12_schema_with_secrets_marked() -> None:
    schema = realm_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] and schema["title"]
    client, user = schema["$defs"]["client"], schema["$defs"]["user"]
    assert client["properties"]["secret"]["x-kcconf-secret"] is True
    assert user["properties"]["password"]["x-kcconf-secret"] is True
    printed = run_cli("schema")  # what users give their editors is what validate uses
    assert (printed.code, json.loads(printed.out)) == (0, schema)


def test_minimal_spec_is_valid(here: Path) -> None:
    assert problems("realm: {name: demo}\n") == []


def test_several_problems_are_all_reported_with_location_and_key_path(here: Path) -> None:
    text = """\
    realm:
      name: demo
      enabled: "yes"
    clientScopes:
      - name: audit
        protocol: oidc
    clients:
      - clientId: app
        publicClient: true
        redirectUri: [https://app.example.com/*]
    users:
      - email: someone@example.com
    groupz: []
    """
    assert problems(text) == [
        "spec.yaml:3:3: realm.enabled: must be a boolean, not a string",
        "spec.yaml:6:5: clientScopes[0].protocol: 'oidc' is not allowed;"
        " choose one of: openid-connect, saml",
        "spec.yaml:10:5: clients[0].redirectUri: unknown key 'redirectUri'"
        f" (did you mean 'redirectUris'?); allowed keys: {CLIENT_KEYS}",
        "spec.yaml:12:5: users[0]: missing required key 'username'",
        "spec.yaml:13:1: groupz: unknown key 'groupz' (did you mean 'groups'?); allowed keys:"
        f" {TOP_KEYS}",
    ]


def test_problems_are_objects_with_location_and_key_path(here: Path) -> None:
    Path("spec.yaml").write_text("realm: {name: demo, enabled: 1}\n", encoding="utf-8")
    doc = load_document(Path("spec.yaml"))
    assert check_document(doc) == [
        Problem(
            Location("spec.yaml", 1, 21), ("realm", "enabled"), "must be a boolean, not a number"
        )
    ]


def test_missing_realm(here: Path) -> None:
    assert problems("clients: []\n") == [
        "spec.yaml:1:1: (top level): missing required key 'realm'",
    ]


def test_secret_written_as_a_plain_string(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: app
        secret: s3cr3t-value
    users:
      - username: mo
        password: {env: 1PASSWORD, value: hunter2}
    """
    assert problems(text) == [
        "spec.yaml:4:5: clients[0].secret: secrets come from environment variables:"
        " write {env: NAME}, never the secret itself",
        "spec.yaml:6:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:7:16: users[0].password.env: not an environment variable name:"
        " use letters, digits and _, not starting with a digit",
        "spec.yaml:7:32: users[0].password.value: unknown key 'value'; allowed keys: env",
    ]
    assert not any("s3cr3t" in message or "hunter2" in message for message in problems(text))


def test_forbidden_realm_keys_say_where_to_write_them(here: Path) -> None:
    text = """\
    realm:
      name: demo
      id: 0b6e9a38
      clients: []
      groups: []
    """
    assert problems(text) == [
        "spec.yaml:3:3: realm.id: kcconf names realms, never ids:"
        " remove id and write the realm's name as name",
        "spec.yaml:4:3: realm.clients: write clients at the top level of the file, not under realm",
        "spec.yaml:5:3: realm.groups: write groups at the top level of the file, not under realm",
    ]


def test_other_realm_settings_are_allowed(here: Path) -> None:
    text = """\
    realm:
      name: demo
      accessTokenLifespan: 300
      loginTheme: keycloak
      attributes: {frontendUrl: https://sso.example.com, flag: true, n: 3}
    """
    assert problems(text) == []


def test_attribute_values(here: Path) -> None:
    text = """\
    realm:
      name: demo
      attributes: {a: [x]}
    users:
      - username: mo
        attributes: {ok: x, also: [x, y], bad: {x: y}}
    """
    assert problems(text) == [
        "spec.yaml:3:16: realm.attributes.a: must be a string, a number or a boolean, not a list",
        "spec.yaml:5:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:6:39: users[0].attributes.bad: must be a string or a list, not a mapping",
    ]


def test_repeated_and_empty_names_in_lists(here: Path) -> None:
    text = """\
    realm:
      name: ""
      defaultDefaultClientScopes: [roles, email, roles]
    """
    assert problems(text) == [
        "spec.yaml:2:3: realm.name: must not be empty",
        "spec.yaml:3:46: realm.defaultDefaultClientScopes[2]: 'roles' is listed more than once",
    ]


def test_scope_both_default_and_optional(here: Path) -> None:
    text = """\
    realm:
      name: demo
      defaultDefaultClientScopes: [roles, email]
      defaultOptionalClientScopes: [phone, roles]
    clients:
      - clientId: app
        defaultClientScopes: [basic, profile]
        optionalClientScopes: [profile]
    """
    assert problems(text) == [
        "spec.yaml:4:40: realm.defaultOptionalClientScopes[1]:"
        " scope 'roles' is listed as both default and optional",
        "spec.yaml:8:28: clients[0].optionalClientScopes[0]:"
        " scope 'profile' is listed as both default and optional",
    ]


def test_duplicate_natural_keys_name_the_first_line(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clientScopes:
      - name: audit
      - name: audit
    roles:
      - name: auditor
      - name: auditor
    clients:
      - clientId: app
        roles:
          - name: reader
          - name: reader
      - clientId: app
    users:
      - username: Mo
      - username: mo
    """
    assert problems(text) == [
        "spec.yaml:4:5: clientScopes[1].name: duplicate client scope 'audit':"
        " declared on lines 3 and 4",
        "spec.yaml:7:5: roles[1].name: duplicate realm role 'auditor': declared on lines 6 and 7",
        "spec.yaml:12:9: clients[0].roles[1].name: duplicate role 'reader' of client 'app':"
        " declared on lines 11 and 12",
        "spec.yaml:13:5: clients[1].clientId: duplicate clientId 'app': declared on lines 9 and 13",
        "spec.yaml:15:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:16:5: users[1].username: duplicate username 'mo': declared on lines 15 and 16",
        "spec.yaml:16:5: users[1].username: shorter than 3 characters: Keycloak refuses it",
    ]


def test_unknown_client_scopes(here: Path) -> None:
    text = """\
    realm:
      name: demo
      defaultDefaultClientScopes: [basic, audit, foo]
    clientScopes:
      - name: audit
    clients:
      - clientId: app
        defaultClientScopes: [organization, service_account, bar]
    """
    assert problems(text) == [
        "spec.yaml:3:46: realm.defaultDefaultClientScopes[2]: unknown client scope 'foo'"
        " (not declared under clientScopes and not a Keycloak built-in)",
        "spec.yaml:8:58: clients[0].defaultClientScopes[2]: unknown client scope 'bar'"
        " (not declared under clientScopes and not a Keycloak built-in)",
    ]


def test_unknown_realm_roles(here: Path) -> None:
    text = """\
    realm: {name: Demo}
    roles:
      - name: auditor
        composites: {realmRoles: [offline_access, uma_authorization, ghost]}
    clients:
      - clientId: app
        scopeMappings: {realmRoles: [auditor, default-roles-demo, default-roles-Demo]}
    users:
      - username: mo
        realmRoles: [auditor, nobody]
    """
    assert problems(text) == [
        "spec.yaml:4:66: roles[0].composites.realmRoles[2]: unknown realm role 'ghost'"
        " (not declared under roles and not a Keycloak built-in)",
        "spec.yaml:7:63: clients[0].scopeMappings.realmRoles[2]:"
        " unknown realm role 'default-roles-Demo'"
        " (not declared under roles and not a Keycloak built-in)",
        "spec.yaml:9:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:10:27: users[0].realmRoles[1]: unknown realm role 'nobody'"
        " (not declared under roles and not a Keycloak built-in)",
    ]


def test_unknown_clients_and_client_roles(here: Path) -> None:
    text = """\
    realm: {name: demo}
    roles:
      - name: auditor
        composites:
          clientRoles: {realm-management: [view-events, fly], nowhere: [x]}
    clients:
      - clientId: app
        roles:
          - name: reader
            composites: {clientRoles: {app: [writer], broker: [read-token]}}
      - clientId: account
        roles: [{name: extra}]
    users:
      - username: mo
        clientRoles: {app: [reader], account: [view-profile, extra, nope], admin-cli: [x]}
    """
    assert problems(text) == [
        "spec.yaml:5:53: roles[0].composites.clientRoles.realm-management[1]:"
        " unknown role 'fly' of client 'realm-management'"
        " (not declared under that client's roles and not a Keycloak built-in)",
        "spec.yaml:5:59: roles[0].composites.clientRoles.nowhere: unknown client 'nowhere'"
        " (not declared under clients and not a Keycloak built-in)",
        "spec.yaml:10:42: clients[0].roles[0].composites.clientRoles.app[0]:"
        " unknown role 'writer' of client 'app'"
        " (not declared under that client's roles and not a Keycloak built-in)",
        "spec.yaml:14:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:15:65: users[0].clientRoles.account[2]: unknown role 'nope' of client 'account'"
        " (not declared under that client's roles and not a Keycloak built-in)",
        "spec.yaml:15:84: users[0].clientRoles.admin-cli[0]: unknown role 'x' of client"
        " 'admin-cli' (not declared under that client's roles and not a Keycloak built-in)",
    ]


def test_malformed_parts_get_schema_messages_only(here: Path) -> None:
    text = """\
    realm:
      name: demo
      defaultDefaultClientScopes: roles
    clientScopes: {name: audit}
    roles:
      - name: 5
    clients:
      - clientId: app
        defaultClientScopes: [audit, 7]
        scopeMappings: [auditor]
        roles: {name: reader}
    users:
      - username: mo
        realmRoles: [ghost]
        clientRoles: {app: reader, nowhere: [x]}
    """
    assert problems(text) == [
        "spec.yaml:3:3: realm.defaultDefaultClientScopes: must be a list, not a string",
        "spec.yaml:4:1: clientScopes: must be a list, not a mapping",
        "spec.yaml:6:5: roles[0].name: must be a string, not a number",
        "spec.yaml:9:34: clients[0].defaultClientScopes[1]: must be a string, not a number",
        "spec.yaml:10:5: clients[0].scopeMappings: must be a mapping, not a list",
        "spec.yaml:11:5: clients[0].roles: must be a list, not a mapping",
        "spec.yaml:13:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:15:19: users[0].clientRoles.app: must be a list, not a string",
        "spec.yaml:15:32: users[0].clientRoles.nowhere: unknown client 'nowhere'"
        " (not declared under clients and not a Keycloak built-in)",
    ]


def test_files_are_all_checked_and_sorted_by_file_line_column(here: Path, secrets: None) -> None:
    Path("b.yaml").write_text("realm: {name: b, enabled: 1}\nextra: 1\n", encoding="utf-8")
    Path("a.yaml").write_text("realm:\n  name: a\n  name: a\n", encoding="utf-8")
    shutil.copy(FULL_EXAMPLE, "ok.yaml")
    paths = [Path("ok.yaml"), Path("b.yaml"), Path("missing.yaml"), Path("a.yaml")]
    assert [str(problem) for problem in validate_files(paths)] == [
        "a.yaml:3:3: realm.name: duplicate key 'name': written on lines 2 and 3",
        "b.yaml:1:18: realm.enabled: must be a boolean, not a number",
        f"b.yaml:2:1: extra: unknown key 'extra'; allowed keys: {TOP_KEYS}",
        "missing.yaml:1:1: (top level): cannot read the file: No such file or directory",
    ]


GROUPS = """\
realm: {name: demo}
roles:
  - name: auditor
groups:
  - name: staff
    realmRoles: [auditor, ghost]
    clientRoles: {realm-management: [impersonation, fly]}
    subGroups:
      - name: moderators
      - name: moderators
      - name: seniors
        subGroups:
          - name: moderators
  - name: guests
  - name: staff
users:
  - username: mo
    groups: [/staff/moderators, /staff/seniors/moderators, /guests/moderators, /nope]
"""


def test_groups_are_checked_like_the_rest(here: Path) -> None:
    assert problems(GROUPS) == [
        "spec.yaml:6:27: groups[0].realmRoles[1]: unknown realm role 'ghost'"
        " (not declared under roles and not a Keycloak built-in)",
        "spec.yaml:7:53: groups[0].clientRoles.realm-management[1]:"
        " unknown role 'fly' of client 'realm-management'"
        " (not declared under that client's roles and not a Keycloak built-in)",
        "spec.yaml:10:9: groups[0].subGroups[1].name: duplicate group '/staff/moderators':"
        " declared on lines 9 and 10",
        "spec.yaml:15:5: groups[2].name: duplicate group '/staff': declared on lines 5 and 15",
        "spec.yaml:17:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:18:60: users[0].groups[2]: unknown group '/guests/moderators'"
        " (not declared under groups)",
        "spec.yaml:18:80: users[0].groups[3]: unknown group '/nope' (not declared under groups)",
    ]
    # Without reference checks (plan and apply check against the live realm), only duplicates
    # and names Keycloak refuses.
    doc = load_document(Path("spec.yaml"))
    assert [str(p) for p in check_document(doc, references=False)] == [
        "spec.yaml:10:9: groups[0].subGroups[1].name: duplicate group '/staff/moderators':"
        " declared on lines 9 and 10",
        "spec.yaml:15:5: groups[2].name: duplicate group '/staff': declared on lines 5 and 15",
        "spec.yaml:17:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
    ]


def test_group_names_and_paths_are_checked_by_the_schema(here: Path) -> None:
    text = """\
    realm: {name: demo}
    groups:
      - name: a/b
        renamedFrom: [old/name]
        subGroups:
          - name: ""
          - description: no name
      - name: ok
        subGroups: {name: x}
    users:
      - username: mo
        groups: [staff, /a//b, /ok, /ok]
    """
    assert problems(text) == [
        "spec.yaml:3:5: groups[0].name: a group name cannot contain '/', which separates the"
        " parts of a group's path: nest the group under subGroups instead",
        "spec.yaml:4:19: groups[0].renamedFrom[0]: a group name cannot contain '/', which"
        " separates the parts of a group's path: nest the group under subGroups instead",
        "spec.yaml:6:9: groups[0].subGroups[0].name: must not be empty",
        "spec.yaml:7:9: groups[0].subGroups[1]: missing required key 'name'",
        "spec.yaml:7:9: groups[0].subGroups[1].description: unknown key 'description';"
        " allowed keys: name, attributes, realmRoles, clientRoles, subGroups, renamedFrom",
        "spec.yaml:9:5: groups[1].subGroups: must be a list, not a mapping",
        "spec.yaml:11:5: users[0].username: shorter than 3 characters: Keycloak refuses it",
        "spec.yaml:12:14: users[0].groups[0]: not a group path: write the group's names from the"
        " top-level group down, each after a '/', e.g. /staff/moderators",
        "spec.yaml:12:21: users[0].groups[1]: not a group path: write the group's names from the"
        " top-level group down, each after a '/', e.g. /staff/moderators",
        "spec.yaml:12:33: users[0].groups[3]: '/ok' is listed more than once",
    ]
