"""Checking a realm against its spec's assertions: token contents and impersonation readiness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.checks.assertions import Result, check_tokens
from kcconf.checks.impersonation import Case, live_facts, projected_facts
from kcconf.checks.rules import Verdict, judge
from kcconf.keycloak.admin import RealmAdmin
from kcconf.model.objects import State


def run_checks(admin: RealmAdmin, desired: State) -> list[Result]:
    """Every assertion of the spec, against the live realm."""
    results = check_tokens(admin, desired.assertions.get("tokens") or [])
    for spec in desired.assertions.get("impersonation") or []:
        case = Case.of(spec)
        results.append(verdict_result(case, judge(live_facts(admin, case)), spec))
    return results


def verdict_result(case: Case, verdict: Verdict, spec: Mapping[str, Any]) -> Result:
    expect = spec.get("expect", "allowed")
    passed = None if verdict.allowed is None else verdict.word == expect
    check = f"{expect} (predicted {verdict.word}: {verdict.reason})"
    return Result(str(case), check, passed, notes=verdict.notes)


def plan_warnings(admin: RealmAdmin, desired: State, live: State) -> list[str]:
    """Impersonations the spec expects that the realm, once planned changes apply, would refuse."""
    warnings = []
    for spec in desired.assertions.get("impersonation") or []:
        case = Case.of(spec)
        verdict = judge(projected_facts(admin, case, desired, live))
        result = verdict_result(case, verdict, spec)
        if result.passed is not True:
            warnings.append(
                f"warning: after this plan, {case} would be {verdict.word} "
                f"(spec expects {spec.get('expect', 'allowed')}): {verdict.reason}"
            )
    return warnings
