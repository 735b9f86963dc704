"""Token assertions: what the tokens of a realm must and must not carry, checked against
the tokens Keycloak says it would issue (evaluate-scopes), after every apply and on demand."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kcconf.checks.token_preview import TokenPreview, preview
from kcconf.keycloak.admin import RealmAdmin

MISSING = object()


@dataclass(frozen=True)
class Result:
    """One check: what was checked, whether it held, and what Keycloak actually has."""

    subject: str  # "token moderator via our-public-client"
    check: str  # "roles exactly [realm-management/impersonation]"
    passed: bool | None  # None: kcconf cannot tell (no measured rule for this version)
    actual: str = ""
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        status = {True: "PASS", False: "FAIL", None: "UNKNOWN"}[self.passed]
        actual = "" if self.passed or not self.actual else f" (actual: {self.actual})"
        notes = "".join(f"\n    note: {n}" for n in self.notes)
        return f"{status} {self.subject}: {self.check}{actual}{notes}"


def check_tokens(admin: RealmAdmin, specs: Iterable[Mapping[str, Any]]) -> list[Result]:
    results: list[Result] = []
    for spec in specs:
        token = preview(
            admin, spec["client"], spec["user"], spec.get("scope", ""), spec.get("audience", "")
        )
        results.extend(token_results(token, spec))
    return results


def token_results(token: TokenPreview, spec: Mapping[str, Any]) -> list[Result]:
    """The spec's assertions about one token, each as a Result."""
    subject = f"token {token.user} via {token.client}"
    results = []
    if "roles" in spec:
        want = sorted(spec["roles"])
        have = sorted(token.roles)
        results.append(Result(subject, f"roles exactly {_list(want)}", want == have, _list(have)))
    for claim in spec.get("absent", []):
        value = claim_value(token.claims, claim)
        results.append(Result(subject, f"claim {claim} absent", value is MISSING, _show(value)))
    for claim in spec.get("present", []):
        value = claim_value(token.claims, claim)
        results.append(Result(subject, f"claim {claim} present", value is not MISSING, "absent"))
    for claim, expected in (spec.get("equals") or {}).items():
        value = claim_value(token.claims, claim)
        check = f"claim {claim} equals {_show(expected)}"
        results.append(Result(subject, check, value == expected, _show(value)))
    if "maxBytes" in spec:
        limit = int(spec["maxBytes"])
        check = f"at most {limit} bytes"
        results.append(Result(subject, check, token.size <= limit, f"{token.size} bytes"))
    return results


def claim_value(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (`resource_access.account`)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _show(value: Any) -> str:
    return "absent" if value is MISSING else json.dumps(value, ensure_ascii=False)


def summary(results: list[Result]) -> str:
    passed = sum(1 for r in results if r.passed)
    failed = sum(1 for r in results if r.passed is False)
    unknown = len(results) - passed - failed
    tail = f", {unknown} unknown" if unknown else ""
    return f"Checks: {passed} passed, {failed} failed{tail}."
