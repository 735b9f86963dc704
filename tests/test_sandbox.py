"""The sandbox's pure helpers: versions, the JDK to run, the cache, and the state file.

Nothing here starts Keycloak or runs Maven.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from kcconf.errors import KcconfError
from kcconf.keycloak import sandbox
from kcconf.keycloak.sandbox import Server
from kcconf.keycloak.versions import version_tuple

JVM = Path("/usr/lib/jvm")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("KCCONF_JAVA_HOME", "KCCONF_SANDBOX_STATE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("KCCONF_CACHE", str(cache))
    return cache


def jdks_on_this_machine() -> dict[int, Path]:
    """Major version -> the first JDK home (by name) whose release file names that version."""
    found: dict[int, Path] = {}
    for home in sorted(JVM.glob("*")) if JVM.is_dir() else []:
        release = home / "release"
        if not (home / "bin" / "java").exists() or not release.exists():
            continue
        for line in release.read_text().splitlines():
            if line.startswith('JAVA_VERSION="'):
                found.setdefault(int(line.split('"')[1].split(".")[0]), home)
    return found


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("26.5.6", (26, 5, 6)),
        ("24.0.5", (24, 0, 5)),
        ("26.6", (26, 6)),
        ("26.6.0.1", (26, 6, 0)),
        ("26.6.0-rc1", (26, 6)),
        ("nightly", ()),
    ],
)
def test_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert version_tuple(version) == expected


@pytest.mark.parametrize("version", ["26.6.0", "26.7.3", "26.10.0", "27.0.0"])
def test_java_home_picks_jdk_25_from_keycloak_26_6_on(version: str) -> None:
    jdks = jdks_on_this_machine()
    if 25 not in jdks:
        pytest.skip(f"no JDK 25 under {JVM}")
    assert sandbox.java_home(version) == jdks[25]


@pytest.mark.parametrize("version", ["26.5.6", "26.4.0", "24.0.5"])
def test_java_home_before_26_6_picks_jdk_21_or_17(version: str) -> None:
    jdks = jdks_on_this_machine()
    expected = jdks.get(21) or jdks.get(17)
    assert sandbox.java_home(version) == expected
    if 25 in jdks:
        assert sandbox.java_home(version) != jdks[25]


def test_kcconf_java_home_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCCONF_JAVA_HOME", str(tmp_path / "my-jdk"))
    assert sandbox.java_home("26.5.6") == tmp_path / "my-jdk"
    assert sandbox.java_home("26.6.0") == tmp_path / "my-jdk"


def test_an_empty_kcconf_java_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sandbox.java_home("26.5.6")
    monkeypatch.setenv("KCCONF_JAVA_HOME", "")
    assert sandbox.java_home("26.5.6") == expected


def test_cache_dir_honours_kcconf_cache(private_cache: Path) -> None:
    assert sandbox.cache_dir() == private_cache


def test_cache_dir_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KCCONF_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sandbox.cache_dir() == tmp_path / "home" / ".cache" / "kcconf"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sandbox.cache_dir() == tmp_path / "xdg" / "kcconf"
    monkeypatch.setenv("KCCONF_CACHE", "")
    assert sandbox.cache_dir() == tmp_path / "xdg" / "kcconf"


def test_distribution_uses_the_cached_folder_without_maven(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_maven(version: str, into: Path) -> Path:
        raise AssertionError("Maven must not be called for a cached distribution")

    monkeypatch.setattr(sandbox, "_maven_fetch", no_maven)
    home = private_cache / "keycloak" / "26.5.6" / "keycloak-26.5.6"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "kc.sh").write_text("#!/bin/sh\n")
    assert sandbox.distribution("26.5.6") == home


def test_distribution_without_maven_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(KcconfError) as caught:
        sandbox.distribution("26.5.6")
    assert str(caught.value) == ("Maven (mvn) is needed to download Keycloak: install it")


def test_maven_cause_is_the_first_error_line() -> None:
    out = (
        "\x1b[1;31m[ERROR]\x1b[m Failed to execute goal dependency:copy: Could not resolve\n"
        "[ERROR] \n"
        "[ERROR] -> [Help 1]\n"
    )
    done = subprocess.CompletedProcess(["mvn"], 1, out, "")
    assert sandbox._maven_cause(done) == (
        "Failed to execute goal dependency:copy: Could not resolve"
    )
    silent = subprocess.CompletedProcess(["mvn"], 1, "", "")
    assert sandbox._maven_cause(silent) == "mvn exited with code 1"


def write_state(body: str) -> None:
    sandbox.state_file().parent.mkdir(parents=True, exist_ok=True)
    sandbox.state_file().write_text(body)


def server(pid: int) -> dict[str, object]:
    return {"url": "http://127.0.0.1:8080", "version": "26.5.6", "pid": pid, "log": "kc.log"}


def finished_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_state_file_is_in_the_cache_unless_overridden(
    private_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sandbox.state_file() == private_cache / "sandbox.json"
    monkeypatch.setenv("KCCONF_SANDBOX_STATE", str(tmp_path / "elsewhere.json"))
    assert sandbox.state_file() == tmp_path / "elsewhere.json"


def test_load_state_without_a_state_file() -> None:
    assert sandbox.load_state() is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json at all {",
        "[]",
        '"a string"',
        '{"url": "http://127.0.0.1:8080"}',
        json.dumps({**server(os.getpid()), "extra": 1}),
    ],
)
def test_load_state_with_a_garbage_state_file(body: str) -> None:
    write_state(body)
    assert sandbox.load_state() is None


def test_load_state_of_a_server_that_has_ended() -> None:
    write_state(json.dumps(server(finished_pid())))
    assert sandbox.load_state() is None


def test_save_load_and_clear_state_of_a_live_process() -> None:
    # This test's own process stands in for a running server: it is alive and never stopped.
    running = Server("http://127.0.0.1:8080", "26.5.6", os.getpid(), "kc.log")
    sandbox.save_state(running)
    assert sandbox.load_state() == running
    sandbox.clear_state()
    assert not sandbox.state_file().exists()
    assert sandbox.load_state() is None
    sandbox.clear_state()  # clearing twice is fine


@pytest.mark.parametrize("pid", ["123", None])
def test_load_state_with_a_pid_that_is_not_a_number(pid: object) -> None:
    write_state(json.dumps({**server(0), "pid": pid}))
    assert sandbox.load_state() is None
