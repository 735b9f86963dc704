"""The story kcconf was started for, told end to end against a real Keycloak.

A public client issues minimal tokens; the moderator must impersonate alice by legacy token
exchange. The "before" shape fails (on the versions measured to fail), kcconf plans exactly the
fix, applies it, the exchange works and a second apply writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import decode, impersonate, password_grant
from tests.conftest import Target
from tests.helpers import Run, example, requests_of

CLIENT = "our-public-client"
PASSWORDS = {"MODERATOR_PASSWORD": "canary-moderator-pw-1", "ALICE_PASSWORD": "canary-alice-pw-1"}

# The answer to the moderator's exchange in the "before" shape, measured per version
# (docs/keycloak-facts.md 9.7). A server that answers otherwise must fail this test loudly.
BEFORE_EXCHANGE_STATUS = {
    "24.0.5": 403,
    "26.4.0": 403,
    "26.4.7": 403,
    "26.5.6": 403,
    "26.7.0": 403,
    "26.7.3": 200,
    "26.7.5": 200,
}

EXPECTED_PLAN = """\
~ client our-public-client
    fullScopeAllowed: true -> false
    default scopes: + roles
    optional scopes: - roles
    scope mappings: + realm-management/impersonation
Plan: 0 to add, 1 to change, 0 to delete.
"""


def _copy_for_realm(source: Path, realm: str, tmp_path: Path) -> Path:
    """The spec with the test's own realm name, so tests never share or clobber a realm."""
    text = source.read_text()
    assert "\n  name: minimal-token\n" in text
    target = tmp_path / source.name
    target.write_text(text.replace("\n  name: minimal-token\n", f"\n  name: {realm}\n"))
    return target


def _moderator_token(keycloak: Target, realm: str) -> str:
    answer = password_grant(
        keycloak.url, realm, CLIENT, "moderator", PASSWORDS["MODERATOR_PASSWORD"]
    )
    assert answer.status == 200, answer.body
    return answer.token


def test_minimal_token_impersonation_story(
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    kcconf: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if keycloak.version not in BEFORE_EXCHANGE_STATUS:
        pytest.fail(
            f"no measured 'before' answer for Keycloak {keycloak.version}: measure it "
            "and add it to BEFORE_EXCHANGE_STATUS"
        )
    for key, value in PASSWORDS.items():
        monkeypatch.setenv(key, value)
    # The examples as demo/run.sh picks them for this server (keycloak-24/ variants before 25).
    before = _copy_for_realm(
        example("demo/minimal-token-before.yaml", keycloak.version), realm, tmp_path
    )
    fixed = _copy_for_realm(
        example("realms/minimal-token-impersonation.yaml", keycloak.version), realm, tmp_path
    )

    # a. the broken shape: a roles-free token, and (where measured so) a refused exchange
    assert kcconf("apply", "--auto-approve", str(before)).code == 0
    token = _moderator_token(keycloak, realm)
    assert "resource_access" not in decode(token)
    answer = impersonate(keycloak.url, realm, CLIENT, token, "alice")
    assert answer.status == BEFORE_EXCHANGE_STATUS[keycloak.version], answer.body
    if answer.status == 403:
        assert answer.body == {
            "error": "access_denied",
            "error_description": "Client not allowed to exchange",
        }

    # b. the plan names exactly the fix
    planned = kcconf("plan", str(fixed))
    assert (planned.code, planned.out) == (2, EXPECTED_PLAN), planned.err

    # c. apply; the moderator's token carries exactly the one role, the exchange works and
    #    the exchanged token is alice's, with no roles
    applied = kcconf("apply", "--auto-approve", str(fixed))
    assert applied.code == 0, applied.err
    claims = password_grant(
        keycloak.url, realm, CLIENT, "moderator", PASSWORDS["MODERATOR_PASSWORD"]
    ).claims
    assert claims["resource_access"] == {"realm-management": {"roles": ["impersonation"]}}
    assert "realm_access" not in claims
    exchanged = impersonate(keycloak.url, realm, CLIENT, _moderator_token(keycloak, realm), "alice")
    assert exchanged.status == 200, exchanged.body
    alice = exchanged.claims
    assert alice["sub"] == index.user_id("alice")
    assert "resource_access" not in alice
    assert "realm_access" not in alice

    # d. in sync: plan exits 0, and a second apply sends no write request
    again = kcconf("plan", str(fixed))
    assert (again.code, again.out) == (0, f"No changes: realm {realm} matches the spec.\n")
    second = kcconf("apply", "--auto-approve", str(fixed))
    assert second.code == 0, second.err
    assert set(requests_of(second.err)) == {"GET"}
