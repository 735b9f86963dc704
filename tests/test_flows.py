"""Authentication flows against a real Keycloak: a copy of the browser flow created, bound and
used by a real login, then changed in place (executions added, moved, requirements and configs
changed) while its execution ids stay; a sub-flow's retyping refused without --allow-replace;
client overrides by alias; built-in flows' structure and unknown bindings refused before
anything is written; undeclared flows pruned, bound ones never."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Flows
from tests.browser import Browser
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, requests_of

Kcconf = Callable[..., Run]

PASSWORD = "canary-flow-password-1"
USER = """users:
  - username: bob
    email: bob@example.com
    emailVerified: true
    firstName: Bob
    lastName: Builder
    password: {env: FLOW_PASSWORD}
clients:
  - clientId: app
    publicClient: true
    directAccessGrantsEnabled: true
    redirectUris: ["http://127.0.0.1:1/callback"]
"""
OTP = """          - flow:
              alias: my-otp
              providerId: basic-flow
              requirement: {otp}
              executions:
                - authenticator: conditional-user-configured
                  requirement: REQUIRED
                - authenticator: auth-otp-form
                  requirement: REQUIRED
"""
FORMS = """      - flow:
          alias: my-forms
          description: {description}
          providerId: basic-flow
          requirement: ALTERNATIVE
          executions:
          - authenticator: auth-username-password-form
            requirement: REQUIRED
"""
COOKIE = "      - authenticator: auth-cookie\n        requirement: ALTERNATIVE\n"
REDIRECTOR = """      - authenticator: identity-provider-redirector
        requirement: DISABLED
        config:
          alias: my-redirector
          config: {defaultProvider: nowhere, client.secret: {env: FLOW_SECRET}}
