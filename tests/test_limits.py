"""Hostile YAML: alias bombs, deep nesting, huge files and huge lists end in one line per
problem, with file:line:column, fast and in little memory (kcconf/spec/limits.py)."""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path

import pytest

from kcconf.errors import SpecError
from kcconf.spec import limits
from kcconf.spec.validate import validate_files
from kcconf.spec.yamlload import load_document
from tests.helpers import TOP_KEYS, run_cli

# No server settings from the caller's shell, and relative paths for exact messages.
pytestmark = pytest.mark.usefixtures("offline_here")


def billion_laughs() -> str:
    """Ten aliases a level, nine levels: a billion values from under 600 bytes."""
    lines = ["realm: {name: lol}", 'lol0: &l0 "lol"']
    for level in range(1, 10):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def validate(text: str) -> tuple[int, str, str]:
    Path("spec.yaml").write_text(text, encoding="utf-8")
    run = run_cli("validate", "spec.yaml")
    return run.code, run.out, run.err


ONE_PROBLEM = "error: 1 problem(s) in 1 file(s)\n"


def test_a_billion_laughs_fails_at_the_alias_that_passes_the_bound() -> None:
    # Before the bound: 2.7 GB and 32 s until a memory limit stopped it.
    text = billion_laughs()
    assert len(text.encode()) < 600
    tracemalloc.start()
    try:
        result = validate(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result == (
        1,
        "spec.yaml:7:47: lol5[7]: aliases expand the file by more than 100,000 values"
        " (nested aliases, a 'billion laughs'?); write the values out or use fewer aliases\n",
        ONE_PROBLEM,
    )
    assert peak < 20 * 1024 * 1024, peak  # bytes, for a file it never expands


def test_a_small_alias_bomb_is_refused_not_built() -> None:
    # 9**6 = 531,441 values: small enough that kcconf without the bound built it (slowly).
    lines = ["realm: {name: lol}", "a0: &a0 x"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 7)]
    code, out, err = validate("\n".join(lines) + "\n")
    assert (code, err) == (1, ONE_PROBLEM)
    assert out.startswith("spec.yaml:8:10: a6[0]: "), out
    assert "aliases expand the file by more than 100,000 values" in out


