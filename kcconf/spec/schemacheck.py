"""The spec's JSON Schema validation: jsonschema's errors, without jsonschema's cost on valid data.

jsonschema walks every value through a validator object per level and resolves each `$ref`
anew: a spec of 10,000 users took seconds. Here the schema is compiled once into plain
functions that only answer "valid or not", keyword for keyword as jsonschema judges it (any
keyword not listed below is left to jsonschema itself). A valid spec is then judged in one
quick pass; for an invalid one jsonschema runs as before, and only the list items it would
find invalid are walked by it, so every error it reports, and how, is unchanged.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from kcconf.spec.schema import realm_schema

Check = Callable[[Any], bool]

_ITEMS = Draft202012Validator.VALIDATORS["items"]
# Keywords that judge nothing (documentation, kcconf's own hints, the schema's identity at the
# top): any other keyword this module does not compile sends its schema to jsonschema.
_NOTES = frozenset({"description", "title", "default", "examples", "$comment", "deprecated"})


def schema_errors(data: Any) -> list[ValidationError]:
    """What jsonschema's iter_errors yields for `data` against the realm schema."""
    if _compiled().check(data):
        return []
    return list(_validator().iter_errors(data))


def first_repeat(items: list[Any]) -> int | None:
    """Index of the first item that repeats an earlier one, if any."""
    seen: set[Any] = set()
    for index, item in enumerate(items):
        key = _hashable(item)
        if key in seen:
            return index
        seen.add(key)
    return None


def _hashable(value: Any) -> Any:
    """A value JSON Schema calls equal to `value` hashes alike; a bool is kept apart from 1."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("map", frozenset((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    return ("scalar", value)


def _unique_items(
    validator: Any, unique: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's own check compares lists of mappings pair by pair: a hostile list of
    100,000 of them took hours. The same judgement (1 equals 1.0, true does not equal 1),
    by hashing."""
    if unique and validator.is_type(instance, "array") and first_repeat(instance) is not None:
        yield ValidationError("has non-unique elements")


