"""Check spec files: the packaged JSON Schema first, then what a schema cannot say.

Every problem of every file is collected and returned at once, each with file:line:column and the
key path. Semantic and reference checks only look at values the schema accepted, so a malformed
spec yields schema messages rather than a crash or a cascade of follow-up complaints.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jsonschema import ValidationError

from kcconf.errors import KeyPath, Problem, SpecError
from kcconf.kinds import BY_NAME, KINDS
from kcconf.kinds.base import Reference
from kcconf.spec.checker import SpecChecker
from kcconf.spec.desired import desired_state
from kcconf.spec.names import check_names
from kcconf.spec.schemacheck import first_repeat, schema_errors
from kcconf.spec.yamlload import Document, load_document

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean",
    "number": "a number",
    "integer": "an integer",
}


def validate_files(paths: Sequence[Path]) -> list[Problem]:
    """Load and check every file as plan would, without Keycloak: all problems, sorted by
    file, line and column. Environment variables are read (an unset one is a problem) and two
    files declaring one realm are a problem, as they are for plan and apply."""
    unique: dict[Path, Path] = {}
    for path in paths:  # a file named twice is one spec, not a realm declared twice
        unique.setdefault(path.resolve(), path)
    docs, problems = checked_documents(list(unique.values()))
    for doc in docs:
        try:
            desired_state(doc)
        except SpecError as exc:
            problems.extend(exc.problems)
    problems.extend(duplicate_realms(docs))
    return _sorted(problems)


def checked_documents(
    paths: Sequence[Path], references: bool = True
) -> tuple[list[Document], list[Problem]]:
    """The files that load without a problem, and every problem of the others, sorted."""
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            doc = load_document(path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        found = check_document(doc, references)
        problems.extend(found)
        if not found:
            docs.append(doc)
    return docs, _sorted(problems)


REALM_NAME: KeyPath = ("realm", "name")


def duplicate_realms(docs: Sequence[Document]) -> list[Problem]:
    """A realm declared by a second file, at that file's realm name: one realm, one file."""
    first: dict[str, Document] = {}
    problems = []
    for doc in docs:
        realm = doc.data["realm"]["name"]
        if realm in first:
            where = first[realm].where(REALM_NAME)
            message = f"realm '{realm}' is declared in {where} too; write each realm in one file"
            problems.append(Problem(doc.where(REALM_NAME), REALM_NAME, message))
        else:
            first[realm] = doc
    return problems


def unresolved_references(doc: Document) -> list[Problem]:
    """Names a checked spec gives that it neither declares nor Keycloak builds in: what a realm
    still to be created would lack, so plan and apply refuse them before creating it."""
    return _Checker(doc, set(), references=True).run_references()


def check_document(doc: Document, references: bool = True) -> list[Problem]:
    """Every schema, semantic and reference problem of one loaded spec.

    `references=False` skips the check that named roles and scopes are declared or built in:
    plan and apply check them against the live realm instead, where they may exist already.
    """
    errors = schema_errors(doc.data)
    problems = [problem for error in errors for problem in _schema_problems(doc, error)]
    problems.extend(_Checker(doc, _tainted(errors), references).run())
    return _sorted(problems)


def _tainted(errors: list[ValidationError]) -> set[KeyPath]:
    """Paths with a schema error at or below them: later checks skip these values."""
    paths = [tuple(error.absolute_path) for error in errors]
    return {path[:end] for path in paths for end in range(len(path) + 1)}


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.location)


# --- schema errors -> readable problems ---------------------------------------------------------


