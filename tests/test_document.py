"""The plan as a JSON document: exact content, the published schema, stable key order, and no
secret values. Plans are built by hand, as compare and make_plan would give them."""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any

from jsonschema import Draft202012Validator

from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj, Secret
from kcconf.output.json_plan import document
from kcconf.planning.plan import Plan
from tests.helpers import ROOT

SCHEMA = json.loads((ROOT / "docs" / "plan-format.schema.json").read_text())
SECRETS = ("old-app-secret-1", "new-app-secret-1", "web-secret-1", "bob-password-1")

LEGACY = Address("client", "legacy")
WEB = Address("client", "web")
APP = Address("client", "app")
BOB = Address("user", "bob")
BETA = Address("realm", "beta")


def alpha() -> Plan:
    """A delete, two creates and an update with a rename, in the order a plan sorts them."""
    legacy = Obj(LEGACY, {"enabled": True})
    web = Obj(
        WEB,
        {"publicClient": False, "secret": Secret("web-secret-1")},
        {"defaultClientScopes": frozenset({"basic", "roles"})},
    )
    app_live = Obj(
        Address("client", "app-old"),
        {"description": "Old", "secret": Secret("old-app-secret-1")},
        {
            "defaultClientScopes": frozenset({"basic"}),
            "scopeMappings.clientRoles": frozenset({"realm-management/view-users"}),
        },
    )
    app = Obj(
        APP,
        {"description": "New", "secret": Secret("new-app-secret-1")},
        {
            "defaultClientScopes": frozenset({"basic", "roles"}),
            "scopeMappings.clientRoles": frozenset({"realm-management/impersonation"}),
        },
        previous=("app-old",),
    )
    bob = Obj(BOB, {"email": "bob@example.com"}, initial={"password": Secret("bob-password-1")})
    changes = (
        Change(Action.DELETE, LEGACY, (), (), None, legacy),
        Change(
            Action.UPDATE,
            APP,
            (
                FieldChange("clientId", "app-old", "app"),
                FieldChange("description", "Old", "New"),
                FieldChange("secret", app_live.fields["secret"], app.fields["secret"], True),
            ),
            (
                RelationChange("defaultClientScopes", ("roles",), ()),
                RelationChange(
                    "scopeMappings.clientRoles",
                    ("realm-management/impersonation",),
                    ("realm-management/view-users",),
                ),
            ),
            app,
            app_live,
            renamed_from="app-old",
        ),
        Change(
            Action.CREATE,
            WEB,
            (
                FieldChange("publicClient", None, False),
                FieldChange("secret", None, web.fields["secret"], True),
            ),
            (RelationChange("defaultClientScopes", ("basic", "roles"), ()),),
            web,
            None,
        ),
        Change(
            Action.CREATE,
            BOB,
            (
                FieldChange("email", None, "bob@example.com"),
                FieldChange("password", None, bob.initial["password"], True),
            ),
            (),
            bob,
            None,
        ),
    )
    return Plan(
        "alpha",
        changes,
        unmanaged={"user": 2, "client": 1},
        live_counts={"client": 3, "user": 2},
    )


def beta() -> Plan:
    """A realm that does not exist yet: apply creates it first."""
    realm = Obj(BETA, {"enabled": True}, {"defaultDefaultClientScopes": frozenset({"basic"})})
    change = Change(
        Action.CREATE,
        BETA,
        (FieldChange("enabled", None, True),),
        (RelationChange("defaultDefaultClientScopes", ("basic",), ()),),
        realm,
        None,
    )
    return Plan("beta", (change,), realm_exists=False)


def plans() -> list[Plan]:
    return [alpha(), beta()]


def field(name: str, before: Any, after: Any, sensitive: bool = False) -> dict[str, Any]:
    return {"name": name, "sensitive": sensitive, "before": before, "after": after}


def relation(name: str, label: str, added: list[str], removed: list[str]) -> dict[str, Any]:
    return {"name": name, "label": label, "added": added, "removed": removed}


