"""Saved plans: `kcconf plan --out plan.json` and `kcconf apply plan.json`.

A saved plan is the JSON plan document plus what it was made from: each spec file's digest and
a fingerprint of every live object the plan touches. Applying it re-reads both; if a spec file
or a touched object changed since, or the plan computed now differs, it refuses and changes
nothing. Secrets are not in the file: they are read again from the environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcconf.errors import KcconfError
from kcconf.model.objects import Obj, Secret
from kcconf.output.json_plan import FORMAT_VERSION, document
from kcconf.planning.plan import Plan
from kcconf.spec.workspace import SpecFile, digest

KIND = "kcconf-saved-plan"


@dataclass(frozen=True)
class Saved:
    data: dict[str, Any]

    @property
    def spec_paths(self) -> list[Path]:
        return [Path(s["path"]) for s in self.data["saved"]["specs"]]


def save(path: Path, specs: Sequence[SpecFile], plans: Sequence[Plan]) -> None:
    doc = document(plans)
    doc["saved"] = {
        "kind": KIND,
        "specs": [{"path": str(s.path), "realm": s.realm, "sha256": s.sha256} for s in specs],
        "fingerprints": {p.realm: fingerprints(p) for p in plans},
    }
    write_private(path, json.dumps(doc, indent=2, default=str) + "\n")


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` for its owner alone (0600), whole or not at all.

    A plan names every object it touches, so it is not for other users of the machine. A
    symbolic link at `path` is refused rather than followed: it could point anywhere a
    reviewer's pipeline may write. The text goes to a temporary file beside `path` that then
    replaces it in one rename, which never follows a link either; an interruption leaves the
    old file or none, never half a plan.
    """
    if path.is_symlink():
        raise KcconfError(f"not saving the plan to {path}: it is a symbolic link; name a file")
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KcconfError(f"cannot save the plan to {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as exc:  # KeyboardInterrupt too: no temporary file is left behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise KcconfError(f"cannot save the plan to {path}: {exc.strerror}") from None
        raise


def is_saved_plan(path: Path) -> bool:
    """Whether `path` is a *.json file holding a whole saved plan."""
    if path.suffix != ".json":
        return False
    try:
        return open_saved(path) is not None
    except KcconfError:
        return False


def load(path: Path) -> Saved:
    """The saved plan in `path`; a one-line error when the file is not a whole one."""
    found = open_saved(path)
    if found is None:
        raise KcconfError(f"{path} is not a saved plan: {EXPECTED}")
    return found


EXPECTED = "expected the file `kcconf plan --out FILE` writes"


def open_saved(path: Path) -> Saved | None:
    """The saved plan `kcconf apply PATH` was given, or None when PATH is meant as a spec.

    A file that is recognisably meant as a plan but is not a whole saved plan is refused with
    what it is: a directory named *.json, the output of `kcconf plan --format json` (it lacks
    what the plan was made from), a damaged or incomplete saved plan, one of another format.
    """
    if path.is_dir():
        if path.suffix == ".json":
            raise KcconfError(f"{path} is a directory, not a saved plan: {EXPECTED}")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the spec loader says what is wrong with it
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # Plans are JSON objects that open with their format_version and end with `saved`:
        # half of one starts with `{` and holds either. A YAML spec may name its realm
        # kcconf-saved-plan, and is a spec all the same.
        if text.lstrip().startswith("{") and (f'"{KIND}"' in text or '"format_version"' in text):
            raise KcconfError(
                f"{path} is a damaged plan (not JSON at line {exc.lineno}): make a new plan"
            ) from None
        return None
    if not isinstance(data, dict) or ("saved" not in data and "realms" not in data):
        return None
    lacking = _lacking(data)
    if lacking is not None:
        raise KcconfError(f"{path} {lacking}: {EXPECTED}")
    return Saved(data)


def _lacking(data: Mapping[str, Any]) -> str | None:
    """What keeps `data` from being a whole saved plan, said of the file; None if nothing."""
    saved = data.get("saved")
    if saved is None:
        return "is the output of `kcconf plan --format json`, which cannot be applied"
    if not isinstance(saved, dict) or saved.get("kind") != KIND:
        return "is not a saved plan: its saved.kind is not " + KIND
    found = data.get("format_version")
    if not isinstance(found, int):
        return "is an incomplete saved plan: format_version is missing or malformed"
    if found != FORMAT_VERSION:
        return f"is a saved plan of format {found}, and this kcconf reads {FORMAT_VERSION}"
    malformed = _malformed(data, saved)
    if malformed is not None:
        return f"is an incomplete saved plan: {malformed} is missing or malformed"
    return None


def _malformed(data: Mapping[str, Any], saved: Mapping[str, Any]) -> str | None:
    """The first key of a saved plan that apply reads and that is not as `save` writes it."""
    specs = saved.get("specs")
    if not specs or not _dicts_of_text(specs, ("path", "realm", "sha256")):
        return "saved.specs"
    prints = saved.get("fingerprints")
    if not isinstance(prints, dict) or not all(isinstance(p, dict) for p in prints.values()):
        return "saved.fingerprints"
    if not _dicts_of_text(data.get("realms"), ("realm",)):
        return "realms"
    return None


def _dicts_of_text(value: Any, keys: tuple[str, ...]) -> bool:
    """A list of mappings, each with a text value at every one of `keys`."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys) for item in value
    )


def check_specs(saved: Saved) -> None:
    """Refuse when a spec file the plan was made from changed (or is gone) since."""
    changed = []
    for spec in saved.data["saved"]["specs"]:
        path = Path(spec["path"])
        if not path.exists() or digest(path) != spec["sha256"]:
            changed.append(spec["path"])
    if changed:
        raise KcconfError(
            f"not applying the saved plan: spec file(s) changed since it was made: "
            f"{', '.join(changed)}; make a new plan"
        )


def check_current(saved: Saved, plans: Sequence[Plan]) -> None:
    """Refuse when touched live objects changed, or the plan now differs, naming what changed."""
    selected = {p.realm for p in plans}  # `--realm` may apply one realm of a saved plan
    then: Mapping[str, Mapping[str, str | None]] = {
        realm: prints
        for realm, prints in saved.data["saved"]["fingerprints"].items()
        if realm in selected
    }
    moved = [
        f"{address} in realm {p.realm}"
        for p in plans
        for address, fp in fingerprints(p).items()
        if then.get(p.realm, {}).get(address, fp) != fp
    ]
    moved += [
        f"{address} in realm {realm}"
        for realm, prints in then.items()
        for address in prints
        if address not in _all_prints(plans).get(realm, {})
    ]
    if moved:
        raise KcconfError(
            f"not applying the saved plan: changed in Keycloak since it was made: "
            f"{', '.join(sorted(set(moved)))}; make a new plan"
        )
    if _comparable(document(plans)) != _comparable(saved.data, selected):
        raise KcconfError("not applying the saved plan: the plan made now differs from it")


def _all_prints(plans: Sequence[Plan]) -> dict[str, dict[str, str | None]]:
    return {p.realm: fingerprints(p) for p in plans}


def _comparable(doc: Mapping[str, Any], only: set[str] | None = None) -> Any:
    realms = [
        {k: v for k, v in r.items() if k != "unmanaged"}
        for r in doc["realms"]
        if only is None or r["realm"] in only
    ]
    return json.loads(json.dumps(realms, default=str))


def fingerprints(plan: Plan) -> dict[str, str | None]:
    """Address -> digest of the live object each change touches (None: it did not exist)."""
    prints: dict[str, str | None] = {}
    for change in plan.changes:
        prints[str(change.live_address)] = None if change.live is None else _print(change.live)
    return prints


def _print(obj: Obj) -> str:
    """A digest of what kcconf compares; secrets are only marked, their values stay out."""
    fields = {k: ("(secret)" if isinstance(v, Secret) else v) for k, v in obj.fields.items()}
    relations = {k: sorted(v) for k, v in obj.relations.items()}
    body = json.dumps({"fields": fields, "relations": relations}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
