"""Spec secrets a pipeline must not be tricked into: an empty variable (what CI gives for a
missing secret) and variables holding kcconf's own login or a CI or cloud credential.

Plan and apply refuse both with the file and line, before a realm is touched; `kcconf lint`
flags the second offline (KC009)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.errors import KeycloakError, SpecError
from kcconf.lint.findings import lint_files
from kcconf.model.objects import forbidden_env
from kcconf.spec.load import load_spec
from tests.conftest import Target
from tests.helpers import Run, realm_spec

Kcconf = Callable[..., Run]

CONFIDENTIAL = (
    "clients:\n"
    "  - clientId: app\n"
    "    publicClient: false\n"
    "    serviceAccountsEnabled: true\n"
    "    secret: {env: APP_SECRET}\n"
)


def assert_no_realm(keycloak: Target, realm: str) -> None:
    with pytest.raises(KeycloakError) as refused:
        keycloak.api().get(realm)
    assert refused.value.status == 404


def spec_file(tmp_path: Path, realm: str, body: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, body))
    return spec


def problems(path: Path, env: dict[str, str]) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_spec(path, env)
    return [str(p) for p in raised.value.problems]


# --- 2. an empty secret ----------------------------------------------------------------------


def test_an_empty_secret_variable_is_refused_before_keycloak_is_touched(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET", "")
    spec = spec_file(tmp_path, realm, CONFIDENTIAL)
    expected = (
        f"error: {spec}:8:5: clients[0].secret: environment variable APP_SECRET is set but empty"
    )
    for command in (("plan",), ("apply", "--auto-approve")):
        run = kcconf(*command, str(spec))
        assert run.code == 1, run.out + run.err
        assert run.err.splitlines() == [expected]
        assert run.out == ""
    assert_no_realm(keycloak, realm)


def test_an_empty_user_password_and_a_blank_smtp_password_are_refused(tmp_path: Path) -> None:
    smtp = "  smtpServer: {host: mail.example.com, from: a@example.com, password: {env: SMTP}}\n"
    spec = spec_file(
        tmp_path, "r", smtp + "users:\n  - username: bob\n    password: {env: BOB_PASSWORD}\n"
    )
    assert problems(spec, {"SMTP": "  \t", "BOB_PASSWORD": ""}) == [
        f"{spec}:4:61: realm.smtpServer.password: environment variable SMTP holds only whitespace",
        f"{spec}:7:5: users[0].password: environment variable BOB_PASSWORD is set but empty",
    ]


def test_a_secret_with_a_value_is_still_read(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "r", CONFIDENTIAL)
    state = load_spec(spec, {"APP_SECRET": "canary-app-secret-1"})
    (secret,) = [o.fields["secret"] for o in state.objects.values() if "secret" in o.fields]
    assert secret.reveal() == "canary-app-secret-1"


# --- 3. kcconf's own credentials and CI or cloud credentials as spec secrets ------------------

HOSTILE = (
    "  smtpServer:\n"
    "    host: mail.attacker.example\n"
    "    from: a@example.com\n"
    "    auth: true\n"
    "    user: kcconf\n"
    "    password: {env: KCCONF_PASSWORD}\n"
    "clients:\n"
    "  - clientId: app\n"
    "    publicClient: false\n"
    "    secret: {env: GITHUB_TOKEN}\n"
    "users:\n"
    "  - username: bob\n"
    "    password: {env: AWS_SECRET_ACCESS_KEY}\n"
)


def test_kcconfs_own_and_ci_credentials_cannot_be_spec_secrets(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "canary-github-token")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "canary-aws-secret")
    spec = spec_file(tmp_path, realm, HOSTILE)
    own = "matches KCCONF_* (kcconf's own settings and login credentials)"
    ci = "matches GITHUB_TOKEN (a CI system's credential)"
    cloud = "matches AWS_* (a cloud credential)"
    see = "see docs/spec-format.md"
    expected = [
        f"error: {spec}:9:5: realm.smtpServer.password: environment variable KCCONF_PASSWORD"
        f" cannot be a spec secret: it {own}, {see}",
        f"error: {spec}:13:5: clients[0].secret: environment variable GITHUB_TOKEN"
        f" cannot be a spec secret: it {ci}, {see}",
        f"error: {spec}:16:5: users[0].password: environment variable AWS_SECRET_ACCESS_KEY"
        f" cannot be a spec secret: it {cloud}, {see}",
    ]
    for command in (("plan",), ("apply", "--auto-approve")):
        run = kcconf(*command, str(spec))
        assert run.code == 1, run.out + run.err
        assert run.err.splitlines() == expected
    assert_no_realm(keycloak, realm)


def test_a_denied_variable_is_refused_even_when_it_is_not_set(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "r", CONFIDENTIAL.replace("APP_SECRET", "KCCONF_CLIENT_SECRET"))
    assert problems(spec, {}) == [
        f"{spec}:8:5: clients[0].secret: environment variable KCCONF_CLIENT_SECRET cannot be a"
        " spec secret: it matches KCCONF_* (kcconf's own settings and login credentials),"
        " see docs/spec-format.md"
    ]


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("KCCONF_PASSWORD", "KCCONF_*"),
        ("KCCONF_URL", "KCCONF_*"),
        ("kcconf_client_secret", "KCCONF_*"),
        ("GITHUB_TOKEN", "GITHUB_TOKEN"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_*"),
        ("CI_JOB_TOKEN", "CI_JOB_TOKEN"),
        ("CI_JOB_JWT_V2", "CI_JOB_JWT*"),
        ("SYSTEM_ACCESSTOKEN", "SYSTEM_ACCESSTOKEN"),
        ("AWS_SESSION_TOKEN", "AWS_*"),
        ("ARM_CLIENT_SECRET", "ARM_*"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_*"),
        ("VAULT_TOKEN", "VAULT_*"),
    ],
)
def test_the_deny_list(name: str, pattern: str) -> None:
    found = forbidden_env(name)
    assert found is not None and found.startswith(f"{pattern} (")


@pytest.mark.parametrize("name", ["APP_SECRET", "SMTP_PASSWORD", "CI", "MY_GITHUB_TOKEN_NAME"])
def test_ordinary_variables_are_allowed(name: str) -> None:
    assert forbidden_env(name) is None


def test_lint_flags_denied_variables_wherever_a_secret_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(realm_spec("r", HOSTILE))
    fix = (
        "(fix: give the secret its own variable (APP_SECRET) holding only that secret;"
        " plan and apply refuse this reference)"
    )
    said = "KC009 a secret read from environment variable"
    assert [str(f) for f in lint_files([Path("spec.yaml")])] == [
        f"spec.yaml:9:16: {said} KCCONF_PASSWORD, which matches KCCONF_* (kcconf's own"
        f" settings and login credentials) {fix}",
        f"spec.yaml:13:14: {said} GITHUB_TOKEN, which matches GITHUB_TOKEN (a CI system's"
        f" credential) {fix}",
        f"spec.yaml:16:16: {said} AWS_SECRET_ACCESS_KEY, which matches AWS_* (a cloud"
        f" credential) {fix}",
    ]


def test_lint_lets_ordinary_secret_variables_pass(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "r", CONFIDENTIAL)
    assert [f for f in lint_files([spec]) if f.rule == "KC009"] == []
