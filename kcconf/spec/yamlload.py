"""Load a spec file into plain Python values that remember where each value was written.

PyYAML's constructors throw positions away, so the node tree from `yaml.compose` is walked here
and the positions of every mapping key, mapping value and sequence item are recorded by key path.
Later steps (schema, semantic checks, plans) can then point at `file:line:column` for any path.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kcconf.errors import KeyPath, Location, Problem, SpecError
from kcconf.spec.limits import check_limits, read_bounded
from kcconf.spec.marks import PositionView
from kcconf.spec.yamlfast import build_plain

_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass(frozen=True)
class Document:
    """One parsed spec file: its data and the 1-based (line, column) of every written key path."""

    path: str
    data: Any
    # Where each mapping key / sequence item starts, and where each mapping value starts.
    positions: Mapping[KeyPath, tuple[int, int]] = field(
        default_factory=dict, repr=False, compare=False
    )
    value_positions: Mapping[KeyPath, tuple[int, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def where(self, keypath: Iterable[str | int]) -> Location:
        """Location of `keypath`, or of its nearest written ancestor; the file's top for ()."""
        path = tuple(keypath)
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return Location(self.path, *found)
        return Location(self.path, 1, 1)

    def where_value(self, keypath: Iterable[str | int]) -> Location:
        """Where the value of a mapping entry starts; like `where` for anything else."""
        found = self.value_positions.get(tuple(keypath))
        return Location(self.path, *found) if found else self.where(keypath)


def load_document(path: pathlib.Path) -> Document:
    """Parse one spec file; raise SpecError with every problem found while building it."""
    name = str(path)
    text = _read_text(path)
    plain = build_plain(name, text, FAST_LOADER)
    if plain is not None:
        data, marks = plain
        return Document(name, data, PositionView(marks, False), PositionView(marks, True))
    root = _compose(name, text)
    if root is None:
        message = "the file is empty; write a mapping with a realm key"
        raise SpecError([_problem(name, 1, 1, message)])
    if not isinstance(root, MappingNode):
        line, column = _position(root)
        message = f"the top level must be a mapping with a realm key, not {_node_kind(root)}"
        raise SpecError([_problem(name, line, column, message)])
    builder = _Builder(name)
    data = builder.build(root, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return Document(name, data, builder.positions, builder.value_positions)


def _read_text(path: pathlib.Path) -> str:
    try:
        data = read_bounded(path)
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
        raise SpecError([_problem(str(path), 1, 1, message)]) from None
    try:
        return data.decode("utf-8-sig")  # -sig: editors on Windows may add a BOM
    except UnicodeDecodeError as exc:
        prefix = exc.object[: exc.start].decode("utf-8", "replace")
        line, column = _line_column(prefix, len(prefix))
        message = f"cannot read the file: it is not UTF-8 (byte 0x{exc.object[exc.start]:02x})"
        raise SpecError([_problem(str(path), line, column, message)]) from None


# libyaml's parser when PyYAML has it: the same nodes and marks, several times faster. Its error
# messages are terser, so a file it refuses is parsed again by PyYAML's own parser for them.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(name: str, text: str) -> Node | None:
    check_limits(name, text, FAST_LOADER)  # before anything that expands aliases or recurses
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        return _compose_slowly(name, text)


def _compose_slowly(name: str, text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_problem(name, exc)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it has no mark
        line, column = _line_column(text, exc.position)
        raise SpecError([_problem(name, line, column, f"invalid YAML: {exc.reason}")]) from None


class _Builder:
    """Turns a node tree into dicts, lists and scalars, noting positions and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[KeyPath, tuple[int, int]] = {}
        self.value_positions: dict[KeyPath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        # Nodes being built right now: an alias back to one of them would recurse forever.
        self._active: set[int] = set()

    def build(self, node: Node, path: KeyPath) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            self._report(node, path, "an alias refers to a value that contains it")
            return None
        if node.tag not in _PLAIN_COLLECTION_TAGS:
            self._report(node, path, f"unsupported YAML tag {node.tag!r}")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            assert isinstance(node, MappingNode)
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        # SafeConstructor knows YAML's scalar rules (bools, ints, floats, nulls, dates).
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self._report(node, path, f"cannot read this value: {exc.problem}")
        except Exception:  # explicit tags such as `!!int x` fail with plain Python errors
            self._report(node, path, f"cannot read this value as {node.tag}")
        return None

    def _sequence(self, node: SequenceNode, path: KeyPath) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self._note((*path, index), item)
            items.append(self.build(item, (*path, index)))
        return items

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        self._check_duplicates(node, path)
        try:
            # Expands `<<` merge keys in place, as SafeLoader does; explicit keys come last.
            self._constructor.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            self._report(node, path, f"cannot merge: {exc.problem}")
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._report(key_node, path, "a mapping key must be a plain name, not a collection")
                continue
            # Keys are names in Keycloak's JSON, so keep the text as written (`on` stays "on").
            key = str(key_node.value)
            if key in result:  # an explicit key overriding a merged one: forget the merged spots
                self._forget((*path, key))
            self._note((*path, key), key_node)
            self.value_positions[(*path, key)] = _position(value_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _check_duplicates(self, node: MappingNode, path: KeyPath) -> None:
        first_lines: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in first_lines:
                message = f"duplicate key '{key}': written on lines {first_lines[key]} and {line}"
                self._report(key_node, (*path, key), message)
            else:
                first_lines[key] = line

    def _note(self, path: KeyPath, node: Node) -> None:
        self.positions[path] = _position(node)

    def _forget(self, prefix: KeyPath) -> None:
        for positions in (self.positions, self.value_positions):
            for path in [p for p in positions if p[: len(prefix)] == prefix]:
                del positions[path]

    def _report(self, node: Node, path: KeyPath, message: str) -> None:
        self.problems.append(_problem(self.file, *_position(node), message, path))


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.context and exc.context_mark and exc.problem:
        context_line = exc.context_mark.line + 1
        message += f" ({exc.context} that starts on line {context_line})"
    return _problem(file, line, column, message)


def _problem(file: str, line: int, column: int, message: str, path: KeyPath = ()) -> Problem:
    return Problem(Location(file, line, column), path, message)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _node_kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "an empty value"
    return "a single value"
