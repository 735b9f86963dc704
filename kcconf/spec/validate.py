"""Check spec files: the packaged JSON Schema first, then what a schema cannot say.

Every problem of every file is collected and returned at once, each with file:line:column and the
key path. Semantic and reference checks only look at values the schema accepted, so a malformed
spec yields schema messages rather than a crash or a cascade of follow-up complaints.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from kcconf.builtins import BUILTIN_CLIENT_ROLES, BUILTIN_CLIENT_SCOPES, builtin_realm_roles
from kcconf.errors import KeyPath, Problem, SpecError
from kcconf.spec.yamlload import Document, load_document

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean",
    "number": "a number",
}


def validate_files(paths: Sequence[Path]) -> list[Problem]:
    """Load and check every file; all problems, sorted by file, line and column."""
    return checked_documents(paths)[1]


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


def check_document(doc: Document, references: bool = True) -> list[Problem]:
    """Every schema, semantic and reference problem of one loaded spec.

    `references=False` skips the check that named roles and scopes are declared or built in:
    plan and apply check them against the live realm instead, where they may exist already.
    """
    errors = list(_validator().iter_errors(doc.data))
    problems = [problem for error in errors for problem in _schema_problems(doc, error)]
    problems.extend(_Checker(doc, _tainted(errors), references).run())
    return _sorted(problems)


@functools.cache
def load_schema() -> dict[str, Any]:
    """The packaged realm spec schema (kcconf/spec/schema/realm.schema.json)."""
    text = resources.files("kcconf").joinpath("spec/schema/realm.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


def _tainted(errors: list[ValidationError]) -> set[KeyPath]:
    """Paths with a schema error at or below them: later checks skip these values."""
    paths = [tuple(error.absolute_path) for error in errors]
    return {path[:end] for path in paths for end in range(len(path) + 1)}


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.file, p.location.line, p.location.column))


# --- schema errors -> readable problems ---------------------------------------------------------


def _schema_problems(doc: Document, error: ValidationError) -> list[Problem]:
    path: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and schema.get("additionalProperties") is False:
        # One problem per unknown key, located at that key rather than at its parent.
        allowed = list(schema.get("properties", {}))
        instance: Any = error.instance
        unknown = [key for key in instance if key not in allowed]
        return [
            Problem(doc.where((*path, k)), (*path, k), _unknown_key(k, allowed)) for k in unknown
        ]
    if error.validator == "uniqueItems":  # point at the repeated item, not at the whole list
        path = (*path, _first_repeat(error.instance))
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
    if error.validator == "uniqueItems":
        return f"{_quote(instance[_first_repeat(instance)])} is listed more than once"
    return error.message


def _unknown_key(key: str, allowed: list[str]) -> str:
    guess = difflib.get_close_matches(key, allowed, n=1)
    maybe = f" (did you mean '{guess[0]}'?)" if guess else ""
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


def _first_repeat(items: Any) -> int:
    """Index of the first item that repeats an earlier one."""
    return next((i for i, item in enumerate(items) if item in items[:i]), 0)


# --- semantic and reference checks --------------------------------------------------------------


class _Checker:
    """Checks that need the whole document: duplicates, default vs optional, references."""

    def __init__(self, doc: Document, tainted: set[KeyPath], references: bool) -> None:
        self.doc = doc
        self.tainted = tainted
        self.references = references
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        self._check_duplicates()
        self._check_scopes()
        if self.references:
            for holder in self._role_holders():
                self._check_role_refs(holder)
            self._check_group_refs()
        return self.problems

    def _report(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.doc.where(path), path, message))

    # Reading the data defensively: only lists/mappings the schema accepted are looked at.

    def _get(self, path: KeyPath) -> Any:
        value = self.doc.data
        for part in path:
            if isinstance(part, int) and isinstance(value, list) and part < len(value):
                value = value[part]
            elif isinstance(part, str) and isinstance(value, dict):
                value = value.get(part)
            else:
                return None
        return value

    def _items(self, path: KeyPath) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        value = self._get(path)
        for index, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, dict):
                yield (*path, index), item

    def _names(self, path: KeyPath) -> list[tuple[KeyPath, str]]:
        value = self._get(path)
        if path in self.tainted or not isinstance(value, list):
            return []
        return [((*path, i), name) for i, name in enumerate(value) if isinstance(name, str)]

    def _declared(self, path: KeyPath, field: str) -> set[str] | None:
        """Names declared in a list, or None when it is malformed (then nothing is judged)."""
        value = self._get(path)
        if value is None:
            return set()
        if not isinstance(value, list) or not all(
            isinstance(item, dict) and isinstance(item.get(field), str) for item in value
        ):
            return None
        return {item[field] for item in value}

    # (b) duplicates and default-vs-optional scopes.

    def _check_duplicates(self) -> None:
        self._unique(("clientScopes",), "name", "client scope")
        self._unique(("roles",), "name", "realm role")
        self._unique(("clients",), "clientId", "clientId")
        self._unique(("users",), "username", "username")
        for path, client in self._items(("clients",)):
            self._unique((*path, "roles"), "name", "role", f" of client '{client.get('clientId')}'")
        # Group names are unique among siblings; a group is named by its path.
        self._unique(("groups",), "name", "group", prefix="/")
        for path, group_path in self._groups():
            self._unique((*path, "subGroups"), "name", "group", prefix=f"{group_path}/")

    def _unique(
        self, path: KeyPath, field: str, label: str, suffix: str = "", prefix: str = ""
    ) -> None:
        first: dict[str, int] = {}
        for item_path, item in self._items(path):
            name, key_path = item.get(field), (*item_path, field)
            if not isinstance(name, str) or key_path in self.tainted:
                continue
            # Keycloak stores usernames in lower case, so Bob and bob are the same user.
            name = prefix + name
            natural = name.lower() if field == "username" else name
            line = self.doc.where(key_path).line
            if natural not in first:
                first[natural] = line
                continue
            lines = f"lines {first[natural]} and {line}"
            self._report(key_path, f"duplicate {label} '{name}'{suffix}: declared on {lines}")

    def _check_scopes(self) -> None:
        realm: KeyPath = ("realm",)
        pairs = [((*realm, "defaultDefaultClientScopes"), (*realm, "defaultOptionalClientScopes"))]
        for path, _ in self._items(("clients",)):
            pairs.append(((*path, "defaultClientScopes"), (*path, "optionalClientScopes")))
        declared = self._declared(("clientScopes",), "name")
        for default_path, optional_path in pairs:
            defaults = {name for _, name in self._names(default_path)}
            for item_path, name in self._names(optional_path):
                if name in defaults:
                    self._report(
                        item_path, f"scope '{name}' is listed as both default and optional"
                    )
            for item_path, name in self._names(default_path) + self._names(optional_path):
                known = declared is None or name in declared | BUILTIN_CLIENT_SCOPES
                if self.references and not known:
                    self._report(item_path, _unknown(f"client scope '{name}'", "clientScopes"))

    # (c) role references: composites, scope mappings, group and user role mappings.

    def _role_holders(self) -> Iterator[KeyPath]:
        """Paths of mappings that may hold realmRoles and clientRoles."""
        for path, _ in self._items(("roles",)):
            yield (*path, "composites")
        for path, _ in self._items(("clients",)):
            yield (*path, "scopeMappings")
            for role_path, _ in self._items((*path, "roles")):
                yield (*role_path, "composites")
        for path, _ in self._groups():
            yield path
        for path, _ in self._items(("users",)):
            yield path

    def _check_role_refs(self, holder: KeyPath) -> None:
        realm_roles = self._realm_roles
        for item_path, name in self._names((*holder, "realmRoles")):
            if realm_roles is not None and name not in realm_roles:
                self._report(item_path, _unknown(f"realm role '{name}'", "roles"))
        client_roles, known = self._get((*holder, "clientRoles")), self._client_roles
        if known is None or not isinstance(client_roles, dict):
            return
        for client_id in client_roles:
            entry = (*holder, "clientRoles", client_id)
            if client_id not in known:
                self._report(entry, _unknown(f"client '{client_id}'", "clients"))
                continue
            roles = known[client_id]
            for item_path, role in self._names(entry):
                if roles is not None and role not in roles:
                    what = f"role '{role}' of client '{client_id}'"
                    self._report(item_path, _unknown(what, "that client's roles"))

    # (d) groups: a tree, each group named by its path.

    def _groups(self) -> Iterator[tuple[KeyPath, str]]:
        """Each declared group's key path and group path (`/staff/moderators`), parents first.
        A group whose name the schema refused is left out, with the groups below it."""
        lists: list[tuple[KeyPath, str]] = [(("groups",), "")]
        while lists:
            list_path, parent = lists.pop(0)
            for path, group in self._items(list_path):
                name = group.get("name")
                if isinstance(name, str) and (*path, "name") not in self.tainted:
                    yield path, f"{parent}/{name}"
                    lists.append(((*path, "subGroups"), f"{parent}/{name}"))

    def _check_group_refs(self) -> None:
        known = self._group_paths
        for path, _ in self._items(("users",)):
            for item_path, group_path in self._names((*path, "groups")):
                if known is not None and group_path not in known:
                    self._report(
                        item_path, f"unknown group '{group_path}' (not declared under groups)"
                    )

    @functools.cached_property
    def _group_paths(self) -> set[str] | None:
        """Declared group paths, or None when a group name is malformed (then none is judged)."""
        lists = [("groups",), *((*path, "subGroups") for path, _ in self._groups())]
        for list_path in lists:
            if self._declared(list_path, "name") is None or any(
                (*path, "name") in self.tainted for path, _ in self._items(list_path)
            ):
                return None
        return {group_path for _, group_path in self._groups()}

    @functools.cached_property
    def _realm_roles(self) -> set[str] | None:
        """Realm roles a reference may name, or None when that cannot be told."""
        declared = self._declared(("roles",), "name")
        name = self._get(("realm", "name"))
        if declared is None or not isinstance(name, str) or ("realm", "name") in self.tainted:
            return None
        return declared | builtin_realm_roles(name)

    @functools.cached_property
    def _client_roles(self) -> dict[str, set[str] | None] | None:
        """clientId -> role names a reference may name (None: that client's roles are unclear)."""
        if self._declared(("clients",), "clientId") is None:
            return None
        known: dict[str, set[str] | None] = {k: set(v) for k, v in BUILTIN_CLIENT_ROLES.items()}
        for path, client in self._items(("clients",)):
            declared = self._declared((*path, "roles"), "name")
            before = known.get(client["clientId"], set())
            both = None if declared is None or before is None else before | declared
            known[client["clientId"]] = both
        return known


def _unknown(what: str, where: str) -> str:
    return f"unknown {what} (not declared under {where} and not a Keycloak built-in)"
