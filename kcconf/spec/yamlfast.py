"""One pass over libyaml's events that builds a plain spec, its positions and its bounds at once.

Most specs are plain YAML: no anchors, aliases, merge keys, explicit tags or repeated keys. For
them, scanning the events for the bounds (limits.py), composing a node tree and walking it
again (yamlload._Builder) is three passes and a tree of node objects that a large spec fills
memory with. This pass builds the same values and positions straight from the events, and
counts values and depth as it goes. At the first thing it does not handle (or any problem: a
syntax error, a bound passed, a value that cannot be read) it gives up and returns None, and the
file takes the full path, which finds and words every problem exactly as before.
"""

from __future__ import annotations

import sys
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

from kcconf.errors import KeyPath
from kcconf.spec import limits

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
# A plain scalar whose first character starts no implicit type (bool, int, float, null,
# timestamp, merge, ...) is a string; only the others go through the resolver. Without path
# resolvers or wildcard resolvers this is exactly what Resolver.resolve does.
_TYPED_STARTS = frozenset(k for k in Resolver.yaml_implicit_resolvers if k is not None)
_SIMPLE_RESOLVER = None not in Resolver.yaml_implicit_resolvers and not Resolver.yaml_path_resolvers


class _GiveUp(Exception):
    """The file needs the full path (yamlload): something this pass does not handle."""


Positions = dict[KeyPath, tuple[int, int]]


def build_plain(text: str, loader: Any) -> tuple[dict[str, Any], Positions, Positions] | None:
    """(data, positions, value positions) of a plain, valid, single-document spec whose top
    level is a mapping, within the bounds of limits.py; None for anything else."""
    if not _SIMPLE_RESOLVER:
        return None
    parser = loader(text)
    try:
        return _Pass(parser).run()
    except (_GiveUp, yaml.YAMLError, RecursionError):
        return None
    finally:
        parser.dispose()


class _Pass:
    def __init__(self, parser: Any) -> None:
        self.get: Callable[[], Any] = parser.get_event
        self.positions: Positions = {}
        self.value_positions: Positions = {}
        # Read when the pass starts, as limits.py reads them (tests lower them).
        self.max_values, self.max_depth = limits.MAX_VALUES, limits.MAX_DEPTH
        self.constructor = yaml.constructor.SafeConstructor()
        self.typed: dict[tuple[str, str], Any] = {}  # (tag, text) -> value: all immutable

    def run(self) -> tuple[dict[str, Any], Positions, Positions]:
        self.get()  # the stream's start
        if type(self.get()) is not DocumentStartEvent:
            raise _GiveUp  # an empty file
        start = self.get()
        if type(start) is not MappingStartEvent or start.tag is not None or start.anchor:
            raise _GiveUp
        data: dict[str, Any] = {}
        self._mapping(data, (), 1)
        self.get()  # the document's end
        if type(self.get()) is not StreamEndEvent:
            raise _GiveUp  # a second document: the full path says so
        return data, self.positions, self.value_positions

    def _mapping(self, into: dict[str, Any], path: KeyPath, depth: int) -> None:
        get, intern = self.get, sys.intern
        positions, value_positions = self.positions, self.value_positions
        while True:
            event = get()
            if type(event) is not ScalarEvent or event.tag is not None or event.anchor is not None:
                if type(event) is MappingEndEvent:
                    return
                raise _GiveUp  # a collection as key, an alias, a tag or an anchor
            key = event.value
            if key in into or (key == "<<" and event.implicit[0]):
                raise _GiveUp  # a repeated key or a merge key
            key = intern(key)
            mark: Any = event.start_mark
            keypath = (*path, key)
            positions[keypath] = (mark.line + 1, mark.column + 1)
            value = get()
            mark = value.start_mark
            value_positions[keypath] = (mark.line + 1, mark.column + 1)
            # Values counted so far: the top mapping, and each key, value and item noted.
            if len(positions) + len(value_positions) >= self.max_values:
                raise _GiveUp
            into[key] = self._value(value, keypath, depth)

    def _sequence(self, into: list[Any], path: KeyPath, depth: int) -> None:
        get = self.get
        positions, value_positions = self.positions, self.value_positions
        while True:
            event = get()
            if type(event) is SequenceEndEvent:
                return
            mark = event.start_mark
            keypath = (*path, len(into))
            positions[keypath] = (mark.line + 1, mark.column + 1)
            if len(positions) + len(value_positions) >= self.max_values:
                raise _GiveUp
            into.append(self._value(event, keypath, depth))

    def _value(self, event: Any, path: KeyPath, depth: int) -> Any:
        if type(event) is ScalarEvent and event.tag is None and event.anchor is None:
            text: str = event.value
            if event.implicit[0] and text[:1] in _TYPED_STARTS:
                return self._scalar(event)
            return text
        return self._collection(event, path, depth)

    def _collection(self, event: Any, path: KeyPath, depth: int) -> Any:
        """The mapping or list that `event` starts, `depth` being its holder's nesting."""
        if event.anchor is not None or event.tag is not None or depth + 1 > self.max_depth:
            raise _GiveUp
        if type(event) is MappingStartEvent:
            mapping: dict[str, Any] = {}
            self._mapping(mapping, path, depth + 1)
            return mapping
        if type(event) is SequenceStartEvent:
            sequence: list[Any] = []
            self._sequence(sequence, path, depth + 1)
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
