"""Token previews and token assertions against a real Keycloak."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.checks.rules import RULES
from kcconf.keycloak.oidc import password_grant
from tests.conftest import Target
from tests.helpers import Run, example

Kcconf = Callable[..., Run]
PASSWORDS = {"MODERATOR_PASSWORD": "canary-tokens-mod", "ALICE_PASSWORD": "canary-tokens-alice"}


@pytest.fixture
def story(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The example realm, applied under the test's own realm name (its checks pass)."""
    for key, value in PASSWORDS.items():
        monkeypatch.setenv(key, value)
    text = example("realms/minimal-token-impersonation.yaml", keycloak.version).read_text()
    spec = tmp_path / "story.yaml"
    spec.write_text(text.replace("\n  name: minimal-token\n", f"\n  name: {realm}\n"))
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 0, applied.out + applied.err
    return spec


def test_the_moderators_token_preview_shows_exactly_the_impersonation_role(
    kcconf: Kcconf, story: Path, realm: str, keycloak: Target
) -> None:
    shown = kcconf(
        "token", "--realm", realm, "--client", "our-public-client", "--user", "moderator"
    )
    assert shown.code == 0, shown.err
    head = shown.out.splitlines()[:4]
    real = password_grant(
        keycloak.url, realm, "our-public-client", "moderator", PASSWORDS["MODERATOR_PASSWORD"]
    )
    assert head == [
        f"Access token for user moderator through client our-public-client (realm {realm})",
        "  realm roles: (none)",
        "  realm-management roles: impersonation",
        f"  size: {len(real.token)} bytes as a signed JWT (RS256)",  # the size of a real one
    ]
    assert '"resource_access": {\n    "realm-management": {\n      "roles": [\n' in shown.out


def test_apply_runs_the_story_checks_and_they_pass(
    story: Path, kcconf: Kcconf, keycloak: Target
) -> None:
    rule = RULES[keycloak.version]
    how = "the token carries" if rule.roles_from_token else "the client's role scope grants"
    again = kcconf("apply", "--auto-approve", str(story))
    assert again.code == 0
    assert again.out.endswith(
        "PASS token moderator via our-public-client: roles exactly "
        "[realm-management/impersonation]\n"
        "PASS token moderator via our-public-client: claim realm_access absent\n"
        "PASS token alice via our-public-client: roles exactly []\n"
        "PASS token alice via our-public-client: claim realm_access absent\n"
        "PASS token alice via our-public-client: claim resource_access absent\n"
        "PASS impersonation moderator -> alice through our-public-client: allowed (predicted "
        f"allowed: {how} realm-management/impersonation [rule for Keycloak {keycloak.version}])\n"
        "Checks: 6 passed, 0 failed.\n"
    )


def test_a_failing_assertion_makes_apply_exit_1_with_the_actual_value(
    story: Path, kcconf: Kcconf
) -> None:
    text = story.read_text().replace(
        "    user: moderator\n    roles: [realm-management/impersonation]\n",
        "    user: moderator\n    roles: []\n    present: [realm_access]\n"
        "    equals: {azp: our-public-client}\n    maxBytes: 100\n",
    )
    story.write_text(text)
    applied = kcconf("apply", "--auto-approve", str(story))
    assert applied.code == 1
    lines = applied.out.splitlines()
    assert (
        "FAIL token moderator via our-public-client: roles exactly [] (actual: "
        "[realm-management/impersonation])" in lines
    )
    assert (
        "FAIL token moderator via our-public-client: claim realm_access present "
        "(actual: absent)" in lines
    )
    assert (
        'PASS token moderator via our-public-client: claim azp equals "our-public-client"' in lines
    )
    assert any(
        ln.startswith("FAIL token moderator via our-public-client: at most 100 bytes (actual: ")
        for ln in lines
    )
    assert applied.err.splitlines()[-1] == (
        "error: applied, but some of the spec's token or impersonation checks fail"
    )
    checked = kcconf("check", str(story))
    assert checked.code == 1
    assert checked.out.splitlines()[-1] == "Checks: 6 passed, 3 failed."
