"""Round trips of every realm export in ../shared/realm-exports through a real Keycloak:
convert -> apply into a new realm -> in sync; export it -> apply into another new realm -> in
sync, and the two exports are identical; the objects and fields kcconf manages equal the
original's. Prints, per file, the objects read and the paths not expressible."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.adopt.export import read
from kcconf.adopt.kept import as_kept
from kcconf.adopt.report import Report
from kcconf.adopt.upgrade import upgrade
from kcconf.errors import KeycloakError
from tests.conftest import Target
from tests.helpers import CANARY, Run, assert_in_sync, assert_no_canary
from tests.managed_paths import differences, managed, objects
from tests.test_adopt import _exports

pytestmark = pytest.mark.roundtrip


@pytest.fixture
def realms(keycloak: Target) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        with contextlib.suppress(KeycloakError):
            keycloak.api().delete(name)


def _env(monkeypatch: pytest.MonkeyPatch, err: str) -> None:
    """Every variable the spec reads, set to a planted secret."""
    line = next((x for x in err.splitlines() if "environment variables:" in x), "")
    for name in filter(None, line.partition("variables:")[2].replace(",", " ").split()):
        monkeypatch.setenv(name, f"{CANARY}Pw-{name.lower()}-1234!")


def _converted(kcconf: Callable[..., Run], path: Path, realm: str, spec: Path, version: str) -> Run:
    """`kcconf convert` for the server under test, printing what it read, mapped and could not
    express."""
    done = kcconf(
        "convert", str(path), "--realm", realm, "--keycloak-version", version, "-o", str(spec)
    )
    assert done.code == 0, done.err
    lines = done.err.splitlines()
    print(f"\n{path.stem}: " + next(ln for ln in lines if ln.startswith("read ")))
    for line in lines:
        if line.startswith(("mapped:", "not expressible:")):
            print(f"  {line}")
    return done


def _failed(command: str, done: Run) -> str:
    """What failed, on the first line (the step's summary), then the tail of stderr."""
    lines = [ln for ln in done.err.splitlines() if ln.strip()]
    cause = next((ln for ln in reversed(lines) if ln.lower().startswith("error")), None)
    tail = "\n".join(lines[-30:])
    return f"{command} exited {done.code}: {cause or (lines[-1] if lines else '')}\n{tail}"


def _in_sync(kcconf: Callable[..., Run], spec: Path) -> None:
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 0, _failed("apply", applied)
    assert_in_sync(kcconf, spec)  # plan empty, a second apply writes nothing


def _same_as_original(keycloak: Target, path: Path, realm: str) -> None:
    """Every field and relation kcconf manages in the realm equals the original export's, by
    natural key. The original is read as the server under test keeps it: old shapes upgraded and the
    server's own rewrites applied (convert lists both as `mapped:`); the paths convert reports
    as not expressible are not compared. Objects the realm holds beyond the original's must be
    Keycloak's own (those of a new realm)."""
    source = json.loads(path.read_text())
    baseline = stored(keycloak.version).for_realm(realm)
    original = upgrade(source, Report(), realm, target=keycloak.version)
    as_kept(original, baseline.realm, Report(), keycloak.version)
    converted = convert(source, stored(keycloak.version), realm=realm)
    skipped = [s.path for s in converted.report.skipped]
    want, have = managed(original), managed(read(keycloak.api(), realm, users=True))
    differ = differences(want, have, skipped)
    extra = sorted(objects(have) - objects(want) - objects(managed(baseline.realm)))
    assert differ == [] and extra == [], "\n".join(
        differ + [f"{o}: not in the original" for o in extra]
    )


@pytest.mark.parametrize("path", _exports(), ids=lambda p: p.stem[:40])
def test_a_converted_export_round_trips_through_keycloak(
    path: Path,
    tmp_path: Path,
    keycloak: Target,
    kcconf: Callable[..., Run],
    realms: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """a: convert -> apply into a new realm -> in sync; c: the realm equals the original in
    what kcconf manages; b: export it (no secret in it) -> applied back, it changes nothing and
    a second export is byte-identical -> apply into another new realm -> in sync, and the two
    realms' exports are identical. Each step's outcome is printed; the test fails if any failed."""
    first, second = (f"adopt-{uuid.uuid4().hex[:8]}" for _ in range(2))
    realms += [first, second]
    spec = tmp_path / "converted.yaml"
    outcomes: dict[str, str] = {}

    def step(name: str, check: Callable[[], None]) -> None:
        try:
            check()
            outcomes[name] = "pass"
        except Exception as exc:  # every step runs and is reported; the test fails after
            what = str(exc) or repr(exc)
            kind = "" if isinstance(exc, AssertionError) else f"{type(exc).__name__}: "
            outcomes[name] = f"FAIL {kind}{what.splitlines()[0]}"
            print(f"  {name} failed:\n{kind}{what}")

    _env(monkeypatch, _converted(kcconf, path, first, spec, keycloak.version).err)
    step("a", lambda: _in_sync(kcconf, spec))
    step("c", lambda: _same_as_original(keycloak, path, first))

    def exported() -> None:
        out = tmp_path / "exported.yaml"
        done = kcconf("export", "--realm", first, "--users", "all", "-o", str(out))
        assert done.code == 0, _failed("export", done)
        assert_no_canary("the exported spec", out.read_text())
        _env(monkeypatch, done.err)
        # Applied to the realm it came from, the export changes nothing, and an export after
        # that apply is byte-identical to the one before.
        assert_in_sync(kcconf, out)
        before = out.read_text()
        done = kcconf("export", "--realm", first, "--users", "all", "-o", str(out))
        assert done.code == 0, _failed("export", done)
        assert out.read_text() == before, "two exports of the same realm differ"
        copy = tmp_path / "copy.yaml"
        # The realm renamed, and its default role, which a role policy names (22.6).
        renamed = before.replace(f"name: {first}\n", f"name: {second}\n", 1)
        copy.write_text(renamed.replace(f"default-roles-{first}", f"default-roles-{second}"))
        _in_sync(kcconf, copy)
        again = kcconf("export", "--realm", second, "--users", "all", "-o", str(tmp_path / "e2"))
        assert again.code == 0, _failed("export", again)
        assert (tmp_path / "e2").read_text() == copy.read_text(), "the two exports differ"

    step("b", exported)
    print(f"  {path.stem}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    assert all(v == "pass" for v in outcomes.values()), outcomes
