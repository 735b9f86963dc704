"""Names and values from specs and from Keycloak, made safe to show.

Any of them may come from someone who wants a reviewer to miss a change: a clientId holding a
newline and a code fence closes the plan's block in a pull-request comment, `<!--` hides the
rest of it, an ANSI escape sequence rewrites the terminal, and a bidi control character shows
text in another order than it is. Such characters are shown as escapes (`\\n`, `\\x1b`,
`\\u202e`); in markdown, names also keep to code spans and HTML text they cannot leave.
"""

from __future__ import annotations

import html
import re

# C0 and C1 controls (newline, ESC, CSI), DEL, bidi marks, embeddings, overrides and isolates,
# zero-width characters, and the Unicode line and paragraph separators.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]",
)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BACKTICKS = re.compile("`+")


def printable(text: str) -> str:
    """`text` on one line, with every control or invisible direction character escaped."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}"


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in `text`, so no line of it closes the
    block (CommonMark closes a fence only with a run at least as long as the opening one)."""
    return "`" * max(3, _longest_backticks(text) + 1)


def code_span(text: str, in_table: bool = False) -> str:
    """`text` as inline code it cannot end early: delimited by more backticks than it holds.

    In a table cell a `|` would still end the cell, so it is escaped there (GitHub shows `\\|`
    in a table's code span as `|`).
    """
    shown = printable(text)
    if in_table:
        shown = shown.replace("|", "\\|")
    ticks = "`" * (_longest_backticks(shown) + 1)
    if shown.startswith("`") or shown.endswith("`"):
        shown = f" {shown} "  # CommonMark strips one space each side: the name stays whole
    return f"{ticks}{shown}{ticks}"


def html_text(text: str) -> str:
    """`text` inside an HTML element: no tag, comment or entity can start in it."""
    return html.escape(printable(text))


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)
