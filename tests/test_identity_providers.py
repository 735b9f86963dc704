"""Identity providers and their mappers against a real Keycloak: a brokered login through a
second realm (both set up by kcconf), the masked client secret planned as unchanged and rotated
with --reset-passwords, mappers listed exactly, and removal only under the prune rules."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.errors import KeycloakError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.model.objects import MARKER
from tests.browser import REDIRECT_URI, Browser
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, requests_of, run_cli

Kcconf = Callable[..., Run]
ALIAS = "upstream"


def upstream(realm: str, downstream: str, url: str) -> str:
    """Realm U: a confidential client for the broker and a user with a password."""
    return realm_spec(
        realm,
        f"""clients:
  - clientId: our-broker
    publicClient: false
    secret: {{env: BROKER_SECRET}}
    redirectUris: ["{url}/realms/{downstream}/broker/{ALIAS}/endpoint"]
users:
  - username: alice
    email: alice@example.com
    firstName: Alice
    lastName: Liddell
    password: {{env: ALICE_PASSWORD}}
""",
    )


ORG = f"""organizations:
  - alias: acme
    identityProviders: [{ALIAS}]
    members: []
"""


def downstream(realm: str, up: str, url: str, display: str = "Upstream", org: bool = False) -> str:
    """Realm D: an OIDC provider pointing at U, a role mapper, and a public client; with `org`,
    an organization the provider is linked to, which lists no members."""
    issuer = f"{url}/realms/{up}"
    oidc = f"{issuer}/protocol/openid-connect"
    return realm_spec(
        realm,
        ("  organizationsEnabled: true\n" if org else "")
        + f"""roles:
  - name: brokered
clients:
  - clientId: app
    publicClient: true
    redirectUris: ["{REDIRECT_URI}"]
identityProviders:
  - alias: {ALIAS}
    providerId: oidc
    displayName: {display}
    trustEmail: true
    config:
      issuer: {issuer}
      authorizationUrl: {oidc}/auth
      tokenUrl: {oidc}/token
      userInfoUrl: {oidc}/userinfo
      jwksUrl: {oidc}/certs
      useJwksUrl: true
      validateSignature: true
      clientId: our-broker
      clientSecret: {{env: UPSTREAM_SECRET}}
      clientAuthMethod: client_secret_post
      defaultScope: openid profile email
      syncMode: IMPORT
    mappers:
      - name: brokered role
        identityProviderMapper: oidc-hardcoded-role-idp-mapper
        config: {{role: brokered, syncMode: INHERIT}}
{ORG if org else ""}""",
    )


def login(url: str, realm: str, password: str) -> dict[str, object]:
    """Alice logs in to D's app through U's login page; D's tokens."""
    browser = Browser(url)
    page = browser.start(realm, "app", kc_idp_hint=ALIAS)
    assert f"/realms/{realm}-up/" in page.url, page.url  # U's login form, not D's
    page = browser.login(page, "alice", password)
    if browser.code is None and page.forms:  # D's first-broker-login review, if it asks
        names = {"email": "alice@example.com", "firstName": "Alice", "lastName": "Liddell"}
        page = browser.submit(page, names)
    assert browser.code, f"no code: {page.url} {page.status} {page.text[:800]}"
    return browser.token(realm, "app")