def _schema_problems(doc: Document, error: ValidationError) -> list[Problem]:
    path: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and schema.get("additionalProperties") is False:
        # One problem per unknown key, located at that key rather than at its parent.
        # Keys the schema names only to refuse them with a reason are not offered.
        allowed = tuple(k for k, v in schema.get("properties", {}).items() if "not" not in v)
        instance: Any = error.instance
        unknown = [key for key in instance if key not in allowed]
        return [
            Problem(doc.where((*path, k)), (*path, k), _unknown_key(k, allowed)) for k in unknown
        ]
    if error.validator == "uniqueItems":  # point at the repeated item, not at the whole list
        items: Any = error.instance
        path = (*path, first_repeat(items) or 0)
    return [Problem(doc.where(path), path, _message(error, schema))]


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    hint = schema.get("x-kcconf-messages", {}).get(error.validator)
    if hint is not None:
        return str(hint)
    value: Any = error.validator_value
    instance: Any = error.instance
    if error.validator == "type":
        expected = [value] if isinstance(value, str) else list(value)
        return f"must be {_or([_TYPE_NAMES.get(t, t) for t in expected])}, not {_kind(instance)}"
    if error.validator == "enum":
        return f"{_quote(instance)} is not allowed; choose one of: {', '.join(map(str, value))}"
    if error.validator == "required":
        missing = [key for key in value if key not in instance]
        return f"missing required key {', '.join(map(_quote, missing))}"
    if error.validator == "minLength":
        return "must not be empty"
    if error.validator == "maxLength":
        return f"longer than {value} characters"
    if error.validator == "uniqueItems":
        return f"{_quote(instance[first_repeat(instance) or 0])} is listed more than once"
    return error.message


LISTED = 30  # more allowed keys than this are left to `kcconf schema` (the realm's hundred)


@functools.lru_cache(maxsize=1024)  # the same mistake in 10,000 users is one guess
def _unknown_key(key: str, allowed: tuple[str, ...]) -> str:
    guess = difflib.get_close_matches(key, allowed, n=1)
    maybe = f" (did you mean '{guess[0]}'?)" if guess else ""
    if len(allowed) > LISTED:
        return f"unknown key '{key}'{maybe}; `kcconf schema` lists the {len(allowed)} allowed here"
    return f"unknown key '{key}'{maybe}; allowed keys: {', '.join(allowed)}"


def _kind(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), f"a {type(value).__name__}")


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _quote(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)


# --- semantic and reference checks --------------------------------------------------------------


class _Checker(SpecChecker):
    """Checks that need the whole document: each kind's own (duplicates, default vs optional
    scopes), then the references between kinds."""

    def __init__(self, doc: Document, tainted: set[KeyPath], references: bool) -> None:
        super().__init__(doc, tainted)
        self.references = references

    def run(self) -> list[Problem]:
        for kind in KINDS:
            kind.check(self)
        check_names(self)
        return self.run_references() if self.references else self.problems

    def run_references(self) -> list[Problem]:
        self._check_references()
        return self.problems

    # References: every name one kind's objects give to another kind's object.

    def _check_references(self) -> None:
        """Each reference must name an object the spec declares or a Keycloak built-in. A
        reference below one already reported (a role of an unknown client) is not judged."""
        known = self._known()
        failed: set[KeyPath] = set()
        for kind in KINDS:
            for ref in kind.references(self.doc.data):
                names = known.get(ref.target)
                if names is None or self._skipped(ref, failed):
                    continue
                if ref.name not in names:
                    failed.add(ref.keypath)
                    self.report(ref.keypath, _unknown(ref))

    def _skipped(self, ref: Reference, failed: set[KeyPath]) -> bool:
        """Malformed values (schema errors) are not judged, nor names below a failed one
        (looked up by prefix: a scan of the failed ones was quadratic)."""
        if not isinstance(ref.name, str) or ref.keypath in self.tainted:
            return True
        return any(ref.keypath[:end] in failed for end in range(1, len(ref.keypath) + 1))

    def _known(self) -> dict[str, set[str] | None]:
        """Kind -> names a reference may use; None where that cannot be told (malformed)."""
        realm = self.get(REALM_NAME)
        usable = isinstance(realm, str) and REALM_NAME not in self.tainted
        known: dict[str, set[str] | None] = {}
        for kind in KINDS:
            declared = kind.declared(self.doc.data)
            if declared is None or (not usable and kind.builtins("a") != kind.builtins("b")):
                known[kind.name] = None
            else:
                known[kind.name] = declared | kind.builtins(realm if usable else "")
        return known


def _unknown(ref: Reference) -> str:
    kind = BY_NAME[ref.target]
    what, where = kind.describe(ref.name)
    builtin = " and not a Keycloak built-in" if kind.builtins("") else ""
    return f"unknown {what} (not declared under {where}{builtin})"
