from pathlib import Path

import pytest

import kcconf.spec.yamlload
from kcconf.spec.marks import PositionView
from kcconf.spec.yamlload import Document, load_document

SPEC = """\
realm:
  name: demo
clients:
  - clientId: app
    redirectUris: [a, b]
    attributes: {}
  - clientId: other
"""


@pytest.fixture
def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Document, Document]:
    """The positions of SPEC as marks (the plain pass) and as dicts (the full path)."""
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    plain = load_document(path)
    assert isinstance(plain.positions, PositionView)
    monkeypatch.setattr(kcconf.spec.yamlload, "build_plain", lambda name, text, loader: None)
    full = load_document(path)
    assert isinstance(full.positions, dict)
    return plain, full


LOOKUPS = [
    (),
    ("realm",),
    ("realm", "name"),
    ("realm", "name", "deeper"),
    ("realm", 0),
    ("clients", 0),
    ("clients", 1, "clientId"),
    ("clients", 2),
    ("clients", -1),
    ("clients", True),
    ("clients", "0"),
    ("clients", 0, "redirectUris", 1),
    ("clients", 0, "attributes"),
    ("clients", 0, "attributes", "x"),
    ("missing",),
]


@pytest.mark.parametrize("path", LOOKUPS, ids=repr)
def test_marks_answer_as_the_dicts_do(
    both: tuple[Document, Document], path: tuple[str | int, ...]
) -> None:
    plain, full = both
    for view in ("positions", "value_positions"):
        marks, dicts = getattr(plain, view), getattr(full, view)
        assert marks.get(path) == dicts.get(path)
        assert (path in marks) == (path in dicts)
    assert plain.where(path) == full.where(path)
    assert plain.where_value(path) == full.where_value(path)


def test_marks_list_every_path_in_the_dicts_order(both: tuple[Document, Document]) -> None:
    plain, full = both
    for view in ("positions", "value_positions"):
        marks, dicts = getattr(plain, view), getattr(full, view)
        assert list(marks.items()) == list(dicts.items())
        assert len(marks) == len(dicts)
