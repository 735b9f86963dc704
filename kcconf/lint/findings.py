"""`kcconf lint`: offline risk checks of spec files, each finding at the key that causes it.

The rules live in kcconf.lint_rules. This module locates their hits in the file and applies the
silencing comments. The schema forbids unknown keys, so a finding is silenced by a YAML comment
instead: `# kcconf-lint: ignore KC006 -- why this is acceptable`, written at the end of the line
of the finding's key or of an object holding it (the client, user, role, realm), or on comment
lines directly above one of those lines. The reason is required, so that a reviewer reading the
file sees why the risk was accepted; an ignore without one silences nothing and is itself KC000.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from kcconf.errors import KeyPath, Location, SpecError
from kcconf.lint.rules import Hit, find_hits
from kcconf.output.escape import printable
from kcconf.spec.validate import checked_documents
from kcconf.spec.yamlload import Document

__all__ = ["DEFAULT_IMPERSONATION_LIMIT", "RULES", "Finding", "Rule", "lint_document", "lint_files"]

DEFAULT_IMPERSONATION_LIMIT = 3

# YAML starts a comment at a # that begins the line or follows a space.
_DIRECTIVE = re.compile(r"(?:^|\s)(#\s*kcconf-lint:\s*ignore\b(.*))$")
_RULE_ID = re.compile(r"KC\d{3}")


@dataclass(frozen=True)
class Rule:
    """A rule's stable id, how serious it is, what it catches, and the one fix it suggests."""

    id: str
    severity: str  # "error" or "warning": a command may let warnings pass
    summary: str
    fix: str


RULES: Mapping[str, Rule] = MappingProxyType(
    {
        rule.id: rule
        for rule in (
            Rule(
                "KC000",
                "error",
                "a silencing comment without a reason or a rule id",
                "write # kcconf-lint: ignore KC001 -- why this risk is acceptable here",
            ),
            Rule(
                "KC001",
                "error",
                "a public client with full scope",
                "write fullScopeAllowed: false and map only the roles its tokens need"
                " under scopeMappings",
            ),
            Rule(
                "KC002",
                "error",
                "full scope lets tokens carry realm-management roles",
                "write fullScopeAllowed: false and map under scopeMappings.clientRoles only the"
                " realm-management roles its tokens need",
            ),
            Rule(
                "KC003",
                "error",
                "a redirect URI wildcard beyond one host's path",
                "list the exact redirect URIs the client uses, on hosts you control",
            ),
            Rule(
                "KC004",
                "warning",
                "a redirect URI path wildcard",
                "list the exact callback URIs instead of every path of the host",
            ),
            Rule(
                "KC005",
                "error",
                "a plain http redirect URI off localhost",
                "use https; plain http is only fine for localhost and 127.0.0.1",
            ),
            Rule(
                "KC006",
                "error",
                "direct access grants on a public client",
                "write directAccessGrantsEnabled: false and log in with the code flow and PKCE",
            ),
            Rule(
                "KC007",
                "error",
                "impersonation granted to many users",
                "grant realm-management/impersonation only to the few users who need it, by name",
            ),
            Rule(
                "KC008",
                "error",
                "a secret written literally",
                "keep the secret out of the file: a ${vault.NAME} reference where Keycloak"
                " resolves one, or set it outside kcconf",
            ),
            Rule(
                "KC009",
                "error",
                "a secret read from kcconf's own or a CI or cloud credential's variable",
                "give the secret its own variable (APP_SECRET) holding only that secret;"
                " plan and apply refuse this reference",
            ),
        )
    }
)


@dataclass(frozen=True)
class Finding:
    """One risk in a spec file; `silenced_reason` is set when a comment accepted it."""

    rule: str
    location: Location
    keypath: KeyPath
    message: str
    fix: str
    silenced_reason: str | None = None

    @property
    def severity(self) -> str:
        """How serious the rule is: KC004, a path wildcard, is only a warning; all else errors."""
        return RULES[self.rule].severity

    def __str__(self) -> str:
        text = f"{self.location}: {self.rule} {self.message} (fix: {self.fix})"
        if self.silenced_reason is not None:
            text += f" [silenced: {self.silenced_reason}]"
        return printable(text)  # the file's names: no forged lines, no terminal escapes


