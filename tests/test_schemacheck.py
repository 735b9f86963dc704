import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError, validators

from kcconf.spec.schema import realm_schema
from kcconf.spec.schemacheck import TYPES, _compiled, _unique_items, schema_errors
from kcconf.spec.yamlload import load_document

ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "tests/data/full-example.yaml", *sorted((ROOT / "realms").rglob("*.yaml"))]

# jsonschema as kcconf used it before the compiled checks: the reference they must agree with.
Reference = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"uniqueItems": _unique_items}
)

ODD: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    1.5,
    -1,
    "",
    "x",
    ".",
    "a/b",
    "{x}",
    "x" * 300,
    [],
    ["a", "a"],
    [1, 1.0],
    [True, 1],
    {},
    {"name": "n"},
    {"unknown": 1},
]


def test_types_are_jsonschemas() -> None:
    checker = Draft202012Validator.TYPE_CHECKER
    for value in [*ODD, 2.0, float("nan"), float("inf"), b"x", (1,)]:
        for name, test in TYPES.items():
            assert test(value) == checker.is_type(value, name), (value, name)


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*path, index))


def mutants(data: dict[str, Any]) -> Iterator[Any]:
    """The spec with each value in turn replaced by four odd values (each in turn), and each
    mapping with an unknown key added."""
    for index, path in enumerate(list(paths(data))[1:]):
        chosen = [ODD[(index + step * 5) % len(ODD)] for step in range(4)]
        for odd in [*chosen, "extra-key"]:
            mutant = copy.deepcopy(data)
            holder = mutant
            for part in path[:-1]:
                holder = holder[part]
            if odd == "extra-key":
                target = holder[path[-1]]
                if not isinstance(target, dict):
                    continue
                target["surelyUnknownKey"] = 1
            else:
                holder[path[-1]] = copy.deepcopy(odd)
            yield mutant


def described(errors: list[ValidationError]) -> list[tuple[Any, ...]]:
    return [
        (tuple(e.absolute_path), e.validator, e.message, id(e.schema), repr(e.instance))
        for e in errors
    ]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_compiled_checks_judge_as_jsonschema_does(spec: Path) -> None:
    reference = Reference(realm_schema())
    data = load_document(spec).data
    count = 0
    for mutant in [data, *mutants(data)]:
        expected = list(reference.iter_errors(mutant))
        assert _compiled().check(mutant) == (not expected)
        assert described(schema_errors(mutant)) == described(expected)
        count += 1
    assert count > 100


REFUSED = [  # keys and names the schema refuses through `not`
    {"realm": {"name": "x", "clients": []}},
    {"realm": {"name": "x", "id": "abc"}},
    {"realm": {"name": "x"}, "roles": [{"name": "."}, {"name": ".."}, {"name": "ok"}]},
    {"realm": {"name": "x{y}"}},
    {"realm": {"name": "x"}, "groups": [{"name": "a/b", "subGroups": [{"name": "."}]}]},
]


@pytest.mark.parametrize("data", REFUSED)
def test_what_the_schema_refuses_is_refused_alike(data: dict[str, Any]) -> None:
    expected = list(Reference(realm_schema()).iter_errors(data))
    assert expected
    assert not _compiled().check(data)
    assert described(schema_errors(data)) == described(expected)