def _items(
    validator: Any, items: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's `items`, walking only the items the compiled schema finds invalid."""
    if not isinstance(items, dict) or "prefixItems" in schema:
        yield from _ITEMS(validator, items, instance, schema)
        return
    if not validator.is_type(instance, "array"):
        return
    check = _compiled().compile(items)
    for index, item in enumerate(instance):
        if not check(item):
            yield from validator.descend(instance=item, schema=items, path=index)


def _properties(
    validator: Any, properties: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's `properties`, walking only the values the compiled schema finds invalid."""
    if not validator.is_type(instance, "object"):
        return
    compiled = _compiled()
    for name, subschema in properties.items():
        if name in instance and not compiled.compile(subschema)(instance[name]):
            yield from validator.descend(instance[name], subschema, path=name, schema_path=name)


# jsonschema's stubs leave `extend` untyped.
_Validator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {"uniqueItems": _unique_items, "items": _items, "properties": _properties},
)


@functools.cache
def _validator() -> Any:
    return _Validator(realm_schema())


@functools.cache
def _compiled() -> _Compiler:
    return _Compiler(realm_schema())


def _integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


# Draft 2020-12's types, as Draft202012Validator.TYPE_CHECKER tells them (tests compare them).
TYPES: dict[str, Check] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _integer,
    "null": lambda value: value is None,
    "number": _number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


class _Compiler:
    """Schemas (by identity: the realm schema is built once) -> their compiled checks."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.defs: dict[str, Any] = root.get("$defs", {})
        self.done: dict[int, Check] = {}
        self.compiling: set[int] = set()
        self.check = self.compile(root, top=True)

    def compile(self, schema: Any, top: bool = False) -> Check:
        found = self.done.get(id(schema))
        if found is None:
            self.compiling.add(id(schema))
            found = self._compile(schema, top)
            self.compiling.discard(id(schema))
            self.done[id(schema)] = found
        return found

    def _slow(self, schema: Any) -> Check:
        is_valid: Check = _validator().evolve(schema=schema).is_valid
        return is_valid

    def _compile(self, schema: Any, top: bool) -> Check:
        if schema is True or schema == {}:
            return _ANYTHING
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            return self._slow(schema)
        notes = _NOTES | ({"$schema", "$id", "$defs"} if top else set())
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in notes or keyword.startswith("x-"):
                continue
            check = self._keyword(keyword, value, schema)
            if check is None:
                return self._slow(schema)
            checks.append(check)
        checks = [check for check in checks if check is not _ANYTHING]
        return _all(checks)

    def _keyword(self, keyword: str, value: Any, schema: dict[str, Any]) -> Check | None:
        """The check of one keyword, or None when jsonschema must judge the whole schema."""
        method = _KEYWORDS.get(keyword)
        return None if method is None else method(self, value, schema)

    def _type(self, value: Any, schema: dict[str, Any]) -> Check | None:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(name in TYPES for name in names):
            return None
        tests = [TYPES[name] for name in names]
        return tests[0] if len(tests) == 1 else lambda v: any(test(v) for test in tests)

    def _ref(self, value: Any, schema: dict[str, Any]) -> Check | None:
        prefix = "#/$defs/"
        if not isinstance(value, str) or not value.startswith(prefix):
            return None
        target = self.defs.get(value[len(prefix) :])
        if target is None or "/" in value[len(prefix) :]:
            return None
        if id(target) not in self.compiling:
            return self.compile(target)
        # A definition that refers to itself (a group's subGroups): looked up when used.
        return lambda v: self.done[id(target)](v)

    def _properties(self, value: Any, schema: dict[str, Any]) -> Check | None:
        """`properties` and, in the same walk, `additionalProperties`."""
        if "patternProperties" in schema:
            return None
        checks = {name: self.compile(sub) for name, sub in value.items()}
        extra = schema.get("additionalProperties", True)
        other: Check | None = None if extra is False else self.compile(extra)

        def properties(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, item in v.items():
                check = checks.get(key, other)
                if check is None or not check(item):
                    return False
            return True

        return properties

    def _additionalProperties(self, value: Any, schema: dict[str, Any]) -> Check | None:
        if "patternProperties" in schema:
            return None
        if "properties" in schema:
            return _ANYTHING  # judged with them
        return self._properties({}, schema)

    def _items(self, value: Any, schema: dict[str, Any]) -> Check | None:
        if not isinstance(value, dict) or "prefixItems" in schema:
            return None
        check = self.compile(value)

        def items(v: Any) -> bool:
            if isinstance(v, list):
                for item in v:
                    if not check(item):
                        return False
            return True

        return items

    def _required(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not isinstance(v, dict) or all(key in v for key in value)

    def _enum(self, value: Any, schema: dict[str, Any]) -> Check:
        # A string equals only a string; other values are judged by jsonschema's `equal`.
        texts = {each for each in value if isinstance(each, str)}
        slow = self._slow({"enum": value})
        return lambda v: v in texts if isinstance(v, str) else slow(v)

    def _pattern(self, value: Any, schema: dict[str, Any]) -> Check:
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    def _minLength(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= value

    def _maxLength(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= value

    def _minimum(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not _number(v) or not v < value

    def _maximum(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not _number(v) or not v > value

    def _uniqueItems(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda v: not value or not isinstance(v, list) or first_repeat(v) is None

    def _allOf(self, value: Any, schema: dict[str, Any]) -> Check | None:
        if not isinstance(value, list):
            return None
        return _all([self.compile(sub) for sub in value])

    def _not(self, value: Any, schema: dict[str, Any]) -> Check:
        check = self.compile(value)
        return lambda v: not check(v)


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict[str, Any]], Check | None]] = {
    keyword: getattr(_Compiler, "_" + keyword.lstrip("$"))
    for keyword in (
        "type",
        "$ref",
        "properties",
        "additionalProperties",
        "items",
        "required",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "uniqueItems",
        "allOf",
        "not",
    )
}


def _anything(value: Any) -> bool:
    return True


_ANYTHING: Check = _anything


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _ANYTHING
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)

    def every(value: Any) -> bool:
        # A loop, not all() over a generator: this runs once per value of a spec.
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return every
