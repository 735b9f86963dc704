"""Saved plan files as files: written for their owner alone, never through a symbolic link,
whole or not at all; and a file given to `kcconf apply` that is not a whole saved plan is a
one-line error saying what it is."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf.errors import KcconfError
from kcconf.output import saved as saved_module
from kcconf.output.saved import open_saved, save
from tests.helpers import Run, realm_spec
from tests.test_saved import plan_r, saved_plan, specs_in

Kcconf = Callable[..., Run]
EXPECTED = "expected the file `kcconf plan --out FILE` writes"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def damaged_copy(plan: Path, keep: int) -> tuple[Path, str]:
    """The first `keep` characters of a plan, as an interrupted write would leave them, and
    what apply says of them (JSON ends at the last line)."""
    damaged = plan.with_name("damaged.json")
    damaged.write_text(plan.read_text()[:keep])
    line = damaged.read_text().count("\n") + 1
    return damaged, f"is a damaged plan (not JSON at line {line}): make a new plan"


def refused(action: Callable[[], object]) -> str:
    with pytest.raises(KcconfError) as caught:
        action()
    return str(caught.value)


# --- writing ----------------------------------------------------------------------------------


def test_a_saved_plan_is_for_its_owner_alone(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the mode must not come from it
    try:
        out = saved_plan(tmp_path, plan_r())
        assert mode(out) == 0o600
        out.chmod(0o644)  # an older plan, readable by all, is replaced by a private one
        save(out, specs_in(tmp_path), [plan_r()])
        assert mode(out) == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symbolic_link_is_refused_not_followed(tmp_path: Path, dangling: bool) -> None:
    target = tmp_path / "elsewhere" / "authorized_keys"
    target.parent.mkdir()
    if not dangling:
        target.write_text("keep me\n")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    specs = specs_in(tmp_path)
    assert refused(lambda: save(link, specs, [plan_r()])) == (
        f"not saving the plan to {link}: it is a symbolic link; name a file"
    )
    assert link.is_symlink()
    assert target.exists() is not dangling and (dangling or target.read_text() == "keep me\n")


def test_an_interrupted_save_leaves_the_old_plan_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = saved_plan(tmp_path, plan_r())
    before = out.read_text()

    def interrupted(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(saved_module.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(out, specs_in(tmp_path), [plan_r(new="Newer")])
    assert out.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "r.yaml"]


def test_a_plan_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "plan.json"
    specs = specs_in(tmp_path)
    assert refused(lambda: save(out, specs, [plan_r()])) == (
        f"cannot save the plan to {out}: No such file or directory"
    )


# --- reading ----------------------------------------------------------------------------------


def saved_data(tmp_path: Path) -> dict[str, object]:
    data = json.loads(saved_plan(tmp_path, plan_r()).read_text())
    assert isinstance(data, dict)
    return data


def written(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_a_directory_named_like_a_plan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()
    assert refused(lambda: open_saved(tmp_path / "plan.json")) == (
        f"{tmp_path / 'plan.json'} is a directory, not a saved plan: {EXPECTED}"
    )
    assert open_saved(tmp_path) is None  # a directory of specs


def test_a_format_json_output_is_refused_for_what_it_is(tmp_path: Path) -> None:
    data = saved_data(tmp_path)
    del data["saved"]
    path = written(tmp_path, "plan.txt", data)  # whatever its name
    assert refused(lambda: open_saved(path)) == (
        f"{path} is the output of `kcconf plan --format json`, which cannot be applied: {EXPECTED}"
    )


@pytest.mark.parametrize(
    ("drop", "said"),
    [
        (("saved", "specs"), "is an incomplete saved plan: saved.specs is missing or malformed"),
        (
            ("saved", "fingerprints"),
            "is an incomplete saved plan: saved.fingerprints is missing or malformed",
        ),
        (("realms",), "is an incomplete saved plan: realms is missing or malformed"),
        (
            ("format_version",),
            "is an incomplete saved plan: format_version is missing or malformed",
        ),
        (("saved", "kind"), "is not a saved plan: its saved.kind is not kcconf-saved-plan"),
    ],
)
def test_a_saved_plan_lacking_a_key_says_which(
    tmp_path: Path, drop: tuple[str, ...], said: str
) -> None:
    data = saved_data(tmp_path)
    holder = data if len(drop) == 1 else data[drop[0]]
    assert isinstance(holder, dict)
    del holder[drop[-1]]
    path = written(tmp_path, "plan.json", data)
    assert refused(lambda: open_saved(path)) == f"{path} {said}: {EXPECTED}"


def test_a_saved_plan_of_another_format_and_a_damaged_one_are_refused(tmp_path: Path) -> None:
    data = saved_data(tmp_path)
    data["format_version"] = 2
    other = written(tmp_path, "other.json", data)
    assert refused(lambda: open_saved(other)) == (
        f"{other} is a saved plan of format 2, and this kcconf reads 1: {EXPECTED}"
    )
    plan = saved_plan(tmp_path, plan_r())
    damaged, said = damaged_copy(plan, len(plan.read_text()) - 40)
    assert refused(lambda: open_saved(damaged)) == f"{damaged} {said}"


def test_specs_are_not_plans(tmp_path: Path) -> None:
    spec = tmp_path / "r.yaml"
    spec.write_text(realm_spec("r"))
    json_spec = written(tmp_path, "r.json", {"realm": {"name": "r"}})
    assert [open_saved(p) for p in (spec, json_spec, tmp_path / "missing.json")] == [None] * 3


def test_a_spec_of_a_realm_named_like_a_plan_is_a_spec(tmp_path: Path) -> None:
    """Found by the property-based tests: a YAML spec holding the saved plans' kind (a realm
    named kcconf-saved-plan) was refused as a damaged plan."""
    for name in ("kcconf-saved-plan", '"format_version"'):
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"realm:\n  name: {name}\nroles:\n- name: [not a string\n")
        assert open_saved(spec) is None


# --- through the command line, against the real Keycloak --------------------------------------


def test_plan_out_and_apply_of_what_is_not_a_saved_plan(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm))
    out = tmp_path / "plan.json"
    planned = kcconf("plan", "--out", str(out), str(spec))
    assert planned.code == 2, planned.err
    assert mode(out) == 0o600
    link = tmp_path / "link.json"
    link.symlink_to(out)
    linked = kcconf("plan", "--out", str(link), str(spec))
    assert linked.code == 1
    assert linked.err.splitlines()[-1] == (
        f"error: not saving the plan to {link}: it is a symbolic link; name a file"
    )
    as_json = tmp_path / "plan-output.json"
    as_json.write_text(kcconf("plan", "--format", "json", str(spec)).out)
    damaged, half = damaged_copy(out, 100)
    for path, said in (
        (
            as_json,
            f"is the output of `kcconf plan --format json`, which cannot be applied: {EXPECTED}",
        ),
        (damaged, half),
    ):
        applied = kcconf("apply", str(path))
        assert applied.code == 1
        assert applied.err.splitlines() == [f"error: {path} {said}"]