def lint_files(
    paths: Sequence[Path],
    *,
    show_silenced: bool = False,
    impersonation_limit: int = DEFAULT_IMPERSONATION_LIMIT,
) -> list[Finding]:
    """Lint every file; findings sorted by file, line and column.

    A file that does not load or has schema problems cannot be judged, so nothing is linted and
    SpecError carries the problems of every such file at once.
    """
    # References are left to validate and plan: a role made elsewhere may exist live.
    docs, problems = checked_documents(paths, references=False)
    if problems:
        raise SpecError(problems)
    findings: list[Finding] = []
    for doc in docs:
        text = Path(doc.path).read_text(encoding="utf-8-sig")
        findings.extend(
            lint_document(
                doc, text, show_silenced=show_silenced, impersonation_limit=impersonation_limit
            )
        )
    return _sorted(findings)


def lint_document(
    doc: Document,
    text: str | None = None,
    *,
    show_silenced: bool = False,
    impersonation_limit: int = DEFAULT_IMPERSONATION_LIMIT,
) -> list[Finding]:
    """Findings of one spec that check_document accepted; `text` is its raw text, read from
    doc.path when not given, for the silencing comments that the parsed data no longer has."""
    if text is None:
        text = Path(doc.path).read_text(encoding="utf-8-sig")
    comments = _read_comments(text)
    findings = [_unworking(doc, ignore) for ignore in comments.ignores if not ignore.works]
    for hit in find_hits(doc.data, impersonation_limit):
        finding = _locate(doc, hit)
        reason = _silence(doc, comments, finding)
        if reason is None:
            findings.append(finding)
        elif show_silenced:
            findings.append(replace(finding, silenced_reason=reason))
    return _sorted(findings)


def _locate(doc: Document, hit: Hit) -> Finding:
    fix = RULES[hit.rule].fix
    return Finding(hit.rule, doc.where(hit.keypath), hit.keypath, hit.message, fix)


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.location, f.rule, f.message))


# --- silencing comments -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ignore:
    """One `kcconf-lint: ignore` comment: the rules it names and its reason ("" if none)."""

    line: int
    column: int
    text: str
    rules: frozenset[str]
    reason: str

    @property
    def works(self) -> bool:
        return bool(self.rules and self.reason)


@dataclass(frozen=True)
class _Comments:
    """The ignore comments of one file, and the lines that hold nothing but a comment."""

    ignores: tuple[_Ignore, ...]
    comment_lines: frozenset[int]


def _read_comments(text: str) -> _Comments:
    ignores, comment_lines = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            comment_lines.add(number)
        match = _DIRECTIVE.search(line)
        if match is not None:
            names, _, reason = match.group(2).partition("--")
            rules = frozenset(_RULE_ID.findall(names))
            column = match.start(1) + 1
            ignores.append(_Ignore(number, column, match.group(1).rstrip(), rules, reason.strip()))
    return _Comments(tuple(ignores), frozenset(comment_lines))


def _silence(doc: Document, comments: _Comments, finding: Finding) -> str | None:
    """The reason of an ignore that covers `finding`, or None when it is not silenced."""
    lines = _covered_lines(doc, comments, finding.keypath)
    for ignore in comments.ignores:
        if ignore.works and finding.rule in ignore.rules and ignore.line in lines:
            return ignore.reason
    return None


def _covered_lines(doc: Document, comments: _Comments, keypath: KeyPath) -> set[int]:
    """Lines whose ignore comments apply to a finding at `keypath`.

    Those are the lines of the keys from the object holding it (`realm`, `clients[0]`) down to
    its own key, and the comment-only lines directly above each of them (a blank line ends them).
    """
    first = 1 if keypath[:1] == ("realm",) else min(2, len(keypath))
    lines = {doc.where(keypath[:end]).line for end in range(first, len(keypath) + 1)}
    for line in list(lines):
        above = line - 1
        while above in comments.comment_lines:
            lines.add(above)
            above -= 1
    return lines


def _unworking(doc: Document, ignore: _Ignore) -> Finding:
    """KC000 for an ignore comment that silences nothing: no reason, or no rule id."""
    lack = "a reason" if ignore.rules else "a rule id"
    message = f"silenced without {lack}: '{ignore.text}' silences nothing"
    location = Location(doc.path, ignore.line, ignore.column)
    return Finding("KC000", location, _keypath_at(doc, ignore.line), message, RULES["KC000"].fix)


def _keypath_at(doc: Document, line: int) -> KeyPath:
    """The outermost key on `line` or, for a comment line, on the first line below it."""
    below = [(where, len(path), path) for path, where in doc.positions.items() if where[0] >= line]
    return min(below, key=lambda item: (item[0], item[1]))[2] if below else ()
