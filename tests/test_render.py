"""The plan as text: whole plans, exactly as a person reads them."""

from __future__ import annotations

from kcconf.kinds.client import live_fields
from kcconf.model.changes import Action, FieldChange
from kcconf.model.objects import Address, Obj, Secret, State
from kcconf.output.text import render_plan
from kcconf.planning.compare import compare
from kcconf.planning.plan import Plan
from kcconf.spec.load import load_spec
from tests.helpers import ROOT

PASSWORDS = {"MODERATOR_PASSWORD": "moderator-pw-1", "ALICE_PASSWORD": "alice-pw-1"}
CLIENT = Address("client", "backend")


def state(*objects: Obj) -> State:
    result = State("demo")
    for obj in objects:
        result.add(obj)
    return result


def plan_text(desired: State, live: State, reset_passwords: bool = False) -> str:
    changes = compare(desired, live, reset_passwords=reset_passwords)
    return render_plan(Plan(desired.realm, tuple(changes)))


def test_the_story_plan() -> None:
    """The fixed spec planned against a realm in the demo's "before" shape."""
    fixed = load_spec(ROOT / "realms" / "minimal-token-impersonation.yaml", PASSWORDS)
    before = load_spec(ROOT / "demo" / "minimal-token-before.yaml", PASSWORDS)
    assert plan_text(fixed, before) == (
        "~ client our-public-client\n"
        "    fullScopeAllowed: true -> false\n"
        "    default scopes: + roles\n"
        "    optional scopes: - roles\n"
        "    scope mappings: + realm-management/impersonation\n"
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    )


def test_create_shows_fields_relations_and_sensitive_values() -> None:
    desired = state(
        Obj(
            CLIENT,
            {
                "publicClient": False,
                "redirectUris": ["https://b.example.com/*"],
                "attributes.pkce.code.challenge.method": "S256",
                "secret": Secret("backend-secret-1"),
            },
            {
                "defaultClientScopes": frozenset({"basic", "audit"}),
                "optionalClientScopes": frozenset(),
            },
        ),
        Obj(
            Address("user", "bob"),
            {"email": "bob@example.com", "firstName": "Bøb"},
            {"realmRoles": frozenset({"auditor"}), "clientRoles": frozenset({"backend/admin"})},
            initial={"password": Secret("bob-password-1")},
        ),
    )
    assert plan_text(desired, state()) == (
        "+ client backend\n"
        "    publicClient: false\n"
        '    redirectUris: ["https://b.example.com/*"]\n'
        '    attributes.pkce.code.challenge.method: "S256"\n'
        "    secret: (sensitive)\n"
        "    default scopes: + audit, + basic\n"
        "+ user bob\n"
        '    email: "bob@example.com"\n'
        '    firstName: "Bøb"\n'
        "    password: (sensitive)\n"
        "    roles: + auditor, + backend/admin\n"
        "Plan: 2 to add, 0 to change, 0 to delete.\n"
    )


def test_update_shows_old_and_new_values_and_a_changed_secret() -> None:
    desired = state(
        Obj(CLIENT, {"description": "New", "rootUrl": "https://a.example", "secret": Secret("n")})
    )
    live = state(Obj(CLIENT, {"description": "Old", "secret": "o"}))
    assert plan_text(desired, live) == (
        "~ client backend\n"
        '    description: "Old" -> "New"\n'
        '    rootUrl: (unset) -> "https://a.example"\n'
        "    secret: (sensitive) changed\n"
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    )


def test_a_reset_password_is_shown_as_changed() -> None:
    bob = Address("user", "bob")
    desired = state(Obj(bob, {"enabled": True}, initial={"password": Secret("pw")}))
    live = state(Obj(bob, {"enabled": True}))
    assert plan_text(desired, live, reset_passwords=True) == (
        "~ user bob\n    password: (sensitive) changed\nPlan: 0 to add, 1 to change, 0 to delete.\n"
    )