def test_a_user_logs_in_through_a_brokered_provider(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    up = f"{realm}-up"
    org = int(keycloak.version.split(".")[0]) >= 26  # organizations: Keycloak 26+
    monkeypatch.setenv("BROKER_SECRET", "canary-broker-secret-1")
    monkeypatch.setenv("UPSTREAM_SECRET", "canary-broker-secret-1")
    monkeypatch.setenv("ALICE_PASSWORD", "canary-alice-1")
    try:
        up_spec = apply_spec(kcconf, tmp_path / "up.yaml", upstream(up, realm, keycloak.url))
        path = tmp_path / "down.yaml"
        path.write_text(downstream(realm, up, keycloak.url, org=org))
        planned = kcconf("plan", str(path))
        assert f"+ identity-provider {ALIAS}\n" in planned.out, planned.out
        assert "config.clientSecret: (sensitive)" in planned.out, planned.out
        assert f"+ identity-provider {ALIAS} / identity-provider-mapper brokered role\n" in (
            planned.out
        )
        apply_spec(kcconf, path, path.read_text())
        idp = index.api.get(index.path(ep.IDENTITY_PROVIDERS.item(ALIAS)))
        assert idp["config"]["clientSecret"] == "**********"  # Keycloak never shows it

        # An update writes the masked secret back: Keycloak keeps the stored one (the login
        # below proves it), and the plan shows no secret line.
        path.write_text(downstream(realm, up, keycloak.url, "Our upstream", org))
        planned = kcconf("plan", str(path))
        assert '    displayName: "Upstream" -> "Our upstream"\n' in planned.out, planned.out
        assert "clientSecret" not in planned.out, planned.out
        apply_spec(kcconf, path, path.read_text())
        assert_in_sync(kcconf, path)

        tokens = login(keycloak.url, realm, "canary-alice-1")
        assert "access_token" in tokens, tokens
        index.forget()
        user = index.users()["alice"]
        links = index.api.get(index.path(f"users/{user['id']}/federated-identity"))
        assert [(li["identityProvider"], li["userName"]) for li in links] == [(ALIAS, "alice")]
        roles, _ = ep.USER_ROLE_MAPPINGS.read(index, str(user["id"]))
        assert "brokered" in roles  # the mapper's effect
        if org:  # a managed member, which the spec's exact `members: []` leaves alone
            acme = index.collection(ep.ORGANIZATIONS)["acme"]
            members = ep.ORGANIZATION_MEMBERS.list(index, acme["id"])
            assert [(m["username"], m["membershipType"]) for m in members] == [("alice", "MANAGED")]
            assert kcconf("plan", str(path)).out.startswith("No changes: realm ")

        # A secret changed in the environment: the plan cannot see it; --reset-passwords sends it.
        monkeypatch.setenv("BROKER_SECRET", "canary-broker-secret-2")
        monkeypatch.setenv("UPSTREAM_SECRET", "canary-broker-secret-2")
        assert kcconf("apply", "--auto-approve", str(up_spec)).code == 0
        assert kcconf("plan", str(path)).out.startswith("No changes: realm ")
        rotated = kcconf("apply", "--auto-approve", "--reset-passwords", str(path))
        assert rotated.code == 0, rotated.err
        assert requests_of(rotated.err).get("PUT") == 1, rotated.err
        assert "config.clientSecret: (sensitive)" in rotated.out, rotated.out
        assert "access_token" in login(keycloak.url, realm, "canary-alice-1")
        assert_in_sync(kcconf, path)
    finally:
        with contextlib.suppress(KeycloakError):
            keycloak.api().delete(up)


def providers(realm: str, mappers: str, extra: str = "", prune: str = "") -> str:
    return realm_spec(
        realm,
        f"""{prune}identityProviders:
  - alias: corp
    providerId: keycloak-oidc
    config:
      clientId: kc
      authorizationUrl: http://127.0.0.1:9/auth
      tokenUrl: http://127.0.0.1:9/token
      clientSecret: {{env: CORP_SECRET}}
    mappers:
{mappers}{extra}""",
    )


DEPT = """\
      - name: department
        identityProviderMapper: hardcoded-attribute-idp-mapper
        config: {attribute: department, attribute.value: sales}
"""
TEAM = """\
      - name: team
        identityProviderMapper: hardcoded-attribute-idp-mapper
        config: {attribute: team, attribute.value: blue}
"""
GITHUB = """\
  - alias: gh
    providerId: github
    enabled: false
    config: {clientId: gh-app}
"""


def test_providers_and_mappers_are_updated_and_removed_only_by_prune(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORP_SECRET", "canary-corp-secret")
    path = apply_spec(kcconf, tmp_path / "spec.yaml", providers(realm, DEPT + TEAM, GITHUB))
    # Made by hand: neither carries kcconf's marker.
    manual = {"alias": "manual", "providerId": "github", "config": {"clientId": "m"}}
    ep.IDENTITY_PROVIDERS.create(index, manual)
    mapper = {
        "name": "manual",
        "identityProviderAlias": "corp",
        "identityProviderMapper": "hardcoded-attribute-idp-mapper",
        "config": {"attribute": "x", "attribute.value": "y"},
    }
    ep.IDP_MAPPERS.create(index, mapper, "corp")

    # Without prune, a dropped provider and an undeclared mapper stay.
    path.write_text(providers(realm, DEPT.replace("sales", "support")))
    planned = kcconf("plan", str(path))
    assert '    config.attribute.value: "sales" -> "support"\n' in planned.out, planned.out
    assert "- " not in planned.out, planned.out

    # prune created: gh (kcconf's) goes, manual stays; mappers need all.
    prune = "prune:\n  identityProviders: created\n  identityProviderMappers: all\n"
    path.write_text(providers(realm, DEPT.replace("sales", "support"), prune=prune))
    planned = kcconf("plan", str(path))
    assert "- identity-provider gh\n" in planned.out, planned.out
    assert "- identity-provider manual" not in planned.out, planned.out
    assert "- identity-provider corp / identity-provider-mapper team\n" in planned.out
    assert "- identity-provider corp / identity-provider-mapper manual\n" in planned.out
    applied = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))  # 2 of 3 mappers
    assert applied.code == 0, applied.err
    index.forget()
    assert set(index.collection(ep.IDENTITY_PROVIDERS)) == {"corp", "manual"}
    mappers = {m["name"]: m for m in ep.IDP_MAPPERS.list(index, "corp")}
    assert set(mappers) == {"department"}
    assert mappers["department"]["config"]["attribute.value"] == "support"
    assert_in_sync(kcconf, path)


