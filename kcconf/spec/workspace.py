"""Finding and loading the specs a command names: files and directories, one realm per file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kcconf.errors import KcconfError, Problem, SpecError, raise_if_problems
from kcconf.model.objects import State
from kcconf.spec.desired import desired_state
from kcconf.spec.validate import check_document, duplicate_realms, unresolved_references
from kcconf.spec.yamlload import Document, load_document

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SpecFile:
    path: Path
    desired: State
    sha256: str
    # Names neither declared nor built in: missing from a realm that does not exist yet.
    unresolved: tuple[Problem, ...] = ()

    @property
    def realm(self) -> str:
        return self.desired.realm


def spec_paths(paths: Sequence[Path]) -> list[Path]:
    """The files named, and every YAML file under the directories named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        else:
            found.append(path)
    # A file named twice (`realms/ realms/a.yaml`) is one spec, not a duplicate realm.
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    found = list(unique.values())
    if not found:
        raise KcconfError(f"no spec files (*.yaml, *.yml) in {', '.join(map(str, paths))}")
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_all(paths: Sequence[Path], realm: str | None = None) -> list[SpecFile]:
    """Every spec under `paths` (only realm `realm` if given); all problems reported at once,
    the same `kcconf validate` reports, bar the references plan checks against the live realm."""
    specs: list[SpecFile] = []
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in spec_paths(paths):
        try:
            doc = load_document(path)
            raise_if_problems(check_document(doc, references=False))
            docs.append(doc)  # its realm counts for duplicates, even if a secret is missing
            unresolved = tuple(unresolved_references(doc))
            specs.append(SpecFile(path, desired_state(doc), digest(path), unresolved))
        except SpecError as exc:
            problems.extend(exc.problems)
    problems.extend(duplicate_realms(docs))
    if problems:
        raise SpecError(sorted(problems, key=lambda p: p.location))
    if realm is not None:
        specs = [s for s in specs if s.realm == realm]
        if not specs:
            raise KcconfError(f"no spec declares realm {realm!r}")
    return specs
