"""The one comparison: desired state against live state, giving the changes plan shows and apply
executes. Both states are built by hand in the shape the kinds give them."""

from __future__ import annotations

from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj, Secret, State
from kcconf.planning.compare import MASKED, compare, same

CLIENT = Address("client", "app")
BOB = Address("user", "bob")


def state(*objects: Obj) -> State:
    result = State("demo")
    for obj in objects:
        result.add(obj)
    return result


def one_change(desired: Obj, live: Obj | None = None, reset_passwords: bool = False) -> Change:
    changes = compare(state(desired), state(*[live] if live else []), reset_passwords)
    assert len(changes) == 1, changes
    return changes[0]


def test_create_of_a_new_object_has_every_field_initial_value_and_relation() -> None:
    password = Secret("bob-pw")
    want = Obj(
        BOB,
        {"enabled": True, "email": "bob@example.com", "attributes.team": ["a", "b"]},
        {"realmRoles": frozenset({"auditor", "admin"}), "clientRoles": frozenset()},
        initial={"password": password},
    )
    assert compare(state(want), state()) == [
        Change(
            Action.CREATE,
            BOB,
            (
                FieldChange("enabled", None, True),
                FieldChange("email", None, "bob@example.com"),
                FieldChange("attributes.team", None, ["a", "b"]),
                FieldChange("password", None, password, sensitive=True),
            ),
            # sorted; an empty relation ("none") has nothing to add on create
            (RelationChange("realmRoles", ("admin", "auditor"), ()),),
            want,
            None,
        )
    ]


def test_create_marks_a_secret_field_sensitive() -> None:
    secret = Secret("s3cr3t")
    want = Obj(CLIENT, {"publicClient": False, "secret": secret})
    assert one_change(want).fields == (
        FieldChange("publicClient", None, False),
        FieldChange("secret", None, secret, sensitive=True),
    )


def test_update_has_only_the_fields_whose_written_value_differs() -> None:
    want = Obj(CLIENT, {"name": "App", "enabled": True, "rootUrl": "https://a.example"})
    have = Obj(CLIENT, {"name": "Old", "enabled": True, "rootUrl": None}, raw={"id": "0b6e"})
    assert compare(state(want), state(have)) == [
        Change(
            Action.UPDATE,
            CLIENT,
            (
                FieldChange("name", "Old", "App"),
                FieldChange("rootUrl", None, "https://a.example"),
            ),
            (),
            want,
            have,
        )
    ]


def test_no_change_when_everything_written_matches() -> None:
    want = Obj(CLIENT, {"name": "App"}, {"defaultClientScopes": frozenset({"basic"})})
    have = Obj(CLIENT, {"name": "App"}, {"defaultClientScopes": frozenset({"basic"})})
    assert compare(state(want), state(have)) == []


def test_list_fields_are_compared_regardless_of_order() -> None:
    uris = ["https://b.example/*", "https://a.example/*"]
    want = Obj(CLIENT, {"redirectUris": uris, "attributes.team": ["y", "x"]})
    have = Obj(CLIENT, {"redirectUris": uris[::-1], "attributes.team": ["x", "y"]})
    assert compare(state(want), state(have)) == []


def test_list_field_with_an_item_more_or_less_is_a_change() -> None:
    want = Obj(CLIENT, {"redirectUris": ["https://b.example/*", "https://a.example/*"]})
    have = Obj(CLIENT, {"redirectUris": ["https://a.example/*"]})
    assert one_change(want, have).fields == (
        FieldChange(
            "redirectUris",
            ["https://a.example/*"],
            ["https://b.example/*", "https://a.example/*"],
        ),
    )


def test_relations_added_and_removed() -> None:
    want = Obj(
        CLIENT,
        relations={
            "defaultClientScopes": frozenset({"basic", "roles", "profile"}),
            "optionalClientScopes": frozenset(),
            "scopeMappings.clientRoles": frozenset({"realm-management/impersonation"}),
        },
    )
    have = Obj(
        CLIENT,
        relations={
            "defaultClientScopes": frozenset({"basic", "email", "acr"}),
            "optionalClientScopes": frozenset({"roles"}),
            "scopeMappings.realmRoles": frozenset({"offline_access"}),
        },
    )
    change = one_change(want, have)
    assert (change.action, change.fields) == (Action.UPDATE, ())
    assert change.relations == (
        RelationChange("defaultClientScopes", ("profile", "roles"), ("acr", "email")),
        RelationChange("optionalClientScopes", (), ("roles",)),
        RelationChange("scopeMappings.clientRoles", ("realm-management/impersonation",), ()),
    )