"""


def spec(realm: str, steps: str, otp: str = "CONDITIONAL", description: str = "forms") -> str:
    forms = FORMS.format(description=description) + OTP.format(otp=otp)
    return (
        f"realm:\n  name: {realm}\n  enabled: true\n  browserFlow: my-browser\n{USER}"
        "authenticationFlows:\n  - alias: my-browser\n    description: cookie, then forms\n"
        f"    providerId: basic-flow\n    executions:\n{steps.replace('FORMS', forms)}"
    )


def ids(admin: RealmAdmin, alias: str) -> dict[str, str]:
    """Execution ids by authenticator or sub-flow alias."""
    return {
        str(rep.get("providerId") or rep["displayName"]): str(rep["id"])
        for rep in Flows.executions(admin, alias)
    }


def logs_in(url: str, realm: str) -> None:
    """bob logs in through the realm's browser flow, at Keycloak's real login page."""
    browser = Browser(url)
    page = browser.start(realm, "app")
    assert page.forms, page.text[:500]
    browser.login(page, "bob", PASSWORD)
    assert browser.code, "the login did not reach the redirect URI"
    assert "access_token" in browser.token(realm, "app")


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOW_PASSWORD", PASSWORD)
    monkeypatch.setenv("FLOW_SECRET", "canary-flow-secret-1")


def test_a_bound_flow_changes_in_place_while_users_log_in(
    kcconf: Kcconf,
    realm: str,
    index: RealmAdmin,
    keycloak: Target,
    tmp_path: Path,
    password: None,
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm, COOKIE + "FORMS"))
    assert_in_sync(kcconf, path)
    logs_in(keycloak.url, realm)
    before = ids(index, "my-browser")
    assert list(before) == [
        "auth-cookie",
        "my-forms",
        "auth-username-password-form",
        "my-otp",
        "conditional-user-configured",
        "auth-otp-form",
    ]

    # A new first step with a config, a requirement and a description changed.
    path.write_text(spec(realm, REDIRECTOR + COOKIE + "FORMS", "DISABLED", "the forms"))
    planned = kcconf("plan", str(path))
    assert planned.code == 2, planned.err
    assert (
        "~ authentication-flow my-browser\n"
        "    executions: + identity-provider-redirector\n"
        '    my-browser/identity-provider-redirector requirement: (unset) -> "DISABLED"\n'
        '    my-browser/identity-provider-redirector config alias: (unset) -> "my-redirector"\n'
        '    my-browser/identity-provider-redirector config: + client.secret "(sensitive)",'
        ' + defaultProvider "nowhere"\n'
        '    flow my-forms description: "forms" -> "the forms"\n'
        '    flow my-otp requirement: "CONDITIONAL" -> "DISABLED"\n'
    ) in planned.out, planned.out
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    after = ids(index, "my-browser")
    assert next(iter(after)) == "identity-provider-redirector"
    assert {k: after[k] for k in before} == before  # nothing re-created
    logs_in(keycloak.url, realm)
    assert_in_sync(kcconf, path)

    # A move is a move; a changed config value is one key.
    steps = COOKIE + REDIRECTOR.replace("nowhere", "elsewhere") + "FORMS"
    path.write_text(spec(realm, steps, "DISABLED", "the forms"))
    planned = kcconf("plan", str(path))
    assert "    executions: moved identity-provider-redirector to 2\n" in planned.out, planned.out
    assert 'config: defaultProvider: "nowhere" -> "elsewhere"' in planned.out, planned.out
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    assert requests_of(applied.err).get("DELETE") is None  # moved and changed, not re-created
    assert list(ids(index, "my-browser"))[:2] == ["auth-cookie", "identity-provider-redirector"]
    assert {k: ids(index, "my-browser")[k] for k in before} == before
    logs_in(keycloak.url, realm)
    assert_in_sync(kcconf, path)

    # Retyping a sub-flow is a replacement: shown in words, refused without the flag.
    retyped = path.read_text().replace(
        "alias: my-otp\n              providerId: basic-flow",
        "alias: my-otp\n              providerId: form-flow",
    )
    path.write_text(retyped)
    planned = kcconf("plan", str(path))
    assert (
        "    replaces sub-flow my-otp: Keycloak cannot change a sub-flow's type "
        "(basic-flow -> form-flow) in place, so it and its executions are created again\n"
    ) in planned.out, planned.out
    why = next(line.strip() for line in planned.out.splitlines() if "replaces" in line)
    as_json = json.loads(kcconf("plan", "--format", "json", str(path)).out)
    assert [c.get("replaces") for c in as_json["realms"][0]["changes"]] == [[why]]
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code == 1 and "pass --allow-replace" in refused.err, refused.err
    assert {k: ids(index, "my-browser")[k] for k in before} == before
    logs_in(keycloak.url, realm)

    # A step Keycloak refuses to add (a sub-flow under the alias of the built-in browser flow's
    # `forms`) in place of the cookie: additions come first, so the flow keeps working.
    clash = "      - flow:\n          alias: forms\n          requirement: DISABLED\n"
    path.write_text(spec(realm, clash + REDIRECTOR + "FORMS", "DISABLED", "the forms"))
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code == 1 and "answered 409" in refused.err, refused.err
    assert {k: ids(index, "my-browser")[k] for k in before} == before
    logs_in(keycloak.url, realm)


def test_overrides_bindings_built_ins_and_prune(
    kcconf: Kcconf,
    realm: str,
    index: RealmAdmin,
    keycloak: Target,
    tmp_path: Path,
    password: None,
) -> None:
    flows = """authenticationFlows:
  - alias: my-direct
    providerId: basic-flow
    executions:
      - authenticator: direct-grant-validate-username
        requirement: REQUIRED
      - authenticator: direct-grant-validate-password
        requirement: REQUIRED
  - alias: spare
    description: unbound
    executions:
      - flow:
          alias: spare-sub
          providerId: basic-flow
          requirement: REQUIRED
          executions:
            - authenticator: auth-cookie
