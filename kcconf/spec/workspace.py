"""Finding and loading the specs a command names: files and directories, one realm per file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kcconf.errors import KcconfError, Problem, SpecError
from kcconf.model.objects import State
from kcconf.spec.load import load_spec

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SpecFile:
    path: Path
    desired: State
    sha256: str

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
    """Every spec under `paths` (only realm `realm` if given); all problems reported at once."""
    specs: list[SpecFile] = []
    problems: list[Problem] = []
    for path in spec_paths(paths):
        try:
            specs.append(SpecFile(path, load_spec(path), digest(path)))
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems)
    _refuse_duplicates(specs)
    if realm is not None:
        specs = [s for s in specs if s.realm == realm]
        if not specs:
            raise KcconfError(f"no spec declares realm {realm!r}")
    return specs


def _refuse_duplicates(specs: list[SpecFile]) -> None:
    first: dict[str, Path] = {}
    for spec in specs:
        if spec.realm in first:
            raise KcconfError(
                f"realm {spec.realm!r} is declared by both {first[spec.realm]} and {spec.path}"
            )
        first[spec.realm] = spec.path
