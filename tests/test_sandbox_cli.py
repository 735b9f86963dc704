"""`kcconf sandbox start|url|stop` runs a real throwaway Keycloak a user can apply a spec to."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Target
from tests.helpers import realm_spec, run_cli


def test_sandbox_starts_answers_and_stops(
    keycloak: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.environ.get("KCCONF_TEST_URL"):
        pytest.skip("the sandbox runs the local harness, not the Keycloak at KCCONF_TEST_URL")
    monkeypatch.setenv("KCCONF_SANDBOX_STATE", str(tmp_path / "sandbox.json"))
    started = run_cli("sandbox", "start", "--version", keycloak.version)
    assert started.code == 0, started.err
    exports = dict(line.removeprefix("export ").split("=", 1) for line in started.out.splitlines())
    assert set(exports) == {"KCCONF_URL", "KCCONF_USERNAME", "KCCONF_PASSWORD"}
    try:
        assert run_cli("sandbox", "url").out == exports["KCCONF_URL"] + "\n"
        for key, value in exports.items():
            monkeypatch.setenv(key, value)
        spec = tmp_path / "spec.yaml"
        spec.write_text(realm_spec("sandboxed"))
        assert run_cli("apply", "--auto-approve", str(spec)).code == 0
        assert run_cli("plan", str(spec)).code == 0
    finally:
        stopped = run_cli("sandbox", "stop")
    assert stopped.code == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(exports["KCCONF_URL"], timeout=5)
    assert run_cli("sandbox", "url").code == 1
