"""The command line without a server: validate, usage errors, and the exit-code mapping."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from kcconf import cli
from kcconf.checks.rules import RULES
from kcconf.errors import KcconfError
from tests.conftest import Target
from tests.helpers import CLIENT_KEYS, ROOT, Run, run_cli


@pytest.fixture(autouse=True)
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No server settings from the caller's shell, relative paths, and a private cache."""
    for key in list(os.environ):
        if key.startswith("KCCONF_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("KCCONF_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)


def write(text: str, name: str = "spec.yaml") -> str:
    Path(name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


GOOD = """\
realm: {name: demo}
users:
  - username: bob
    password: {env: BOB_PASSWORD}
"""


def test_validate_a_good_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob")  # validate reads secrets as plan does
    result = run_cli("validate", write(GOOD))
    assert (result.code, result.out, result.err) == (0, "", "1 file(s) valid\n")


def test_validate_the_story_spec_and_the_docs_example(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODERATOR_PASSWORD", "ALICE_PASSWORD", "OUR_CLIENT_SECRET"):
        monkeypatch.setenv(name, "canary-secret")  # validate reads secrets as plan does
    # One at a time: both declare the realm minimal-token, which two files given together may not.
    for spec in (
        ROOT / "realms" / "minimal-token-impersonation.yaml",
        ROOT / "tests" / "data" / "full-example.yaml",
    ):
        result = run_cli("validate", str(spec))
        assert (result.code, result.out, result.err) == (0, "", "1 file(s) valid\n")


def test_validate_prints_every_problem_and_exits_1() -> None:
    spec = write(
        """\
        realm:
          name: demo
          enabled: "yes"
        clients:
          - clientId: app
            redirectUri: [https://app.example.com/*]
            optionalClientScopes: []
        """
    )
    result = run_cli("validate", spec)
    assert (result.code, result.out, result.err) == (
        1,
        "spec.yaml:3:3: realm.enabled: must be a boolean, not a string\n"
        "spec.yaml:6:5: clients[0].redirectUri: unknown key 'redirectUri'"
        f" (did you mean 'redirectUris'?); allowed keys: {CLIENT_KEYS}\n",
        "error: 2 problem(s) in 1 file(s)\n",
    )


def test_validate_counts_problems_over_all_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob")
    write(GOOD, "good.yaml")
    write("realm: {name: demo, enabled: 1}\n", "bad.yaml")
    result = run_cli("validate", "good.yaml", "bad.yaml")
    assert (result.code, result.out, result.err) == (
        1,
        "bad.yaml:1:21: realm.enabled: must be a boolean, not a number\n",
        "error: 1 problem(s) in 2 file(s)\n",
    )


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (
            ("validate", "--nope", "spec.yaml"),
            "Usage: kcconf validate [OPTIONS] FILES...\n"
            "Try 'kcconf validate --help' for help.\n"
            "\n"
            "Error: No such option '--nope'.\n",
        ),
        (
            ("validate",),
            "Usage: kcconf validate [OPTIONS] FILES...\n"
            "Try 'kcconf validate --help' for help.\n"
            "\n"
            "Error: Missing argument 'FILES...'.\n",
        ),
        (
            ("validate", "missing.yaml"),
            "Usage: kcconf validate [OPTIONS] FILES...\n"
            "Try 'kcconf validate --help' for help.\n"
            "\n"
            "Error: Invalid value for 'FILES...': File 'missing.yaml' does not exist.\n",
        ),
        (
            ("plan",),
            "Usage: kcconf plan [OPTIONS] PATHS...\n"
            "Try 'kcconf plan --help' for help.\n"
            "\n"
            "Error: Missing argument 'PATHS...'.\n",
        ),
        (
            ("frobnicate",),
            "Usage: kcconf [OPTIONS] COMMAND [ARGS]...\n"
            "Try 'kcconf --help' for help.\n"
            "\n"
            "Error: No such command 'frobnicate'.\n",
        ),
    ],
)
def test_usage_errors_exit_1_never_2(args: tuple[str, ...], err: str) -> None:
    write(GOOD)
    result = run_cli(*args)
    assert (result.code, result.out, result.err) == (1, "", err)


def test_plan_without_a_url_exits_1_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "bob-pw")
    result = run_cli("plan", write(GOOD))
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: no Keycloak URL: set KCCONF_URL or pass --url\n",
    )


def test_plan_without_credentials_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "bob-pw")
    result = run_cli("plan", write(GOOD), "--url", "http://127.0.0.1:9")
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: no credentials: set KCCONF_USERNAME and KCCONF_PASSWORD, or KCCONF_CLIENT_ID"
        " and KCCONF_CLIENT_SECRET (or the matching options)\n",
    )


def test_plan_reports_spec_problems_before_reaching_keycloak() -> None:
    # Nothing listens on port 9: an attempt to connect would end in another message.
    result = run_cli("plan", write(GOOD), "--url", "http://127.0.0.1:9", "--username", "admin")
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: spec.yaml:4:5: users[0].password: environment variable BOB_PASSWORD is not set\n",
    )


def test_sandbox_url_without_a_sandbox() -> None:
    result = run_cli("sandbox", "url")
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: no sandbox is running; start one with: kcconf sandbox start\n",
    )


def test_version() -> None:
    result = run_cli("--version")
    assert (result.code, result.out, result.err) == (0, "kcconf, version 0.1.0\n", "")


def test_expected_errors_exit_1_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(paths: list[Path]) -> None:
        raise KcconfError("something the user can fix")

    monkeypatch.setattr(cli, "validate_files", fail)
    result = run_cli("validate", write(GOOD))
    assert (result.code, result.out, result.err) == (1, "", "error: something the user can fix\n")


def test_an_abort_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def abort(paths: list[Path]) -> None:
        raise click.exceptions.Abort()

    monkeypatch.setattr(cli, "validate_files", abort)
    result = run_cli("validate", write(GOOD))
    assert (result.code, result.out, result.err) == (1, "", "aborted\n")


def test_a_bug_exits_3_with_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(paths: list[Path]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "validate_files", crash)
    result = run_cli("validate", write(GOOD))
    assert (result.code, result.out) == (3, "")
    lines = result.err.splitlines()
    assert lines[:3] == [
        "kcconf hit an internal error (a bug). Please report it with this output,",
        "the kcconf and Keycloak versions, and the command you ran (secrets are not shown):",
        "Traceback (most recent call last):",
    ]
    assert result.err.rstrip("\n").endswith("\nRuntimeError: boom")


def test_python_dash_m_kcconf_is_the_same_command_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCCONF_")}
    done = subprocess.run(
        [sys.executable, "-m", "kcconf", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**env, "COLUMNS": "80"},
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Usage: kcconf [OPTIONS] COMMAND [ARGS]...\n")
    assert done.stdout == run_cli("--help").out


def test_version_without_a_server_is_kcconfs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KCCONF_URL", raising=False)
    run = run_cli("version")
    assert (run.code, run.out) == (0, "kcconf 0.1.0\n")


def test_version_names_the_server_and_whether_its_rules_are_measured(
    kcconf: Callable[..., Run], keycloak: Target
) -> None:
    run = kcconf("version")
    assert run.code == 0, run.err
    first, second = run.out.splitlines()
    assert first == "kcconf 0.1.0"
    assert second.startswith(f"Keycloak {keycloak.version} at {keycloak.url}: ")
    measured = keycloak.version in RULES
    assert second.endswith("impersonation rules measured") is measured
