"""Token assertions and impersonation rules, judged from given facts (no server)."""

from __future__ import annotations

from dataclasses import replace

from kcconf.checks.assertions import Result, claim_value, summary, token_results
from kcconf.checks.rules import Facts, judge
from kcconf.checks.token_preview import TokenPreview

CLAIMS = {
    "azp": "our-public-client",
    "resource_access": {"realm-management": {"roles": ["impersonation"]}},
    "scope": "",
}
TOKEN = TokenPreview("demo", "our-public-client", "moderator", CLAIMS)
READY = Facts(
    version="26.5.6",
    token_exchange=True,
    fgap_v1=True,
    user_has_role=True,
    token_has_role=True,
    roles_default=True,
    scope_allows_role=True,
    lightweight=False,
    public=True,
    holder=True,
    target_exists=True,
)


def test_token_roles_and_size() -> None:
    assert TOKEN.roles == {"realm-management/impersonation"}
    assert TOKEN.realm_roles == []
    assert TOKEN.client_roles == {"realm-management": ["impersonation"]}
    assert TOKEN.size > 342  # header, payload and an RS256 signature


def test_each_assertion_reports_pass_or_fail_with_the_actual_value() -> None:
    spec = {
        "roles": ["realm-management/impersonation"],
        "absent": ["realm_access", "resource_access.account"],
        "present": ["resource_access.realm-management"],
        "equals": {"azp": "other"},
        "maxBytes": 100,
    }
    lines = [str(r) for r in token_results(TOKEN, spec)]
    who = "token moderator via our-public-client"
    assert lines == [
        f"PASS {who}: roles exactly [realm-management/impersonation]",
        f"PASS {who}: claim realm_access absent",
        f"PASS {who}: claim resource_access.account absent",
        f"PASS {who}: claim resource_access.realm-management present",
        f'FAIL {who}: claim azp equals "other" (actual: "our-public-client")',
        f"FAIL {who}: at most 100 bytes (actual: {TOKEN.size} bytes)",
    ]


def test_claims_by_name_or_dotted_path() -> None:
    assert claim_value(CLAIMS, "azp") == "our-public-client"
    assert claim_value(CLAIMS, "resource_access.realm-management.roles") == ["impersonation"]


def test_summary_counts_unknown_apart() -> None:
    results = [Result("s", "a", True), Result("s", "b", False), Result("s", "c", None)]
    assert summary(results) == "Checks: 1 passed, 1 failed, 1 unknown."
    assert str(results[2]) == "UNKNOWN s: c"


def test_rules_by_version() -> None:
    no_token_role = replace(READY, token_has_role=False, roles_default=False)
    assert judge(READY).word == "allowed"
    assert judge(no_token_role).status == 403
    assert judge(replace(no_token_role, version="26.7.3")).status == 200
    assert judge(replace(no_token_role, lightweight=True)).status == 200
    assert judge(replace(READY, token_exchange=False)).status == 400
    assert judge(replace(READY, version="26.6.0")).allowed is None
    assert judge(replace(READY, holder=False)).reason.startswith(
        "the client is not the holder of the user's token"
    )
    assert (
        judge(replace(READY, fgap_v1=False))
        .notes[0]
        .startswith("fine-grained admin permissions v1 are off")
    )