def test_5000_levels_of_flow_nesting_is_one_line_not_a_recursion_error() -> None:
    # Before: libyaml refused 1,000 levels, PyYAML's own parser then recursed: a traceback.
    result = validate("realm: {name: x}\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    path = "x" + "[0]" * 63
    assert result == (
        1,
        f"spec.yaml:2:67: {path}: nested more than 64 levels deep, aliases expanded\n",
        ONE_PROBLEM,
    )


def test_deep_block_nesting_is_one_line() -> None:
    text = "realm: {name: x}\nx:\n" + "".join(" " * n + "k:\n" for n in range(1, 200))
    result = validate(text)
    assert result == (
        1,
        f"spec.yaml:66:65: x{'.k' * 63}: nested more than 64 levels deep, aliases expanded\n",
        ONE_PROBLEM,
    )


def test_64_levels_are_read() -> None:
    # 64 levels in all: the top mapping, then 63 under `x`. Deep, not refused; the schema then
    # refuses the unknown key, which shows the file was read and checked.
    text = "realm: {name: x}\nx: " + "[" * 63 + "]" * 63 + "\n"
    assert validate(text) == (
        1,
        f"spec.yaml:2:1: x: unknown key 'x'; allowed keys: {TOP_KEYS}\n",
        ONE_PROBLEM,
    )


def test_an_alias_to_a_deep_anchor_counts_its_depth_where_it_is_used() -> None:
    deep = "[" * 40 + "]" * 40
    text = f"realm: {{name: x}}\na: &deep {deep}\nb: {'[' * 30}*deep{']' * 30}\n"
    code, out, err = validate(text)
    assert (code, err) == (1, ONE_PROBLEM)
    assert out == (
        f"spec.yaml:3:34: b{'[0]' * 30}: nested more than 64 levels deep, aliases expanded\n"
    )


def test_more_aliases_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ALIASES", 3)
    result = validate("realm: {name: x}\na: &a 1\nb: [*a, *a, *a,\n  *a]\n")
    assert result == (
        1,
        "spec.yaml:4:3: b[3]: more than 3 aliases; kcconf expands no more\n",
        ONE_PROBLEM,
    )


def test_more_values_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_VALUES", 10)
    result = validate("realm: {name: x}\nroles:\n  - {name: a}\n  - {name: b}\n  - {name: c}\n")
    assert result == (
        1,
        "spec.yaml:4:5: roles[1]: the file holds more than 10 values, aliases expanded\n",
        ONE_PROBLEM,
    )


def test_a_file_larger_than_the_bound_is_not_read_whole() -> None:
    Path("spec.yaml").write_bytes(b"#" * (limits.MAX_BYTES + 1))
    result = run_cli("validate", "spec.yaml")
    assert (result.code, result.out, result.err) == (
        1,
        "spec.yaml:1:1: (top level): the file is larger than 4 MiB,"
        " the most kcconf reads as one spec\n",
        ONE_PROBLEM,
    )


def test_a_file_of_exactly_the_bound_is_read() -> None:
    body = "realm: {name: x}\n"
    Path("spec.yaml").write_text(body + "#" * (limits.MAX_BYTES - len(body)), encoding="utf-8")
    assert validate_files([Path("spec.yaml")]) == []


def test_aliases_and_merge_keys_within_the_bounds_still_work() -> None:
    text = textwrap.dedent(
        """\
        realm: {name: x}
        clients:
          - &web {clientId: one, publicClient: true, redirectUris: [https://a.example/*]}
          - <<: *web
            clientId: two
        """
    )
    Path("spec.yaml").write_text(text, encoding="utf-8")
    doc = load_document(Path("spec.yaml"))
    assert [c["clientId"] for c in doc.data["clients"]] == ["one", "two"]
    assert doc.data["clients"][1]["redirectUris"] == ["https://a.example/*"]


def test_a_huge_list_of_mappings_is_judged_unique_by_hashing() -> None:
    # jsonschema compares unhashable items pair by pair: 20,000 of them took minutes.
    items = ", ".join(["{}"] * 20_000)
    code, out, err = validate(f"realm: {{name: x, defaultDefaultClientScopes: [{items}]}}\n")
    lines = out.splitlines()
    assert (code, len(lines), err) == (1, 20_001, "error: 20001 problem(s) in 1 file(s)\n")
    assert lines[0] == (
        "spec.yaml:1:47: realm.defaultDefaultClientScopes[0]: must be a string, not a mapping"
    )
    assert "spec.yaml:1:51: realm.defaultDefaultClientScopes[1]: {} is listed more than once" in (
        lines
    )


def test_plan_applies_the_bounds_before_reaching_keycloak() -> None:
    Path("spec.yaml").write_text(billion_laughs(), encoding="utf-8")
    # Nothing listens on port 9: an attempt to connect would end in another message.
    result = run_cli("plan", "spec.yaml", "--url", "http://127.0.0.1:9", "--username", "admin")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("error: spec.yaml:7:47: lol5[7]: aliases expand the file")
    assert result.err.count("\n") == 1


def test_the_scan_reports_the_first_bound_passed_as_a_spec_error() -> None:
    with pytest.raises(SpecError) as caught:
        limits.check_limits("f.yaml", "a: " + "[" * 70 + "]" * 70, limits.yaml.SafeLoader)
    assert [str(p) for p in caught.value.problems] == [
        f"f.yaml:1:67: a{'[0]' * 63}: nested more than 64 levels deep, aliases expanded"
    ]


def test_a_key_with_a_line_break_is_reported_on_one_line() -> None:
    # Found by tests/test_fuzz.py: the key was printed as written, forging a second error line.
    result = validate('realm: {name: x}\n"a\\nerror: forged": 1\n')
    assert result == (
        1,
        "spec.yaml:2:1: a\\x0aerror: forged: unknown key 'a\\x0aerror: forged'; allowed keys:"
        f" {TOP_KEYS}\n",
        ONE_PROBLEM,
    )
