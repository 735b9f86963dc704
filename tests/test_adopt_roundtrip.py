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
from typing import Any

import pytest
import yaml

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.errors import KeycloakError
from tests.conftest import Target
from tests.helpers import CANARY, Run, assert_in_sync
from tests.test_adopt import _exports


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


def _managed(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec by natural key: `clients[app].redirectUris` -> value, for comparing specs."""
    out: dict[str, Any] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{path}.{key}" if path else key, item)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                key = next(
                    str(item[k]) for k in ("clientId", "name", "username", "alias") if k in item
                )
                walk(f"{path}[{key}]", item)
        else:
            out[path] = sorted(map(str, value)) if isinstance(value, list) else value

    walk("", {k: v for k, v in spec.items() if k != "realm"})
    walk("realm", {k: v for k, v in spec["realm"].items() if k != "name"})
    return out


@pytest.mark.parametrize("path", _exports(), ids=lambda p: p.stem[:40])
def test_a_converted_export_round_trips_through_keycloak(
    path: Path,
    tmp_path: Path,
    kcconf: Callable[..., Run],
    realms: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = (f"adopt-{uuid.uuid4().hex[:8]}" for _ in range(2))
    realms += [first, second]
    spec = tmp_path / "converted.yaml"
    converted = kcconf("convert", str(path), "--realm", first, "-o", str(spec))
    assert converted.code == 0, converted.err
    skipped = [ln for ln in converted.err.splitlines() if ln.startswith("not expressible:")]
    print(
        f"\n{path.stem}: {converted.err.splitlines()[-3 if 'variables' in converted.err else -2]}"
    )
    print("\n".join(f"  {ln}" for ln in skipped))
    _env(monkeypatch, converted.err)
    applied = kcconf("apply", "--auto-approve", str(spec))
    assert applied.code == 0, applied.err[-2000:]
    assert_in_sync(kcconf, spec)  # a: plan empty, a second apply writes nothing

    exported = tmp_path / "exported.yaml"
    done = kcconf("export", "--realm", first, "--users", "all", "-o", str(exported))
    assert done.code == 0, done.err
    copy = tmp_path / "copy.yaml"
    copy.write_text(exported.read_text().replace(f"name: {first}\n", f"name: {second}\n", 1))
    _env(monkeypatch, done.err)
    assert kcconf("apply", "--auto-approve", str(copy)).code == 0
    assert_in_sync(kcconf, copy)  # b: the exported spec reproduces the realm
    again = kcconf("export", "--realm", second, "--users", "all", "-o", str(tmp_path / "e2.yaml"))
    assert again.code == 0, again.err
    assert (tmp_path / "e2.yaml").read_text() == copy.read_text()

    # c: what kcconf manages equals the original's, by natural key (the original converted
    # for a new realm of this server, so Keycloak's own objects compare alike).
    original = convert(json.loads(path.read_text()), stored(), realm=first).spec
    live = yaml.safe_load(exported.read_text())
    want, have = _managed(original), _managed(live)
    differ = sorted(
        k for k in set(want) | set(have) if not _secret(k) and want.get(k) != have.get(k)
    )
    assert differ == [], differ


def _secret(path: str) -> bool:
    return path.endswith(".secret.env") or path.endswith(".password.env")
