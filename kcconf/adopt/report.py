"""What a conversion could not express, and the secrets it left to environment variables.

Nothing of an export is dropped silently: a part kcconf cannot write into a spec is a `Skipped`
with its path in the export (objects named by their natural key: `clients[app].attributes`)
and the reason. Values are never kept here, so a report cannot leak a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Skipped:
    path: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}: {self.why}"


@dataclass
class Report:
    """Collected while converting: what was left out, and the variables the spec needs."""

    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Skipped] = field(default_factory=list)  # old shapes mapped to today's
    env: dict[str, str] = field(default_factory=dict)  # variable -> what it holds

    def skip(self, path: str, why: str) -> None:
        self.skipped.append(Skipped(path, why))

    def note(self, path: str, what: str) -> None:
        self.notes.append(Skipped(path, what))

    def secret(self, what: str, *parts: str) -> dict[str, str]:
        """`{env: NAME}` for a secret, NAME derived from where it sits: CLIENT_APP_SECRET."""
        name = "_".join(_word(p) for p in parts)
        self.env[name] = what
        return {"env": name}


def _word(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"