"""
    override = USER + "    authenticationFlowBindingOverrides: {direct_grant: my-direct}\n"
    text = f"realm:\n  name: {realm}\n  enabled: true\n{override}{flows}"
    path = apply_spec(kcconf, tmp_path / "spec.yaml", text)
    client = index.api.get(index.path("clients", index.client_uuid("app")))
    direct = index.collection(Flows.TOP)["my-direct"]["id"]
    assert client["authenticationFlowBindingOverrides"] == {"direct_grant": direct}
    assert_in_sync(kcconf, path)

    # A binding to a flow neither declared nor built in: refused offline at its line, and at
    # plan time (the spec alone cannot tell a live flow from none).
    path.write_text(text.replace("direct_grant: my-direct", "direct_grant: nowhere"))
    refused = kcconf("validate", str(path))
    assert refused.code == 1, refused.out
    assert f"{path}:16:42:" in refused.out, refused.out
    assert "unknown authentication flow 'nowhere'" in refused.err + refused.out
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code == 1 and "client app direct_grant -> 'nowhere'" in refused.err
    assert index.api.get(index.path("clients", index.client_uuid("app")))[
        "authenticationFlowBindingOverrides"
    ] == {"direct_grant": direct}

    # A built-in flow's structure is Keycloak's: refused at plan time.
    builtin = text + "  - alias: browser\n    executions:\n      - authenticator: auth-cookie\n"
    path.write_text(builtin)
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code == 1 and "built-in flows" in refused.err, refused.err

    # Retyping an unbound flow's sub-flow with --allow-replace (a form takes form actions).
    sub = "alias: spare-sub\n          providerId: "
    retyped = text.replace(sub + "basic-flow", sub + "form-flow")
    path.write_text(retyped.replace("auth-cookie", "registration-password-action"))
    applied = kcconf("apply", "--auto-approve", "--allow-replace", str(path))
    assert applied.code == 0, applied.err
    assert_in_sync(kcconf, path)

    # Prune: the unbound flow is deleted; the one the client still uses is kept.
    kept = f"realm:\n  name: {realm}\n  enabled: true\n{USER}prune:\n  authenticationFlows: all\n"
    path.write_text(kept)
    planned = kcconf("plan", str(path))
    assert "- authentication-flow spare\n" in planned.out, planned.out
    assert "my-direct" not in planned.out and "browser" not in planned.out
    applied = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))
    assert applied.code == 0, applied.err
    index.forget()
    assert "spare" not in index.collection(Flows.TOP)
    assert "my-direct" in index.collection(Flows.TOP)
    assert_in_sync(kcconf, path)


def test_flows_are_validated_offline(tmp_path: Path) -> None:
    from kcconf.spec.validate import validate_files

    path = tmp_path / "spec.yaml"
    path.write_text(
        "realm:\n  name: r\n  browserFlow: nowhere\n"
        "authenticationFlows:\n"
        "  - alias: a\n"
        "    executions:\n"
        "      - authenticator: auth-cookie\n"
        "        config: {alias: c}\n"
        "      - authenticator: auth-cookie\n"
        "      - config: {alias: d}\n"
        "        flow:\n"
        "          alias: a\n"
        "          providerId: nested-flow\n"
        "          executions:\n"
        "            - authenticator: auth-otp-form\n"
        "              config: {alias: c}\n"
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:3:3: realm.browserFlow: unknown authentication flow 'nowhere' (not declared"
        " under authenticationFlows and not a Keycloak built-in)",
        "spec.yaml:9:9: authenticationFlows[0].executions[1].authenticator: duplicate"
        " authenticator 'auth-cookie' in one flow: declared on lines 7 and 9",
        "spec.yaml:10:9: authenticationFlows[0].executions[2].config: a sub-flow takes no config",
        "spec.yaml:12:11: authenticationFlows[0].executions[2].flow.alias: flow alias 'a' is used"
        " twice in this spec",
        "spec.yaml:13:11: authenticationFlows[0].executions[2].flow.providerId: 'nested-flow' is"
        " not allowed; choose one of: basic-flow, client-flow, form-flow",
        "spec.yaml:16:24: authenticationFlows[0].executions[2].flow.executions[0].config.alias:"
        " config alias 'c' is used on line 8 too: config aliases are unique in a realm",
    ]


def test_a_slash_in_a_flow_alias_is_refused_offline(tmp_path: Path) -> None:
    # Keycloak answers 400 at apply time (docs/keycloak-facts.md 19.11); sub-flows too.
    from kcconf.spec.validate import validate_files

    path = tmp_path / "spec.yaml"
    path.write_text(
        "realm: {name: r}\n"
        "authenticationFlows:\n"
        "  - alias: x/y\n"
        "    executions:\n"
        "      - flow: {alias: ../admin, executions: []}\n"
    )
    assert [str(p).replace(str(tmp_path) + "/", "") for p in validate_files([path])] == [
        "spec.yaml:3:5: authenticationFlows[0].alias: Keycloak refuses a '/' in a flow's alias",
        "spec.yaml:5:16: authenticationFlows[0].executions[0].flow.alias: Keycloak refuses a '/'"
        " in a flow's alias",
    ]
