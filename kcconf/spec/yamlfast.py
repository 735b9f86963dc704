"""One pass over libyaml's events that builds a plain spec, its positions and its bounds at once.

Most specs are plain YAML: no anchors, aliases, merge keys, explicit tags or repeated keys. For
them, scanning the events for the bounds (limits.py), composing a node tree and walking it
again (yamlload._Builder) is three passes and a tree of node objects that a large spec fills
memory with. This pass builds the same values and positions straight from the events, and
counts values and depth as it goes. Repeated keys it reports as the full path does, in the
same order. At the first thing it does not handle (or any other problem: a syntax error, a
bound passed, a value that cannot be read) it gives up and returns None, and the file takes the
full path, which finds and words every problem exactly as before.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from kcconf.errors import Location, Problem, SpecError
from kcconf.spec import limits
from kcconf.spec.marks import Marks, pack, unpack

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
# A plain scalar whose first character starts no implicit type (bool, int, float, null,
# timestamp, merge, ...) is a string; only the others go through the resolver. Without path
# resolvers or wildcard resolvers this is exactly what Resolver.resolve does.
_TYPED_STARTS = frozenset(k for k in Resolver.yaml_implicit_resolvers if k is not None)
_SIMPLE_RESOLVER = None not in Resolver.yaml_implicit_resolvers and not Resolver.yaml_path_resolvers


class _GiveUp(Exception):
    """The file needs the full path (yamlload): something this pass does not handle."""


def build_plain(file: str, text: str, loader: Any) -> tuple[dict[str, Any], Marks] | None:
    """The data and marks of a plain, valid, single-document spec whose top level is a
    mapping, within the bounds of limits.py; None for anything else. Raises SpecError for
    keys written twice in such a spec."""
    if not _SIMPLE_RESOLVER:
        return None
    parser = loader(text)
    try:
        passed = _Pass(file, parser)
        built = passed.run()
    except (_GiveUp, yaml.YAMLError, RecursionError):
        return None
    finally:
        parser.dispose()
    if passed.problems:
        raise SpecError(passed.problems)
    return built


class _Pass:
    def __init__(self, file: str, parser: Any) -> None:
        self.file = file
        self.get: Callable[[], Any] = parser.get_event
        self.path: list[str | int] = []  # the key path of the mapping or list being built
        self.problems: list[Problem] = []
        self.values = 1  # the top mapping
        # Read when the pass starts, as limits.py reads them (tests lower them).
        self.max_values, self.max_depth = limits.MAX_VALUES, limits.MAX_DEPTH
        self.constructor = yaml.constructor.SafeConstructor()
        self.typed: dict[tuple[str, str], Any] = {}  # (tag, text) -> value: all immutable

    def run(self) -> tuple[dict[str, Any], Marks]:
        self.get()  # the stream's start
        if type(self.get()) is not DocumentStartEvent:
            raise _GiveUp  # an empty file
        start = self.get()
        if type(start) is not MappingStartEvent or start.tag is not None or start.anchor:
            raise _GiveUp
        data: dict[str, Any] = {}
        marks = self._mapping(data, 1)
        self.get()  # the document's end
        if type(self.get()) is not StreamEndEvent:
            raise _GiveUp  # a second document: the full path says so
        return data, marks

    def _mapping(self, into: dict[str, Any], depth: int) -> Marks:
        get, intern = self.get, sys.intern
        keys: list[str] = []
        at = array("Q")
        below: list[Marks | None] = []
        slot = len(self.problems)  # its repeated keys come before those of what it holds
        while True:
            event = get()
            if type(event) is not ScalarEvent or event.tag is not None or event.anchor is not None:
                if type(event) is MappingEndEvent:
                    self.problems[slot:slot] = self._repeated(keys, at)
                    return Marks(tuple(keys), at, tuple(below) if any(below) else None)
                raise _GiveUp  # a collection as key, an alias, a tag or an anchor
            key = event.value
            if key == "<<" and event.implicit[0]:
                raise _GiveUp  # a merge key
            key = intern(key)
            keys.append(key)
            mark: Any = event.start_mark
            at.append(pack(mark.line + 1, mark.column + 1))
            value = get()
            mark = value.start_mark
            at.append(pack(mark.line + 1, mark.column + 1))
            self.values += 2
            if self.values > self.max_values:
                raise _GiveUp
            into[key] = self._value(value, key, depth, below)

    def _sequence(self, into: list[Any], depth: int) -> Marks:
        get = self.get
        at = array("Q")
        below: list[Marks | None] = []
        while True:
            event = get()
            if type(event) is SequenceEndEvent:
                return Marks(None, at, tuple(below) if any(below) else None)
            mark = event.start_mark
            at.append(pack(mark.line + 1, mark.column + 1))
            self.values += 1
            if self.values > self.max_values:
                raise _GiveUp
            into.append(self._value(event, len(into), depth, below))

    def _repeated(self, keys: list[str], at: array[int]) -> list[Problem]:
        """A problem for each key of a mapping written again, worded as yamlload words it."""
        first: dict[str, int] = {}
        problems = []
        for index, key in enumerate(keys):
            line, column = unpack(at[2 * index])
            if key not in first:
                first[key] = line
                continue
            message = f"duplicate key '{key}': written on lines {first[key]} and {line}"
            where = Location(self.file, line, column)
            problems.append(Problem(where, (*self.path, key), message))
        return problems

    def _value(self, event: Any, step: str | int, depth: int, below: list[Marks | None]) -> Any:
        """The value `event` starts, at `step` in its holder; the marks of a mapping or list
        (else None) go to `below`."""
        if type(event) is ScalarEvent and event.tag is None and event.anchor is None:
            below.append(None)
            text: str = event.value
            if event.implicit[0] and text[:1] in _TYPED_STARTS:
                return self._scalar(event)
            return text
        if event.anchor is not None or event.tag is not None or depth + 1 > self.max_depth:
            raise _GiveUp
        self.path.append(step)
        if type(event) is MappingStartEvent:
            mapping: dict[str, Any] = {}
            below.append(self._mapping(mapping, depth + 1))
            self.path.pop()
            return mapping
        if type(event) is SequenceStartEvent:
            sequence: list[Any] = []
            below.append(self._sequence(sequence, depth + 1))
            self.path.pop()
            return sequence
        raise _GiveUp  # an alias, or a tagged or anchored scalar

    def _scalar(self, event: Any) -> Any:
        """A plain scalar that may be typed (a bool, a number, null, a date)."""
        text: str = event.value
        tag: str = _RESOLVER.resolve(ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _STR_TAG:
            return text
        found = self.typed.get((tag, text), self)
        if found is self:
            node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
            try:
                found = self.constructor.construct_object(node, deep=True)
            except Exception:
                raise _GiveUp from None  # the full path reports it
            self.constructor.constructed_objects.clear()
            self.typed[(tag, text)] = found
        return found
