"""Bounds on what reading one spec file may cost, checked before the file is built.

Specs arrive in pull requests, and CI reads them with admin credentials at hand, so a hostile
file must fail fast with one line, never exhaust memory or the stack. A file of nested aliases
(billion laughs) is a few hundred bytes that expand to billions of values, and deep nesting makes
PyYAML's composer (and anything after it that recurses) overflow the stack. So the file is read
only up to its size limit, and YAML's event stream is scanned first: the parser keeps its own
stack, and the size of what every anchor expands to is added up, never expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
)

from kcconf.errors import Location, Problem, SpecError

# 3,500 clients and 35,000 users (a spec of flat users and clients) are 3.9 MiB, within every
# bound here, and validate in under 2 s; bench/realm_scale.py's realm of 10,000 users with
# roles and groups is 2.8 MB: real specs stay far below them.
MAX_BYTES = 4 * 1024 * 1024
MAX_VALUES = 500_000  # mapping keys, values and list items, aliases expanded
MAX_DEPTH = 64  # nested mappings and lists (a group tree nests two levels a group)
MAX_ALIASES = 10_000  # `*name` written in one file
MAX_ALIAS_VALUES = 100_000  # values the aliases add, counted as if expanded


def read_bounded(path: Path) -> bytes:
    """The file's bytes; more than MAX_BYTES is refused without reading the rest (a pipe,
    /dev/zero and a 10 GB file alike)."""
    with path.open("rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        message = f"the file is larger than {_mib(MAX_BYTES)}, the most kcconf reads as one spec"
        raise SpecError([Problem(Location(str(path), 1, 1), (), message)])
    return data


@dataclass
class _Frame:
    """A mapping or list being scanned: its anchor, values so far, deepest nesting inside, and
    where the scan is in it (the last key of a mapping, the count of a list's items)."""

    anchor: str | None
    mapping: bool
    values: int = 1
    depth: int = 1
    children: int = 0
    key: str = ""

    def step(self) -> str | int | None:
        """Its part of the key path; None at a mapping's key, which the path stops before."""
        if not self.mapping:
            return self.children
        return self.key if self.children % 2 else None


@dataclass
class _Scan:
    file: str
    stack: list[_Frame] = field(default_factory=list)
    # What each anchor expands to: (values, nesting depth). An alias to an anchor still open
    # (a cycle) is absent here; the builder reports it.
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)
    values: int = 0
    aliases: int = 0
    alias_values: int = 0

    def event(self, event: Event) -> None:
        if isinstance(event, CollectionStartEvent):
            self._check_depth(event, len(self.stack) + 1)
            self._count(event, 1)
            self.stack.append(_Frame(event.anchor, isinstance(event, MappingStartEvent)))
        elif isinstance(event, CollectionEndEvent):
            done = self.stack.pop()
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.values, done.depth)
            self._add(done.values, done.depth)
        elif isinstance(event, ScalarEvent):
            if event.anchor is not None:
                self.anchors[event.anchor] = (1, 0)
            self._count(event, 1)
            self._add(1, 0, event.value)
        elif isinstance(event, AliasEvent):
            self._alias(event)

    def _alias(self, event: AliasEvent) -> None:
        values, depth = self.anchors.get(event.anchor or "", (1, 0))
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            self._fail(event, f"more than {MAX_ALIASES:,} aliases; kcconf expands no more")
        self.alias_values += values
        if self.alias_values > MAX_ALIAS_VALUES:
            self._fail(
                event,
                f"aliases expand the file by more than {MAX_ALIAS_VALUES:,} values "
                "(nested aliases, a 'billion laughs'?); write the values out or use fewer aliases",
            )
        self._check_depth(event, len(self.stack) + depth)
        self._count(event, values)
        self._add(values, depth)

    def _count(self, event: Event, values: int) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            self._fail(event, f"the file holds more than {MAX_VALUES:,} values, aliases expanded")

    def _add(self, values: int, depth: int, text: str = "") -> None:
        """Note a finished value in the mapping or list that holds it."""
        if self.stack:
            parent = self.stack[-1]
            parent.values += values
            parent.depth = max(parent.depth, depth + 1)
            parent.children += 1
            if parent.mapping and parent.children % 2:  # a key was just read
                parent.key = text

    def _check_depth(self, event: Event, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._fail(event, f"nested more than {MAX_DEPTH} levels deep, aliases expanded")

    def _fail(self, event: Event, message: str) -> None:
        mark = event.start_mark
        where = Location(self.file, mark.line + 1, mark.column + 1) if mark else _top(self.file)
        path: list[str | int] = []
        for frame in self.stack:
            step = frame.step()
            if step is None:
                break
            path.append(step)
        raise SpecError([Problem(where, tuple(path), message)])


def check_limits(file: str, text: str, fast_loader: Any) -> None:
    """Raise SpecError at the first bound the file passes.

    libyaml refuses nesting past 1,000 levels with a syntax error, and it reads ahead, so its
    scan may end before reaching a depth the bound refuses; PyYAML's own parser then scans again
    (it keeps no such limit). A syntax error ends a scan quietly: composing the file reports it,
    and only what comes before it, within the bounds, is ever composed.
    """
    for loader in dict.fromkeys((fast_loader, yaml.SafeLoader)):
        scan = _Scan(file)
        try:
            for event in yaml.parse(text, Loader=loader):
                scan.event(event)
            return
        except yaml.YAMLError:
            continue


def _top(file: str) -> Location:
    return Location(file, 1, 1)


def _mib(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB"