EXPECTED: dict[str, Any] = {
    "format_version": 1,
    "kcconf_version": version("kcconf"),
    "summary": {"add": 3, "change": 1, "delete": 1},
    "realms": [
        {
            "realm": "alpha",
            "exists": True,
            "summary": {"add": 2, "change": 1, "delete": 1},
            "changes": [
                {
                    "address": "client legacy",
                    "kind": "client",
                    "name": "legacy",
                    "action": "delete",
                    "renamed_from": None,
                    "fields": [],
                    "relations": [],
                },
                {
                    "address": "client app",
                    "kind": "client",
                    "name": "app",
                    "action": "update",
                    "renamed_from": "app-old",
                    "fields": [
                        field("clientId", "app-old", "app"),
                        field("description", "Old", "New"),
                        field("secret", "(sensitive)", "(sensitive)", sensitive=True),
                    ],
                    "relations": [
                        relation("defaultClientScopes", "default scopes", ["roles"], []),
                        relation(
                            "scopeMappings.clientRoles",
                            "scope mappings",
                            ["realm-management/impersonation"],
                            ["realm-management/view-users"],
                        ),
                    ],
                },
                {
                    "address": "client web",
                    "kind": "client",
                    "name": "web",
                    "action": "create",
                    "renamed_from": None,
                    "fields": [
                        field("publicClient", None, False),
                        field("secret", None, "(sensitive)", sensitive=True),
                    ],
                    "relations": [
                        relation("defaultClientScopes", "default scopes", ["basic", "roles"], []),
                    ],
                },
                {
                    "address": "user bob",
                    "kind": "user",
                    "name": "bob",
                    "action": "create",
                    "renamed_from": None,
                    "fields": [
                        field("email", None, "bob@example.com"),
                        field("password", None, "(sensitive)", sensitive=True),
                    ],
                    "relations": [],
                },
            ],
            "notes": [
                "client legacy is deleted and web created: if that is a rename, write "
                "renamedFrom on the new one to keep its id, secret and mappings"
            ],
            "warnings": [],
            "unmanaged": {"client": 1, "user": 2},
        },
        {
            "realm": "beta",
            "exists": False,
            "summary": {"add": 1, "change": 0, "delete": 0},
            "changes": [
                {
                    "address": "realm beta",
                    "kind": "realm",
                    "name": "beta",
                    "action": "create",
                    "renamed_from": None,
                    "fields": [field("enabled", None, True)],
                    "relations": [
                        relation("defaultDefaultClientScopes", "default scopes", ["basic"], []),
                    ],
                }
            ],
            "notes": [],
            "warnings": [],
            "unmanaged": {},
        },
    ],
}


def test_the_whole_document() -> None:
    assert document(plans()) == EXPECTED


def test_the_document_validates_against_the_published_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(document(plans()))]
    assert errors == []


def test_an_empty_plan_validates_too() -> None:
    doc = document([Plan("alpha", ())])
    assert doc["summary"] == {"add": 0, "change": 0, "delete": 0}
    assert doc["realms"][0]["changes"] == []
    assert list(Draft202012Validator(SCHEMA).iter_errors(doc)) == []


def test_keys_come_in_the_modules_order_and_dumps_are_byte_identical() -> None:
    doc = document(plans())
    assert list(doc) == ["format_version", "kcconf_version", "summary", "realms"]
    assert list(doc["summary"]) == ["add", "change", "delete"]
    realm = doc["realms"][0]
    assert list(realm) == [
        "realm",
        "exists",
        "summary",
        "changes",
        "notes",
        "warnings",
        "unmanaged",
    ]
    # unmanaged is sorted by kind whatever order the plan counted it in
    assert list(realm["unmanaged"]) == ["client", "user"]
    update = realm["changes"][1]
    assert list(update) == [
        "address",
        "kind",
        "name",
        "action",
        "renamed_from",
        "fields",
        "relations",
    ]
    assert list(update["fields"][0]) == ["name", "sensitive", "before", "after"]
    assert list(update["relations"][0]) == ["name", "label", "added", "removed"]
    assert json.dumps(document(plans())) == json.dumps(document(plans()))
    assert json.dumps(document(plans()), indent=2) == json.dumps(doc, indent=2)


def test_sensitive_fields_show_only_that_they_change() -> None:
    fields = [
        f
        for realm in document(plans())["realms"]
        for change in realm["changes"]
        for f in change["fields"]
        if f["sensitive"]
    ]
    assert fields == [
        field("secret", "(sensitive)", "(sensitive)", sensitive=True),  # update
        field("secret", None, "(sensitive)", sensitive=True),  # create
        field("password", None, "(sensitive)", sensitive=True),  # create (initial value)
    ]


def test_no_secret_value_appears_in_the_document() -> None:
    # No default=str: a Secret left in the document would make json.dumps fail.
    text = json.dumps(document(plans()))
    for secret in SECRETS:
        assert secret not in text
    assert "(sensitive)" in text
