import textwrap
from pathlib import Path

import pytest

from kcconf.errors import Location, SpecError
from kcconf.spec.yamlload import Document, load_document


def write(directory: Path, text: str, name: str = "spec.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_errors(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_document(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Relative paths keep the messages short and exact: "spec.yaml:3:5: ...".
    monkeypatch.chdir(tmp_path)
    return Path()


NESTED = """\
realm:
  name: demo
clients:
  - clientId: app
    redirectUris:
      - https://a.example/*
      - https://b.example/*
    attributes: {pkce.code.challenge.method: S256}
  -   clientId: other
"""


def test_data_is_plain_python_values(here: Path) -> None:
    doc = load_document(write(here, NESTED))
    assert doc.path == "spec.yaml"
    assert doc.data == {
        "realm": {"name": "demo"},
        "clients": [
            {
                "clientId": "app",
                "redirectUris": ["https://a.example/*", "https://b.example/*"],
                "attributes": {"pkce.code.challenge.method": "S256"},
            },
            {"clientId": "other"},
        ],
    }


def test_locations_of_nested_keys_and_list_items(here: Path) -> None:
    doc = load_document(write(here, NESTED))
    assert doc.where(("realm",)) == Location("spec.yaml", 1, 1)
    assert doc.where(("realm", "name")) == Location("spec.yaml", 2, 3)
    assert doc.where(("clients", 0)) == Location("spec.yaml", 4, 5)
    assert doc.where(("clients", 0, "clientId")) == Location("spec.yaml", 4, 5)
    assert doc.where(("clients", 0, "redirectUris", 1)) == Location("spec.yaml", 7, 9)
    assert doc.where(("clients", 0, "attributes", "pkce.code.challenge.method")) == Location(
        "spec.yaml", 8, 18
    )
    assert doc.where(("clients", 1)) == Location("spec.yaml", 9, 7)
    assert doc.where(("clients", 1, "clientId")) == Location("spec.yaml", 9, 7)


def test_where_value_points_at_the_value_of_a_mapping_entry(here: Path) -> None:
    doc = load_document(write(here, NESTED))
    assert doc.where_value(("realm", "name")) == Location("spec.yaml", 2, 9)
    assert doc.where_value(("clients", 0, "redirectUris")) == Location("spec.yaml", 6, 7)
    assert doc.where_value(("clients", 0, "redirectUris", 1)) == Location("spec.yaml", 7, 9)
    assert doc.where_value(("clients", 0, "secret")) == Location("spec.yaml", 4, 5)


def test_unwritten_path_falls_back_to_nearest_written_ancestor(here: Path) -> None:
    doc = load_document(write(here, NESTED))
    assert doc.where(("clients", 0, "secret", "env")) == Location("spec.yaml", 4, 5)
    assert doc.where(("clients", 7)) == Location("spec.yaml", 3, 1)
    assert doc.where(("users", 0)) == Location("spec.yaml", 1, 1)
    assert doc.where(()) == Location("spec.yaml", 1, 1)


def test_scalars_are_typed_and_keys_kept_as_written(here: Path) -> None:
    text = """\
    realm: {name: demo, enabled: true, accessTokenLifespan: 300, on: x, "quoted": ~}
    """
    doc = load_document(write(here, text))
    assert doc.data == {
        "realm": {
            "name": "demo",
            "enabled": True,
            "accessTokenLifespan": 300,
            "on": "x",
            "quoted": None,
        }
    }


def test_aliases_and_merge_keys_produce_values(here: Path) -> None:
    text = """\
    realm:
      name: demo
    clients:
      - &base
        clientId: one
        redirectUris: &uris [https://a.example/*]
      - <<: *base
        clientId: two
        webOrigins: *uris
    """
    doc = load_document(write(here, text))
    assert doc.data["clients"][1] == {
        "clientId": "two",
        "redirectUris": ["https://a.example/*"],
        "webOrigins": ["https://a.example/*"],
    }
    assert doc.where(("clients", 1, "clientId")) == Location("spec.yaml", 8, 5)


def test_duplicate_keys_name_both_lines_and_are_all_reported(here: Path) -> None:
    text = """\
    realm:
      name: demo
      enabled: true
      name: other
    clients:
      - clientId: a
        clientId: b
    """
    assert load_errors(write(here, text)) == [
        "spec.yaml:4:3: realm.name: duplicate key 'name': written on lines 2 and 4",
        "spec.yaml:7:5: clients[0].clientId: duplicate key 'clientId': written on lines 6 and 7",
    ]


def test_syntax_error_has_the_location_yaml_gives(here: Path) -> None:
    text = """\
    realm:
      name: demo
       enabled: true
    """
    assert load_errors(write(here, text)) == [
        "spec.yaml:3:11: (top level): invalid YAML: mapping values are not allowed here",
    ]


def test_unclosed_flow_mapping_names_where_it_started(here: Path) -> None:
    text = """\
    realm: {name: demo
    """
    assert load_errors(write(here, text)) == [
        "spec.yaml:2:1: (top level): invalid YAML: expected ',' or '}', but got '<stream end>'"
        " (while parsing a flow mapping that starts on line 1)",
    ]


def test_empty_file(here: Path) -> None:
    assert load_errors(write(here, "# only a comment\n")) == [
        "spec.yaml:1:1: (top level): the file is empty; write a mapping with a realm key",
    ]


def test_top_level_must_be_a_mapping(here: Path) -> None:
    assert load_errors(write(here, "\n- realm\n")) == [
        "spec.yaml:2:1: (top level): the top level must be a mapping with a realm key, not a list",
    ]


def test_unreadable_file(here: Path) -> None:
    assert load_errors(Path("missing.yaml")) == [
        "missing.yaml:1:1: (top level): cannot read the file: No such file or directory",
    ]


def test_file_that_is_not_utf8(here: Path) -> None:
    path = Path("latin1.yaml")
    path.write_bytes(b"realm:\n  displayName: caf\xe9\n")
    assert load_errors(path) == [
        "latin1.yaml:2:19: (top level): cannot read the file: it is not UTF-8 (byte 0xe9)",
    ]


def test_unknown_tags_and_recursive_aliases_are_reported(here: Path) -> None:
    text = """\
    realm:
      name: !vault demo
      loop: &loop [*loop]
    """
    assert load_errors(write(here, text)) == [
        "spec.yaml:2:9: realm.name: cannot read this value: could not determine a constructor"
        " for the tag '!vault'",
        "spec.yaml:3:9: realm.loop[0]: an alias refers to a value that contains it",
    ]


def test_document_where_accepts_any_iterable_path() -> None:
    doc = Document(path="x.yaml", data={}, positions={("a",): (3, 4)})
    assert doc.where(iter(["a", "b"])) == Location("x.yaml", 3, 4)
