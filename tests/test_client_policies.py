"""Client profiles and policies against a real Keycloak: a profile enforcing PKCE, a policy
applying it to the clients holding a role, its effect on a real authorization request, an
update, the removal under prune, and references to unknown or global profiles refused."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.versions import version_tuple
from tests.browser import REDIRECT_URI, Browser
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, run_cli

Kcconf = Callable[..., Run]
CLIENTS = f"""\
clients:
  - clientId: app
    publicClient: true
    redirectUris: ["{REDIRECT_URI}"]
    roles:
      - name: pkce-required
  - clientId: other
    publicClient: true
    redirectUris: ["{REDIRECT_URI}"]
"""
PROFILE = """\
clientProfiles:
  - name: pkce
    description: {description}
    executors:
      - executor: pkce-enforcer
        configuration: {{auto-configure: false}}
      - executor: reject-implicit-grant
"""
POLICY = """\
clientPolicies:
  - name: pkce-for-marked-clients
    description: PKCE for clients holding the pkce-required role
    enabled: {enabled}
    conditions:
      - condition: client-roles
        configuration: {{roles: [pkce-required]}}
    profiles: [pkce]
"""


def spec(realm: str, description: str = "PKCE", enabled: str = "true") -> str:
    body = CLIENTS + PROFILE.format(description=description) + POLICY.format(enabled=enabled)
    return realm_spec(realm, body)


def refused_without_pkce(url: str, realm: str, client_id: str) -> bool:
    """Whether an authorization request without a code challenge is turned away."""
    page = Browser(url).start(realm, client_id)
    if page.url.startswith(REDIRECT_URI):
        return "error=invalid_request" in page.url
    assert page.status == 200 and page.forms, (page.status, page.url, page.text[:300])
    return False


def test_a_policy_enforces_its_profile_and_is_updated_and_removed(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    url = index.api.url
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm))
    assert refused_without_pkce(url, realm, "app")
    assert not refused_without_pkce(url, realm, "other")
    verifier = "v" * 64
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    page = Browser(url).start(realm, "app", code_challenge=challenge, code_challenge_method="S256")
    assert page.status == 200 and page.forms  # with PKCE: the login page
    assert_in_sync(kcconf, path)

    # Export writes both back as the spec wrote them, and its spec is in sync with the realm.
    exported = tmp_path / "exported.yaml"
    assert kcconf("export", "--realm", realm, "-o", str(exported)).code == 0
    written = yaml.safe_load(exported.read_text())
    assert [p["name"] for p in written["clientProfiles"]] == ["pkce"]
    assert written["clientProfiles"][0]["executors"] == [
        {"executor": "pkce-enforcer", "configuration": {"auto-configure": False}},
        {"executor": "reject-implicit-grant", "configuration": {}},
    ]
    assert written["clientPolicies"][0]["profiles"] == ["pkce"]
    assert kcconf("plan", str(exported)).out.startswith("No changes"), exported.read_text()

    # An update is one line per changed field, named by the profile's and policy's names.
    path.write_text(spec(realm, description="PKCE always", enabled="false"))
    planned = kcconf("plan", str(path))
    assert planned.out == (
        "~ client-profile pkce\n"
        '    description: "PKCE" -> "PKCE always"\n'
        "~ client-policy pkce-for-marked-clients\n"
        "    enabled: true -> false\n"
        "Plan: 0 to add, 2 to change, 0 to delete.\n"
    ), planned.out
    apply_spec(kcconf, path, path.read_text())
    assert not refused_without_pkce(url, realm, "app")  # the policy is off
    assert_in_sync(kcconf, path)

    # An undeclared profile added by hand is kept by a write of the declared ones...
    own, _ = ep.CLIENT_PROFILES.read(index)
    ep.CLIENT_PROFILES.write(index, [*own, {"name": "by-hand", "executors": []}])
    path.write_text(spec(realm, description="PKCE again", enabled="false"))
    apply_spec(kcconf, path, path.read_text())
    assert [p["name"] for p in ep.CLIENT_PROFILES.read(index)[0]] == ["pkce", "by-hand"]

    # ...and the removal under prune (apply deletes in reverse order: the policy first).
    path.write_text(
        realm_spec(
            realm,
            CLIENTS + "prune:\n  clientProfiles: all\n  clientPolicies: all\n"
            "clientProfiles: []\nclientPolicies: []\n",
        )
    )
    planned = kcconf("plan", str(path))
    assert planned.out == (
        "- client-profile by-hand\n"
        "- client-profile pkce\n"
        "- client-policy pkce-for-marked-clients\n"
        "Plan: 0 to add, 0 to change, 3 to delete.\n"
    ), planned.out
    # All of a kind: beyond the default deletion limits, so allowed explicitly.
    applied = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))
    assert applied.code == 0, applied.err
    assert ep.CLIENT_PROFILES.read(index)[0] == []
    assert ep.CLIENT_POLICIES.read(index)[0] == []
    assert_in_sync(kcconf, path)


def test_a_global_profile_of_a_later_version_is_refused_by_name(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path
) -> None:
    """saml-security-profile is a global profile of 26 (not of 24.0.5): a policy naming it is
    applied where it exists, and refused before anything is written where it does not."""
    body = (
        "clientPolicies:\n  - name: saml\n    enabled: true\n"
        "    conditions: [{condition: any-client}]\n    profiles: [saml-security-profile]\n"
    )
    path = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    path.write_text(realm_spec(realm, body))
    planned = kcconf("plan", str(path))
    if version_tuple(keycloak.version) < (26, 4):
        assert planned.code == 1, planned.out
        assert (
            "client profile saml-security-profile is built in from Keycloak 26.4; "
            f"this server runs {keycloak.version}"
        ) in planned.err, planned.err
    else:
        apply_spec(kcconf, path, path.read_text())
        assert_in_sync(kcconf, path)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "clientPolicies:\n  - name: p\n    profiles: [fapi-1-baseline, nope]\n",
            6,
            "unknown client profile 'nope'",
        ),
        (
            "clientProfiles:\n  - name: fapi-1-baseline\n",
            5,
            "global profiles, which are read-only",
        ),
    ],
)
def test_unknown_and_global_profiles_are_refused_offline(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(realm_spec("r", body))
    result = run_cli("validate", str(path))
    assert result.code != 0
    assert f"{path}:{line}" in result.out + result.err and message in result.out + result.err, (
        result.out + result.err
    )
