"""Error types and the exit codes they map to.

Every error a user can fix is a KcconfError (exit 1, one-line cause, no traceback). Anything else
that escapes is a bug in kcconf (exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from kcconf.model.objects import redact

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3

KeyPath = tuple[str | int, ...]


class Location(NamedTuple):
    """Where a value was written: file, 1-based line and column (ordered so)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def format_keypath(path: KeyPath) -> str:
    """`('clients', 0, 'secret')` -> `clients[0].secret`, the way a reader finds it in the file."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, with the place it was written."""

    location: Location
    keypath: KeyPath
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.location}: {format_keypath(self.keypath)}: {self.message}")


# Line breaks and other control characters, as a spec's keys and values may hold them.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    """`text` with its control characters escaped: a problem is one line of output."""
    return text.translate(_CONTROL)


class KcconfError(Exception):
    """An error the user can act on; its message is the one-line cause."""


class SpecError(KcconfError):
    """A spec has problems; all of them are reported at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class KeycloakError(KcconfError):
    """Keycloak refused or failed a request; `status` is the HTTP status, 0 if none came."""

    def __init__(self, message: str, status: int = 0) -> None:
        # Keycloak's words, or a proxy's error page, may echo a request and its credentials.
        super().__init__(redact(message))
        self.status = status


def raise_if_problems(problems: Iterable[Problem]) -> None:
    found = list(problems)
    if found:
        raise SpecError(found)
