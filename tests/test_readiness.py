"""Every impersonation readiness reason, set up for real, predicted by kcconf, then confirmed
by a real legacy token exchange (requested_subject) on the Keycloak under test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.checks.impersonation import Case, live_facts
from kcconf.checks.rules import RULES, Verdict, judge
from kcconf.errors import KeycloakError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import impersonate, password_grant
from kcconf.keycloak.versions import version_tuple
from tests.conftest import Target
from tests.helpers import ROOT, Run, for_server

Kcconf = Callable[..., Run]
PASSWORD = "canary-readiness-pw"
STORY = (ROOT / "realms" / "minimal-token-impersonation.yaml").read_text()
STORY = STORY[: STORY.index("\n# The story's promise")] + "\n"  # the shape, not its checks

BEFORE = (
    STORY.replace("fullScopeAllowed: false", "fullScopeAllowed: true")
    .replace("defaultClientScopes: [basic, roles]", "defaultClientScopes: [basic]")
    .replace("optionalClientScopes: []", "optionalClientScopes: [roles]")
    .replace("        realm-management: [impersonation]\n\nusers", "        {}\n\nusers")
)
NO_MAPPING = STORY.replace(
    "      clientRoles:\n        realm-management: [impersonation]\n", "      clientRoles: {}\n"
)
ROLES_OPTIONAL = STORY.replace(
    "defaultClientScopes: [basic, roles]", "defaultClientScopes: [basic]"
).replace("optionalClientScopes: []", "optionalClientScopes: [roles]")
NO_ROLE = STORY.replace(
    "    clientRoles:\n      realm-management: [impersonation]\n", "    clientRoles: {}\n"
)
ADMIN_TARGET = STORY.replace(
    "    password: {env: ALICE_PASSWORD}\n    clientRoles: {}\n",
    "    password: {env: ALICE_PASSWORD}\n    clientRoles: {realm-management: [view-users]}\n",
)
OTHER_CLIENT = STORY.replace(
    "clients:\n",
    "clients:\n  - clientId: other-client\n    publicClient: true\n"
    "    directAccessGrantsEnabled: true\n    fullScopeAllowed: false\n"
    "    defaultClientScopes: [basic, roles]\n"
    "    scopeMappings: {clientRoles: {realm-management: [impersonation]}}\n",
)
LIGHTWEIGHT = STORY.replace(
    "    fullScopeAllowed: false\n",
    "    fullScopeAllowed: false\n"
    "    attributes: {client.use.lightweight.access.token.enabled: true}\n",
    1,
)

TOKEN_READS = "the token carries realm-management/impersonation"
SCOPE_GRANTS = "the client's role scope grants realm-management/impersonation"
NOT_DEFAULT = (
    "the user holds realm-management/impersonation but the client's tokens do not carry it: "
    "`roles` is not a default scope of the client, and this version reads the role from the token"
)
NO_SCOPE = (
    "the user holds realm-management/impersonation but the client's tokens cannot carry it: "
    "Full Scope Allowed is off and no scope mapping grants it"
)
LIGHTWEIGHT_READ = (
    "the user holds realm-management/impersonation but the client's tokens do not carry it: "
    "the client issues lightweight access tokens, which carry no roles"
)
ADMIN_TARGET_REFUSED = (
    "the target holds admin roles the user lacks: query-groups, query-users, view-users"
)
# name -> (spec, exchange through, token from, target, {version: expected reason start})
CASES: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "the fixed shape": (
        STORY,
        "our-public-client",
        "alice",
        {
            "24.0.5": TOKEN_READS,
            "26.4.7": TOKEN_READS,
            "26.5.6": TOKEN_READS,
            "26.7.3": SCOPE_GRANTS,
            "26.7.5": SCOPE_GRANTS,
        },
    ),
    "roles optional and full scope on": (
        BEFORE,
        "our-public-client",
        "alice",
        {
            "24.0.5": NOT_DEFAULT,
            "26.4.7": NOT_DEFAULT,
            "26.5.6": NOT_DEFAULT,
            "26.7.3": SCOPE_GRANTS,
            "26.7.5": SCOPE_GRANTS,
        },
    ),
    "roles optional, full scope off, mapped": (
        ROLES_OPTIONAL,
        "our-public-client",
        "alice",
        {
            "24.0.5": NOT_DEFAULT,
            "26.4.7": NOT_DEFAULT,
            "26.5.6": NOT_DEFAULT,
            "26.7.3": SCOPE_GRANTS,
            "26.7.5": SCOPE_GRANTS,
        },
    ),
    "full scope off without a scope mapping": (
        NO_MAPPING,
        "our-public-client",
        "alice",
        {
            "24.0.5": NO_SCOPE,
            "26.4.7": NO_SCOPE,
            "26.5.6": NO_SCOPE,
            "26.7.3": NO_SCOPE,
            "26.7.5": NO_SCOPE,
        },
    ),
    "the user lacks the role": (
        NO_ROLE,
        "our-public-client",
        "alice",
        {v: "the user does not hold realm-management/impersonation" for v in RULES},
    ),
    "the target holds admin roles the user lacks": (
        ADMIN_TARGET,
        "our-public-client",
        "alice",
        {
            "24.0.5": TOKEN_READS,
            "26.4.7": TOKEN_READS,
            "26.5.6": TOKEN_READS,
            "26.7.3": SCOPE_GRANTS,
            "26.7.5": ADMIN_TARGET_REFUSED,
        },
    ),
    "the client is not the token holder": (
        OTHER_CLIENT,
        "other-client",
        "alice",
        {v: "the client is not the holder of the user's token" for v in RULES},
    ),
    "lightweight access tokens": (
        LIGHTWEIGHT,
        "our-public-client",
        "alice",
        {**{v: SCOPE_GRANTS for v in RULES}, "24.0.5": LIGHTWEIGHT_READ},
    ),
    "the target does not exist": (
        STORY,
        "our-public-client",
        "nobody",
        {v: "the target user does not exist or is disabled" for v in RULES},
    ),
}


def for_realm(shape: str, realm: str, version: str) -> str:
    """A shape as a spec of the test's realm, for the server's version (no `basic` before 25)."""
    return for_server(shape.replace("\n  name: minimal-token\n", f"\n  name: {realm}\n"), version)


def apply_shape(kcconf: Kcconf, tmp_path: Path, realm: str, shape: str, version: str) -> None:
    spec = tmp_path / "shape.yaml"
    spec.write_text(for_realm(shape, realm, version))
    applied = kcconf("apply", "--auto-approve", "-q", str(spec))
    assert applied.code == 0, applied.err


def predict_then_exchange(
    target: Target, realm: str, case: Case
) -> tuple[Verdict, int, dict[str, object]]:
    index = RealmAdmin(target.api(), realm)
    verdict = judge(live_facts(index, case))
    token = password_grant(target.url, realm, case.token_client, case.user, PASSWORD)
    assert token.status == 200, token.body
    answer = impersonate(target.url, realm, case.client, token.token, case.target)
    return verdict, answer.status, answer.body


@pytest.fixture
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATOR_PASSWORD", PASSWORD)
    monkeypatch.setenv("ALICE_PASSWORD", "canary-readiness-alice")


@pytest.mark.parametrize("name", list(CASES))
def test_each_reason_is_predicted_then_confirmed_by_a_real_exchange(
    name: str, kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, passwords: None
) -> None:
    shape, client, target_user, reasons = CASES[name]
    if keycloak.version not in reasons:
        pytest.fail(f"no measured rule for Keycloak {keycloak.version}: measure it and add it")
    apply_shape(kcconf, tmp_path, realm, shape, keycloak.version)
    token_client = "other-client" if client == "other-client" else "our-public-client"
    case = Case("moderator", "our-public-client", target_user, token_client)
    verdict, status, body = predict_then_exchange(keycloak, realm, case)
    assert verdict.reason.startswith(reasons[keycloak.version]), verdict.reason
    assert status == verdict.status, (verdict, body)


def test_a_target_with_admin_roles_is_noted_for_the_versions_that_refuse_it(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, passwords: None
) -> None:
    apply_shape(kcconf, tmp_path, realm, ADMIN_TARGET, keycloak.version)
    case = Case("moderator", "our-public-client", "alice", "our-public-client")
    verdict, status, _ = predict_then_exchange(keycloak, realm, case)
    if RULES[keycloak.version].admin_target_check:  # CVE-2026-17526 fixed: refused
        assert (verdict.allowed, status) == (False, 403)
        return
    assert (verdict.allowed, status) == (True, 200)
    assert any("CVE-2026-17526" in note and "view-users" in note for note in verdict.notes)


def story_on(
    server: Target, kcconf: Kcconf, tmp_path: Path, realm: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Verdict, int, dict[str, object]]:
    """The story's fixed shape on another server: kcconf's prediction and the real answer."""
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    try:
        apply_shape(kcconf, tmp_path, realm, STORY, server.version)
        case = Case("moderator", "our-public-client", "alice", "our-public-client")
        return predict_then_exchange(server, realm, case)
    finally:
        with contextlib.suppress(KeycloakError):
            server.api().delete(realm)


def test_without_the_token_exchange_feature(
    kcconf: Kcconf,
    keycloak_without_token_exchange: Target,
    realm: str,
    tmp_path: Path,
    passwords: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = keycloak_without_token_exchange
    verdict, status, body = story_on(server, kcconf, tmp_path, realm, monkeypatch)
    assert verdict.reason.startswith("the token-exchange feature is off on the server")
    assert (status, verdict.status) == (400, 400), body
    # Measured: 24.0.5 has no standard token exchange; from 26.2 it refuses requested_subject.
    assert body["error_description"] == (
        "Unsupported grant_type"
        if version_tuple(server.version) < (26, 2)
        else "Parameter 'requested_subject' is not supported for standard token exchange"
    )


def test_without_fine_grained_permissions_v1(
    kcconf: Kcconf,
    keycloak_without_fgap_v1: Target,
    realm: str,
    tmp_path: Path,
    passwords: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verdict, status, body = story_on(keycloak_without_fgap_v1, kcconf, tmp_path, realm, monkeypatch)
    assert (verdict.allowed, status) == (True, 200), body
    assert verdict.notes[0].startswith("fine-grained admin permissions v1 are off")


def test_an_unmeasured_version_is_not_guessed() -> None:
    from kcconf.checks.rules import Facts

    facts = Facts("99.0.0", True, True, True, True, True, True, False, True, True, True)
    verdict = judge(facts)
    assert (verdict.allowed, verdict.status) == (None, None)
    assert verdict.reason == (
        "kcconf has no measured rule for Keycloak 99.0.0 (it has for 24.0.5, 26.4.7, 26.5.6, "
        "26.7.3, 26.7.5); not predicting"
    )


def test_plan_warns_before_applying_a_shape_that_would_refuse_the_impersonation(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, passwords: None
) -> None:
    apply_shape(kcconf, tmp_path, realm, STORY, keycloak.version)
    expects = (
        "impersonation:\n  - user: moderator\n    client: our-public-client\n    target: alice\n"
    )
    spec = tmp_path / "next.yaml"
    spec.write_text(for_realm(NO_MAPPING, realm, keycloak.version) + expects)
    planned = kcconf("plan", str(spec))
    assert planned.code == 2
    assert (
        "warning: after this plan, impersonation moderator -> alice through our-public-client "
        f"would be denied (spec expects allowed): {NO_SCOPE} [rule for Keycloak {keycloak.version}]"
    ) in planned.err.splitlines()
    fine = tmp_path / "fine.yaml"
    fine.write_text(for_realm(STORY, realm, keycloak.version) + expects)
    assert "warning:" not in kcconf("plan", str(fine)).err
