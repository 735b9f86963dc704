"""Where a plain spec's keys, values and list items were written, kept compactly.

A dict entry per key path (a tuple path, a tuple position, two ints) costs some 200 bytes, and a
spec of 10,000 users has 250,000 of them. Here the positions are a tree that mirrors the data:
each mapping and list has one array of packed positions and the marks of what it holds. The
two views answer as the dicts `Document.positions` and `Document.value_positions` did, in the
same order.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

from kcconf.errors import KeyPath

_SHIFT = 32  # a position packed as line << 32 | column (a spec is at most a few MiB)
_COLUMN = (1 << _SHIFT) - 1


def pack(line: int, column: int) -> int:
    return line << _SHIFT | column


def unpack(packed: int) -> tuple[int, int]:
    return packed >> _SHIFT, packed & _COLUMN


class Marks:
    """The positions in one mapping (`keys` in order; `at` holds each key's position and its
    value's) or one list (`keys` is None; `at` holds each item's position), and `below`, the
    marks of each nested mapping or list (None for a scalar; all None: `below` is None)."""

    __slots__ = ("at", "below", "keys")

    def __init__(
        self, keys: tuple[str, ...] | None, at: array[int], below: tuple[Marks | None, ...] | None
    ) -> None:
        self.keys = keys
        self.at = at
        self.below = below

    def index(self, part: str | int) -> int | None:
        """Where `part` is in this mapping or list; None when it is not written there."""
        if self.keys is None:
            # As a dict keyed by int would: a bool finds 0 or 1, nothing else a non-int.
            if isinstance(part, int) and 0 <= part < len(self.at):
                return part
            return None
        try:
            return self.keys.index(part)
        except ValueError:
            return None

    def find(self, path: KeyPath) -> tuple[Marks, int] | None:
        """The marks holding the last step of `path`, and its index there."""
        marks: Marks | None = self
        for depth, part in enumerate(path):
            if marks is None:
                return None
            index = marks.index(part)
            if index is None:
                return None
            if depth == len(path) - 1:
                return marks, index
            marks = marks.below[index] if marks.below is not None else None
        return None

    def walk(self, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Marks, int]]:
        """Every written key path below, in document order, with its marks and index."""
        names: tuple[str | int, ...] = (
            self.keys if self.keys is not None else tuple(range(len(self.at)))
        )
        for index, name in enumerate(names):
            keypath = (*path, name)
            yield keypath, self, index
            below = self.below[index] if self.below is not None else None
            if below is not None:
                yield from below.walk(keypath)


class PositionView(Mapping[KeyPath, tuple[int, int]]):
    """Key path -> (line, column): of each key and list item, or (`of_values`) of each mapping
    value."""

    def __init__(self, marks: Marks, of_values: bool) -> None:
        self.marks = marks
        self.of_values = of_values

    def _position(self, marks: Marks, index: int) -> tuple[int, int] | None:
        if marks.keys is None:
            return None if self.of_values else unpack(marks.at[index])
        return unpack(marks.at[2 * index + self.of_values])

    def get(self, path: KeyPath, default: tuple[int, int] | None = None) -> tuple[int, int] | None:  # type: ignore[override]
        found = self.marks.find(path) if path else None
        position = self._position(*found) if found is not None else None
        return default if position is None else position

    def __getitem__(self, path: KeyPath) -> tuple[int, int]:
        position = self.get(path)
        if position is None:
            raise KeyError(path)
        return position

    def __iter__(self) -> Iterator[KeyPath]:
        for keypath, marks, _ in self.marks.walk():
            if not self.of_values or marks.keys is not None:
                yield keypath

    def __len__(self) -> int:
        return sum(1 for _ in self)
