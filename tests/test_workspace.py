"""Finding and loading the specs a command names: files, directories, realms, all problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcconf.errors import KcconfError, SpecError
from kcconf.spec.workspace import digest, load_all, spec_paths


def spec(path: Path, realm: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"realm:\n  name: {realm}\n", encoding="utf-8")
    return path


def test_files_are_kept_in_the_order_named(tmp_path: Path) -> None:
    b, a = spec(tmp_path / "b.yaml", "b"), spec(tmp_path / "a.yaml", "a")
    assert spec_paths([b, a]) == [b, a]


def test_a_directory_gives_its_yaml_files_sorted_and_recursively(tmp_path: Path) -> None:
    root = tmp_path / "realms"
    c = spec(root / "c.yaml", "c")
    a = spec(root / "a.yml", "a")
    nested = spec(root / "team" / "b.yaml", "b")
    deeper = spec(root / "team" / "x" / "d.yml", "d")
    (root / "README.md").write_text("not a spec\n")
    (root / "notes.txt").write_text("not a spec\n")
    (root / "team" / "old.yaml.bak").write_text("not a spec\n")
    (root / "team" / "data.json").write_text("{}\n")
    assert spec_paths([root]) == [a, c, nested, deeper]


def test_files_and_directories_together(tmp_path: Path) -> None:
    single = spec(tmp_path / "one.yaml", "one")
    b = spec(tmp_path / "realms" / "b.yaml", "b")
    a = spec(tmp_path / "realms" / "a.yaml", "a")
    assert spec_paths([single, tmp_path / "realms"]) == [single, a, b]


def test_an_empty_directory_is_a_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no specs here\n")
    with pytest.raises(KcconfError) as caught:
        spec_paths([empty])
    assert str(caught.value) == f"no spec files (*.yaml, *.yml) in {empty}"
    assert type(caught.value) is KcconfError


def test_a_directory_named_like_a_spec_is_not_a_spec_file(tmp_path: Path) -> None:
    root = tmp_path / "realms"
    a = spec(root / "a.yaml", "a")
    (root / "archive.yaml").mkdir()
    assert spec_paths([root]) == [a]


def test_a_file_named_twice_is_loaded_once(tmp_path: Path) -> None:
    a = spec(tmp_path / "realms" / "a.yaml", "a")
    assert [s.path for s in load_all([tmp_path / "realms", a])] == [a]


def test_load_all_gives_each_spec_its_realm_state_and_digest(tmp_path: Path) -> None:
    a = spec(tmp_path / "a.yaml", "alpha")
    b = spec(tmp_path / "b.yaml", "beta")
    loaded = load_all([tmp_path])
    assert [(s.path, s.realm, s.sha256) for s in loaded] == [
        (a, "alpha", digest(a)),
        (b, "beta", digest(b)),
    ]
    assert len(loaded[0].sha256) == 64


def test_load_all_reports_the_problems_of_every_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEC_TEST_UNSET_SECRET", raising=False)
    spec(tmp_path / "a-good.yaml", "good")
    (tmp_path / "b.yaml").write_text('realm:\n  name: b\n  enabled: "yes"\n')
    (tmp_path / "c.yml").write_text("realm:\n  nam: c\n")
    (tmp_path / "d.yaml").write_text(
        "realm:\n  name: d\nclients:\n  - clientId: app\n"
        "    secret: {env: SPEC_TEST_UNSET_SECRET}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_all([tmp_path])
    b, c, d = (tmp_path / n for n in ("b.yaml", "c.yml", "d.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        f"{b}:3:3: realm.enabled: must be a boolean, not a string",
        f"{c}:1:1: realm: missing required key 'name'",
        # A realm key kcconf does not know is an error, never passed on silently.
        f"{c}:2:3: realm.nam: unknown key 'nam' (did you mean 'name'?); `kcconf schema` lists"
        " the 110 allowed here",
        f"{d}:5:5: clients[0].secret: environment variable SPEC_TEST_UNSET_SECRET is not set",
    ]
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)


def test_two_files_declaring_one_realm_name_both(tmp_path: Path) -> None:
    first = spec(tmp_path / "a.yaml", "x")
    second = spec(tmp_path / "nested" / "b.yaml", "x")
    with pytest.raises(KcconfError) as caught:
        load_all([tmp_path])
    assert str(caught.value) == (
        f"{second}:2:3: realm.name: realm 'x' is declared in {first}:2:3 too;"
        " write each realm in one file"
    )


def test_realm_selects_one_spec(tmp_path: Path) -> None:
    spec(tmp_path / "a.yaml", "alpha")
    b = spec(tmp_path / "b.yaml", "beta")
    assert [(s.path, s.realm) for s in load_all([tmp_path], realm="beta")] == [(b, "beta")]


def test_an_unknown_realm_is_an_error(tmp_path: Path) -> None:
    spec(tmp_path / "a.yaml", "alpha")
    with pytest.raises(KcconfError) as caught:
        load_all([tmp_path], realm="gamma")
    assert str(caught.value) == "no spec declares realm 'gamma'"