def test_keys_the_spec_does_not_write_are_not_compared() -> None:
    want = Obj(CLIENT, {"name": "App"}, {"defaultClientScopes": frozenset({"basic"})})
    have = Obj(
        CLIENT,
        {"name": "App", "enabled": False, "attributes.x": "1", "secret": "live-secret"},
        {
            "defaultClientScopes": frozenset({"basic"}),
            "optionalClientScopes": frozenset({"email"}),
        },
    )
    assert compare(state(want), state(have)) == []


def test_live_objects_the_spec_does_not_declare_are_left_alone() -> None:
    want = Obj(CLIENT, {"name": "App"})
    live = state(Obj(CLIENT, {"name": "App"}), Obj(Address("client", "other"), {"name": "X"}))
    assert compare(state(want), live) == []


def test_an_equal_secret_is_no_change() -> None:
    want = Obj(CLIENT, {"secret": Secret("s3cr3t")})
    assert compare(state(want), state(Obj(CLIENT, {"secret": "s3cr3t"}))) == []


def test_a_masked_secret_is_unknown_not_different() -> None:
    want = Obj(CLIENT, {"secret": Secret("s3cr3t")})
    assert compare(state(want), state(Obj(CLIENT, {"secret": MASKED}))) == []
    assert MASKED == "**********"


def test_a_different_or_missing_secret_is_a_sensitive_change() -> None:
    secret = Secret("s3cr3t")
    want = Obj(CLIENT, {"secret": secret})
    assert one_change(want, Obj(CLIENT, {"secret": "other"})).fields == (
        FieldChange("secret", "other", secret, sensitive=True),
    )
    assert one_change(want, Obj(CLIENT)).fields == (
        FieldChange("secret", None, secret, sensitive=True),
    )


def test_same() -> None:
    assert same(Secret("a"), "a")
    assert same(Secret("a"), MASKED)
    assert not same(Secret("a"), "b")
    assert same(Secret("a"), Secret("a"))  # live secrets are read as Secrets too
    assert not same(Secret("a"), Secret("b"))
    assert same(["b", "a"], ["a", "b"])
    assert not same("a", None)
    assert same(None, None)


def test_a_password_is_only_sent_on_create_unless_reset_passwords() -> None:
    password = Secret("bob-pw")
    want = Obj(BOB, {"enabled": True}, initial={"password": password})
    have = Obj(BOB, {"enabled": True})
    assert compare(state(want), state(have)) == []
    assert compare(state(want), state(have), reset_passwords=True) == [
        Change(
            Action.UPDATE,
            BOB,
            (FieldChange("password", None, password, sensitive=True),),
            (),
            want,
            have,
        )
    ]


def test_reset_passwords_adds_the_password_after_other_field_changes() -> None:
    password = Secret("bob-pw")
    want = Obj(BOB, {"enabled": True}, initial={"password": password})
    change = one_change(want, Obj(BOB, {"enabled": False}), reset_passwords=True)
    assert change.fields == (
        FieldChange("enabled", False, True),
        FieldChange("password", None, password, sensitive=True),
    )


def test_changes_are_sorted_in_kind_order_then_by_name() -> None:
    desired = state(
        Obj(Address("user", "zoe")),
        Obj(Address("user", "bob")),
        Obj(Address("client-role", "app/reader")),
        Obj(Address("client", "app")),
        Obj(Address("realm-role", "auditor")),
        Obj(Address("client-scope", "audit")),
        Obj(Address("realm", "demo"), {"enabled": True}),
    )
    live = state(Obj(Address("realm", "demo"), {"enabled": False}))
    assert [(c.action, str(c.address)) for c in compare(desired, live)] == [
        (Action.UPDATE, "realm demo"),
        (Action.CREATE, "client-scope audit"),
        (Action.CREATE, "realm-role auditor"),
        (Action.CREATE, "client app"),
        (Action.CREATE, "client-role app/reader"),
        (Action.CREATE, "user bob"),
        (Action.CREATE, "user zoe"),
    ]
