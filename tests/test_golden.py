"""Golden plans: the text, JSON and markdown plans of fixed scenarios, byte for byte.

Each folder under tests/golden holds an optional `before.yaml` (applied first into a fresh realm)
and an `after.yaml` (planned against it), and the three plans kcconf printed. They were recorded
before the package was restructured and guard that a refactoring changes no output. After an
intended change of output, record them again with KCCONF_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.errors import KeycloakError
from tests.conftest import Target
from tests.helpers import Run

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"text": "plan.txt", "json": "plan.json", "markdown": "plan.md"}
SECRETS = {
    "GOLDEN_SECRET_OLD": "canary-golden-old",
    "GOLDEN_SECRET_NEW": "canary-golden-new",
    "GOLDEN_PASSWORD": "canary-golden-Pass1",
    "MODERATOR_PASSWORD": "canary-moderator-Pass1",
    "ALICE_PASSWORD": "canary-alice-Pass1",
    "OUR_CLIENT_SECRET": "canary-our-secret",
}


@pytest.mark.parametrize("scenario", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_golden_plan(
    scenario: str,
    keycloak: Target,
    kcconf: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = GOLDEN / scenario
    realm = f"golden-{scenario}"
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    with contextlib.suppress(KeycloakError):
        keycloak.api().delete(realm)
    try:
        before = folder / "before.yaml"
        if before.exists():
            applied = kcconf("apply", "--auto-approve", str(before))
            assert applied.code == 0, applied.err
        for fmt, name in FORMATS.items():
            planned = kcconf("plan", "--format", fmt, str(folder / "after.yaml"))
            assert planned.code == 2, planned.err
            out = planned.out.replace(str(folder), "tests/golden/" + scenario)
            if os.environ.get("KCCONF_UPDATE_GOLDEN"):
                (folder / name).write_text(out)
            assert out == (folder / name).read_text(), f"{scenario}/{name} differs"
    finally:
        with contextlib.suppress(KeycloakError):
            keycloak.api().delete(realm)