def test_an_unknown_flow_and_the_other_versions_hide_key_are_refused_before_writing(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORP_SECRET", "canary-corp-secret")
    path = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    flows = "    firstBrokerLoginFlowAlias: no such flow\n"
    text = providers(realm, DEPT).replace("    config:\n", flows + "    config:\n", 1)
    path.write_text(text)
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code != 0
    assert "'no such flow'" in refused.err, refused.err
    assert "corp" not in index.collection(ep.IDENTITY_PROVIDERS)  # nothing was written

    # hideOnLogin is a field from Keycloak 26, which moves config.hideOnLoginPage into it.
    new = int(keycloak.version.split(".")[0]) >= 26
    wrong = "      hideOnLoginPage: true\n" if new else ""
    text = providers(realm, DEPT).replace("    config:\n", "    config:\n" + wrong, 1)
    if not new:
        text = text.replace("    config:\n", "    hideOnLogin: true\n    config:\n", 1)
    path.write_text(text)
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code != 0
    written = "config.hideOnLoginPage" if new else "hideOnLogin"
    assert f"writes {written}, which Keycloak {keycloak.version} does not keep" in refused.err
    index.forget()
    assert "corp" not in index.collection(ep.IDENTITY_PROVIDERS)


def test_convert_puts_mappers_under_their_provider_and_the_secret_in_the_environment() -> None:
    baseline = stored("26.5.6")
    provider = {
        "alias": "corp",
        "internalId": "0b1c",
        "providerId": "oidc",
        "enabled": True,
        "updateProfileFirstLoginMode": "on",
        "config": {
            "clientSecret": "canary-exported-secret",
            "hideOnLoginPage": "true",
            "tokenUrl": "https://idp.example.com/token",
            MARKER: "true",
        },
    }
    insecure = {"alias": "old", "providerId": "oidc", "config": {"tokenUrl": "http://x.example/t"}}
    mappers = [
        {"name": m, "identityProviderAlias": a, "identityProviderMapper": "t", "config": {}}
        for m, a in (("dept", "corp"), ("lost", "gone"), ("o", "old"))
    ]
    org = {
        "alias": "acme",
        "name": "Acme",
        "domains": [
            {"name": "b.example", "verified": False},
            {"name": "a.example", "verified": True},
        ],
        "attributes": {MARKER: ["true"], "tier": ["gold"]},
        "identityProviders": [{"alias": "corp"}],
        "members": [
            {"username": "ann", "membershipType": "UNMANAGED"},
            {"username": "bob", "membershipType": "MANAGED"},
        ],
    }
    rep = baseline.for_realm("r").realm | {
        "identityProviders": [provider, insecure],
        "identityProviderMappers": mappers,
        "organizationsEnabled": True,
        "organizations": [org],
    }
    converted = convert(rep, baseline)
    assert converted.spec["identityProviders"] == [
        {
            "alias": "corp",
            "providerId": "oidc",
            "enabled": True,
            "hideOnLogin": True,
            "config": {
                "clientSecret": {"env": "IDP_CORP_CLIENT_SECRET"},
                "tokenUrl": "https://idp.example.com/token",
            },
            "mappers": [{"name": "dept", "identityProviderMapper": "t", "config": {}}],
        }
    ]
    assert converted.spec["organizations"] == [
        {
            "alias": "acme",
            "name": "Acme",
            "domains": [{"name": "a.example", "verified": True}, {"name": "b.example"}],
            "attributes": {"tier": ["gold"]},
            "identityProviders": ["corp"],
            "members": ["ann"],
        }
    ]
    skipped = sorted(s.path for s in converted.report.skipped)
    assert skipped == [
        "identityProviderMappers[lost]",
        "identityProviders[old]",
        "organizations[acme].members[bob]",
    ]
    assert "canary" not in json.dumps(converted.spec)


def test_validate_refuses_a_broker_flow_the_spec_and_keycloak_lack(tmp_path: Path) -> None:
    # Keycloak answers such a provider with a 500 (docs/keycloak-facts.md 18.5): refused
    # offline, with file and line, unless the spec declares the flow or Keycloak builds it in.
    path = tmp_path / "idp.yaml"
    path.write_text(
        "realm: {name: x}\n"
        "authenticationFlows:\n"
        "  - alias: my-first\n"
        "    providerId: basic-flow\n"
        "identityProviders:\n"
        "  - alias: corp\n"
        "    providerId: oidc\n"
        "    firstBrokerLoginFlowAlias: my-first\n"
        "    postBrokerLoginFlowAlias: my-post\n"
        "  - alias: other\n"
        "    providerId: oidc\n"
        "    firstBrokerLoginFlowAlias: first broker login\n"
        '    postBrokerLoginFlowAlias: ""\n'
    )
    result = run_cli("validate", str(path))
    assert (result.code, result.out) == (
        1,
        f"{path}:9:5: identityProviders[0].postBrokerLoginFlowAlias: unknown authentication"
        " flow 'my-post' (not declared under authenticationFlows and not a Keycloak built-in)\n",
    )
