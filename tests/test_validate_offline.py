"""`kcconf validate` reports, offline, what plan would refuse before reaching Keycloak: an
environment variable that is not set, and one realm declared by two files (issue point 11a)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Target
from tests.helpers import Run, run_cli

SPEC = """\
realm:
  name: {realm}
users:
  - username: bob
    password: {{env: SPEC_FUZZ_UNSET_PASSWORD}}
"""


# No server settings from the caller's shell, and relative paths for exact messages.
pytestmark = pytest.mark.usefixtures("offline_here")


def write(name: str, realm: str) -> str:
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(SPEC.format(realm=realm), encoding="utf-8")
    return name


UNSET = "users[0].password: environment variable SPEC_FUZZ_UNSET_PASSWORD is not set"


def test_validate_reports_an_environment_variable_that_is_not_set() -> None:
    result = run_cli("validate", write("spec.yaml", "demo"))
    assert (result.code, result.out, result.err) == (
        1,
        f"spec.yaml:5:5: {UNSET}\n",
        "error: 1 problem(s) in 1 file(s)\n",
    )


def test_validate_reads_the_variable_when_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEC_FUZZ_UNSET_PASSWORD", "canary-pw")
    result = run_cli("validate", write("spec.yaml", "demo"))
    assert (result.code, result.out, result.err) == (0, "", "1 file(s) valid\n")


def test_validate_reports_a_realm_declared_in_two_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEC_FUZZ_UNSET_PASSWORD", "canary-pw")
    result = run_cli("validate", write("a.yaml", "demo"), write("b/c.yaml", "demo"))
    assert (result.code, result.out, result.err) == (
        1,
        "b/c.yaml:2:3: realm.name: realm 'demo' is declared in a.yaml:2:3 too;"
        " write each realm in one file\n",
        "error: 1 problem(s) in 2 file(s)\n",
    )


def test_a_file_named_twice_is_one_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEC_FUZZ_UNSET_PASSWORD", "canary-pw")
    spec = write("a.yaml", "demo")
    result = run_cli("validate", spec, str(Path(spec).resolve()))
    assert (result.code, result.out) == (0, "")


def test_validate_and_plan_report_the_same_problems() -> None:
    write("a.yaml", "demo")
    write("b.yaml", "demo")
    validated = run_cli("validate", "a.yaml", "b.yaml")
    # Nothing listens on port 9: plan fails on the specs before it would try to connect.
    planned = run_cli("plan", "a.yaml", "b.yaml", "--url", "http://127.0.0.1:9", "-q")
    assert validated.out == (
        f"a.yaml:5:5: {UNSET}\n"
        "b.yaml:2:3: realm.name: realm 'demo' is declared in a.yaml:2:3 too;"
        " write each realm in one file\n"
        f"b.yaml:5:5: {UNSET}\n"
    )
    assert (planned.code, planned.out) == (1, "")
    assert planned.err == "".join(f"error: {line}\n" for line in validated.out.splitlines())


def test_a_new_realm_naming_what_nothing_makes_is_refused_before_it_is_created(
    kcconf: Callable[..., Run], keycloak: Target, realm: str, tmp_path: Path
) -> None:
    # Before: apply created the realm, then failed without a file:line ("realm-role ghost does
    # not exist in Keycloak or the spec"); the half-made realm stayed.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"realm: {{name: {realm}}}\nusers:\n  - username: bob\n    realmRoles: [ghost]\n",
        encoding="utf-8",
    )
    result = kcconf("apply", "--auto-approve", str(spec))
    assert (result.code, result.out) == (1, "")
    assert result.err.endswith(
        f"error: {spec}:4:18: users[0].realmRoles[0]: unknown realm role 'ghost'"
        " (not declared under roles and not a Keycloak built-in)\n"
    )
    assert realm not in {r["realm"] for r in keycloak.api().get("")}
