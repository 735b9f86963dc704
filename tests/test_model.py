"""The shared shape of spec and live state: secrets, addresses, flattening and normal values."""

from __future__ import annotations

from kcconf.kinds import KINDS, address_order
from kcconf.model.objects import Address, Secret, flatten, normal, unflatten_into

ATTRIBUTES = frozenset({"attributes"})


def test_flatten_gives_one_field_per_written_map_key() -> None:
    fields = {
        "name": "app",
        "redirectUris": ["https://a.example/*"],
        "attributes": {"pkce.code.challenge.method": "S256", "post.logout": "+"},
    }
    assert flatten(fields, ATTRIBUTES) == {
        "name": "app",
        "redirectUris": ["https://a.example/*"],
        "attributes.pkce.code.challenge.method": "S256",
        "attributes.post.logout": "+",
    }


def test_flatten_leaves_maps_that_are_not_named_whole() -> None:
    fields = {"smtpServer": {"host": "mail"}, "attributes": {"a": "1"}}
    assert flatten(fields, frozenset()) == fields
    assert flatten({"attributes": {}}, ATTRIBUTES) == {}


def test_flatten_then_unflatten_gives_the_fields_back() -> None:
    fields = {
        "name": "app",
        "enabled": True,
        "attributes": {"pkce.code.challenge.method": "S256", "x": "1"},
    }
    assert unflatten_into({}, flatten(fields, ATTRIBUTES)) == fields


def test_unflatten_into_merges_into_a_copy_of_the_representation() -> None:
    raw = {
        "id": "0b6e",
        "clientId": "app",
        "enabled": False,
        "attributes": {"kept": "yes", "x": "old"},
    }
    body = unflatten_into(raw, {"enabled": True, "attributes.x": "new", "attributes.y.z": "2"})
    assert body == {
        "id": "0b6e",
        "clientId": "app",
        "enabled": True,
        "attributes": {"kept": "yes", "x": "new", "y.z": "2"},
    }
    assert raw == {
        "id": "0b6e",
        "clientId": "app",
        "enabled": False,
        "attributes": {"kept": "yes", "x": "old"},
    }


def test_unflatten_into_a_representation_without_or_with_null_attributes() -> None:
    assert unflatten_into({}, {"attributes.a": "1"}) == {"attributes": {"a": "1"}}
    assert unflatten_into({"attributes": None}, {"attributes.a": "1"}) == {"attributes": {"a": "1"}}


def test_unflatten_into_reveals_secrets_for_the_request_body() -> None:
    body = unflatten_into({"clientId": "app"}, {"secret": Secret("s3cr3t")})
    assert body == {"clientId": "app", "secret": "s3cr3t"}


def test_secret_is_never_shown() -> None:
    secret = Secret("s3cr3t")
    assert str(secret) == "(sensitive)"
    assert repr(secret) == "(sensitive)"
    assert f"{secret}" == "(sensitive)"
    assert repr({"secret": secret}) == "{'secret': (sensitive)}"
    assert secret.reveal() == "s3cr3t"


def test_secrets_are_equal_by_value_and_never_equal_to_plain_strings() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert hash(Secret("a")) == hash(Secret("a"))
    assert {Secret("a"), Secret("a")} == {Secret("a")}


def test_address_reads_as_kind_and_name() -> None:
    assert str(Address("client", "our-public-client")) == "client our-public-client"
    assert str(Address("client-role", "app/reader")) == "client-role app/reader"


def test_addresses_sort_in_kind_order_then_by_name() -> None:
    addresses = [
        Address("user", "alice"),
        Address("client-role", "app/reader"),
        Address("client", "app"),
        Address("realm-role", "auditor"),
        Address("client-scope", "audit"),
        Address("realm", "demo"),
        Address("client", "api"),
    ]
    assert sorted(addresses, key=address_order) == [
        Address("realm", "demo"),
        Address("client-scope", "audit"),
        Address("realm-role", "auditor"),
        Address("client", "api"),
        Address("client", "app"),
        Address("client-role", "app/reader"),
        Address("user", "alice"),
    ]
    assert address_order(Address("client", "app")) == (3, "app")
    first = ("realm", "client-scope", "realm-role", "client", "client-role", "group", "user")
    assert tuple(k.name for k in KINDS if k.name in first) == first


def test_normal_sorts_lists_of_scalars() -> None:
    assert normal(["b", "a", "c"]) == ["a", "b", "c"]
    assert normal([10, 9, 1]) == [1, 10, 9]  # by their text: both sides sort the same way
    assert normal(["b", 1, True]) == [1, True, "b"]
    assert normal([]) == []


def test_normal_leaves_other_values_alone() -> None:
    assert normal([{"b": 1}, {"a": 2}]) == [{"b": 1}, {"a": 2}]
    assert normal(["b", None, "a"]) == ["b", None, "a"]
    assert normal(("b", "a")) == ("b", "a")
    assert normal("ba") == "ba"
    assert normal(None) is None
    assert normal({"b": 1}) == {"b": 1}
