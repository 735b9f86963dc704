from pathlib import Path

import pytest

import kcconf.spec.yamlload
from kcconf.errors import SpecError
from kcconf.spec.validate import validate_files
from kcconf.spec.yamlfast import build_plain
from kcconf.spec.yamlload import FAST_LOADER, Document, load_document

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    path
    for folder in ("realms", "examples", "demo", "tests/data")
    for pattern in ("*.yaml", "*.yml")
    for path in (ROOT / folder).rglob(pattern)
)

TYPED = """\
realm: {name: x, enabled: yes, n: 0x1F, f: 1.5e3, inf: .inf, d: 2001-12-14, nul: ~, e: }
on: off
1: one
~: tilde
"": empty
'<<': a key named so, not a merge
lists:
  - - a
    - [b, "c", {d: 'e'}]
  - |
    block
  - >-
    folded
  - -12
  - +3
  - 2001-12-14t21:59:43.10-05:00
unicode: {é: "😀"}
"""


def full_path(path: Path, monkeypatch: pytest.MonkeyPatch) -> Document:
    with monkeypatch.context() as patch:
        patch.setattr(kcconf.spec.yamlload, "build_plain", lambda name, text, loader: None)
        return load_document(path)


def same(plain: Document, full: Document) -> None:
    assert repr(plain.data) == repr(full.data)  # repr: True and 1 differ
    assert list(plain.positions.items()) == list(full.positions.items())
    assert list(plain.value_positions.items()) == list(full.value_positions.items())


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_plain_pass_builds_what_the_full_path_builds(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text("utf-8-sig")
    if build_plain("spec.yaml", text, FAST_LOADER) is None:
        pytest.skip("not a plain spec")
    same(load_document(path), full_path(path, monkeypatch))


def test_typed_scalars_and_odd_keys_come_out_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(TYPED, encoding="utf-8")
    assert build_plain("spec.yaml", TYPED, FAST_LOADER) is not None
    same(load_document(path), full_path(path, monkeypatch))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- a\n",
        "realm: &r {name: x}\nother: *r\n",
        "base: &b {a: 1}\nrealm: {<<: *b, name: x}\n",
        "realm: !!map {name: x}\n",
        "realm: {name: !!str 5}\n",
        "realm: {name: x}\n---\nrealm: {name: y}\n",
        "realm: {name: x, v: =}\n",
        "realm: {name: [unclosed}\n",
        "? [a]\n: b\n",
        "realm: " + "[" * 64 + "]" * 64 + "\n",
    ],
)
def test_anything_not_plain_takes_the_full_path(text: str) -> None:
    assert build_plain("spec.yaml", text, FAST_LOADER) is None


REPEATED = [
    "realm: {name: x, name: y}\n",
    "realm: {name: x, name: y, name: z}\n",
    # The full path reports a mapping's repeated keys before those of what it holds.
    "a:\n  b: 1\n  b: 2\na:\n  - {c: 1, c: 2}\n  - [{d: 1, d: 1}]\nrealm: {name: x}\nrealm: 1\n",
    "users:\n  - {username: a, email: x, email: y}\n  - {username: b, groups: [], groups: []}\n",
]


@pytest.mark.parametrize("text", REPEATED)
def test_repeated_keys_are_reported_as_the_full_path_reports_them(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as plain:
        build_plain(str(path), text, FAST_LOADER)
    with pytest.raises(SpecError) as full:
        full_path(path, monkeypatch)
    assert plain.value.problems == full.value.problems


def large_spec(last_user: str) -> str:
    users = "".join(f"  - username: user-{i:05d}\n    enabled: true\n" for i in range(9_999))
    return f"realm:\n  name: big\nusers:\n{users}{last_user}"


def test_a_problem_in_the_ten_thousandth_user_names_its_line(
    offline_here: None, tmp_path: Path
) -> None:
    last = 4 + 2 * 9_999  # the 10,000th user's first line
    path = Path("spec.yaml")
    path.write_text(large_spec("  - username: last-user\n    enabled: maybe\n"), "utf-8")
    assert [str(p) for p in validate_files([path])] == [
        f"spec.yaml:{last + 1}:5: users[9999].enabled: must be a boolean, not a string"
    ]
    path.write_text(large_spec("  - username: last-user\n    username: again\n"), "utf-8")
    with pytest.raises(SpecError) as caught:
        load_document(path)
    assert [str(p) for p in caught.value.problems] == [
        f"spec.yaml:{last + 1}:5: users[9999].username: duplicate key 'username': written on"
        f" lines {last} and {last + 1}"
    ]
