"""Saved plans: `kcconf plan --out plan.json` and `kcconf apply plan.json`.

A saved plan is the JSON plan document plus what it was made from: each spec file's digest and
a fingerprint of every live object the plan touches. Applying it re-reads both; if a spec file
or a touched object changed since, or the plan computed now differs, it refuses and changes
nothing. Secrets are not in the file: they are read again from the environment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcconf.errors import KcconfError
from kcconf.model.objects import Obj, Secret
from kcconf.output.json_plan import document
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
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")


def is_saved_plan(path: Path) -> bool:
    if path.suffix != ".json":
        return False
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and (data.get("saved") or {}).get("kind") == KIND


def load(path: Path) -> Saved:
    return Saved(json.loads(path.read_text()))


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
