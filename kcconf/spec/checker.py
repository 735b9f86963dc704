"""What a kind's own spec checks are given: the document, read defensively, and a place to
report problems. Only lists and mappings the schema accepted are looked at (`tainted` holds the
paths with a schema error), so a malformed spec yields schema messages, not a cascade."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kcconf.errors import KeyPath, Problem
from kcconf.spec.yamlload import Document


class SpecChecker:
    def __init__(self, doc: Document, tainted: set[KeyPath]) -> None:
        self.doc = doc
        self.tainted = tainted
        self.problems: list[Problem] = []

    def report(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.doc.where(path), path, message))

    def get(self, path: KeyPath) -> Any:
        value = self.doc.data
        for part in path:
            if isinstance(part, int) and isinstance(value, list) and part < len(value):
                value = value[part]
            elif isinstance(part, str) and isinstance(value, dict):
                value = value.get(part)
            else:
                return None
        return value

    def items(self, path: KeyPath) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        value = self.get(path)
        for position, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, dict):
                yield (*path, position), item

    def names(self, path: KeyPath) -> list[tuple[KeyPath, str]]:
        value = self.get(path)
        if path in self.tainted or not isinstance(value, list):
            return []
        return [((*path, i), name) for i, name in enumerate(value) if isinstance(name, str)]

    def unique(
        self,
        path: KeyPath,
        field: str,
        label: str,
        suffix: str = "",
        prefix: str = "",
        fold_case: bool = False,
        within: str = "",
    ) -> None:
        """Report each item of the list at `path` whose `field` repeats an earlier one's (with
        `within`, one whose `within/field` does: names unique per that field's value)."""
        first: dict[str, KeyPath] = {}  # where each name is first declared
        for item_path, item in self.items(path):
            name, key_path = item.get(field), (*item_path, field)
            if not isinstance(name, str) or key_path in self.tainted:
                continue
            name = prefix + (f"{item.get(within)}/{name}" if within else name)
            natural = name.lower() if fold_case else name
            if natural not in first:
                first[natural] = key_path
                continue
            earlier, line = self.doc.where(first[natural]).line, self.doc.where(key_path).line
            lines = f"lines {earlier} and {line}"
            self.report(key_path, f"duplicate {label} '{name}'{suffix}: declared on {lines}")

    def exclusive(self, default_path: KeyPath, optional_path: KeyPath) -> None:
        """A scope is a default or an optional scope of its owner, never both."""
        defaults = {name for _, name in self.names(default_path)}
        for item_path, name in self.names(optional_path):
            if name in defaults:
                self.report(item_path, f"scope '{name}' is listed as both default and optional")