def test_realm_and_client_roles_of_one_relation_share_a_line() -> None:
    desired = state(
        Obj(
            CLIENT,
            relations={
                "scopeMappings.realmRoles": frozenset({"auditor"}),
                "scopeMappings.clientRoles": frozenset({"backend/reader"}),
            },
        ),
        Obj(
            Address("realm-role", "auditor"),
            relations={
                "composites.realmRoles": frozenset(),
                "composites.clientRoles": frozenset({"realm-management/view-events"}),
            },
        ),
    )
    live = state(
        Obj(
            CLIENT,
            relations={
                "scopeMappings.realmRoles": frozenset({"offline_access"}),
                "scopeMappings.clientRoles": frozenset({"realm-management/view-users"}),
            },
        ),
        Obj(
            Address("realm-role", "auditor"),
            relations={
                "composites.realmRoles": frozenset({"offline_access"}),
                "composites.clientRoles": frozenset(),
            },
        ),
    )
    assert plan_text(desired, live) == (
        "~ realm-role auditor\n"
        "    composites: - offline_access, + realm-management/view-events\n"
        "~ client backend\n"
        "    scope mappings: - offline_access, - realm-management/view-users,"
        " + auditor, + backend/reader\n"
        "Plan: 0 to add, 2 to change, 0 to delete.\n"
    )


def test_realm_relations_and_a_new_realm() -> None:
    realm = Address("realm", "demo")
    desired = state(
        Obj(
            realm,
            {"enabled": True, "attributes.frontendUrl": "https://sso.example.com"},
            {"defaultDefaultClientScopes": frozenset({"basic", "roles"})},
        )
    )
    assert render_plan(Plan("demo", tuple(compare(desired, state())), realm_exists=False)) == (
        "+ realm demo\n"
        "    enabled: true\n"
        '    attributes.frontendUrl: "https://sso.example.com"\n'
        "    default scopes: + basic, + roles\n"
        "Plan: 1 to add, 0 to change, 0 to delete.\n"
    )


def test_no_changes() -> None:
    assert render_plan(Plan("demo", ())) == "No changes: realm demo matches the spec.\n"


def test_a_secret_value_never_appears_in_text_or_in_a_changes_repr() -> None:
    secret, password = "s3cr3t-value", "hunter2-value"
    desired = state(
        Obj(CLIENT, {"secret": Secret(secret)}),
        Obj(Address("client", "new"), {"secret": Secret(secret)}),
        Obj(Address("user", "bob"), {"enabled": True}, initial={"password": Secret(password)}),
        Obj(Address("user", "new"), initial={"password": Secret(password)}),
    )
    live = state(
        Obj(CLIENT, {"secret": "the-old-one"}),
        Obj(Address("user", "bob"), {"enabled": False}),
    )
    changes = compare(desired, live, reset_passwords=True)
    assert [(c.action, str(c.address)) for c in changes] == [
        (Action.UPDATE, "client backend"),
        (Action.CREATE, "client new"),
        (Action.UPDATE, "user bob"),
        (Action.CREATE, "user new"),
    ]
    text = render_plan(Plan("demo", tuple(changes)))
    for shown in [text, *(repr(c) for c in changes), *(str(c) for c in changes)]:
        assert secret not in shown
        assert password not in shown


def test_a_live_client_secret_never_appears_in_a_changes_repr() -> None:
    # A confidential client as Keycloak's admin API returns it (secret in clear), read the way
    # ClientKind.read reads it; the spec changes its description and keeps the secret.
    rep = {"id": "0b6e", "clientId": "backend", "description": "Old", "secret": "s3cr3t-value"}
    live = state(Obj(CLIENT, live_fields(rep), raw=rep))
    desired = state(Obj(CLIENT, {"description": "New", "secret": Secret("s3cr3t-value")}))
    (change,) = compare(desired, live)
    assert change.fields == (FieldChange("description", "Old", "New"),)
    assert "s3cr3t-value" not in repr(change)


def test_changed_lists_show_the_items_removed_and_added() -> None:
    from kcconf.model.changes import FieldChange
    from kcconf.output.text import field_line

    change = FieldChange(
        "redirectUris", ["https://a/*", "https://b/*"], ["https://b/*", "https://c/*"]
    )
    assert field_line(change, Action.UPDATE) == "redirectUris: - https://a/*, + https://c/*"
    assert field_line(FieldChange("webOrigins", None, ["+"]), Action.UPDATE) == "webOrigins: + +"
    assert field_line(FieldChange("x", [1, 2], [2, 1]), Action.UPDATE) == "x: moved 1 to 2"
