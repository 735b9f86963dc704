"""Plans as a JSON document: the `--format json` output and the body of a saved plan.

The format is versioned (FORMAT_VERSION) and described by docs/plan-format.schema.json; keys
come in a fixed order so two plans of the same changes are byte-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from kcconf.kinds import BY_NAME, relation
from kcconf.model.changes import Action, Change, FieldChange
from kcconf.planning.plan import Plan, rename_hints
from kcconf.planning.safety import deletion_notes

FORMAT_VERSION = 1
SENSITIVE = "(sensitive)"
ACTIONS = {Action.CREATE: "create", Action.UPDATE: "update", Action.DELETE: "delete"}


def document(plans: Sequence[Plan]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "kcconf_version": version("kcconf"),
        "summary": summary(plans),
        "realms": [realm_document(p) for p in plans],
    }


def summary(plans: Sequence[Plan]) -> dict[str, int]:
    return {
        "add": sum(p.count(Action.CREATE) for p in plans),
        "change": sum(p.count(Action.UPDATE) for p in plans),
        "delete": sum(p.count(Action.DELETE) for p in plans),
    }


def realm_document(plan: Plan) -> dict[str, Any]:
    return {
        "realm": plan.realm,
        "exists": plan.realm_exists,
        "summary": summary([plan]),
        "changes": [change_document(c) for c in plan.changes],
        "notes": rename_hints(plan) + [f"{a} {note}" for a, note in deletion_notes(plan)],
        "warnings": list(plan.warnings),
        "unmanaged": dict(sorted(plan.unmanaged.items())),
    }


def change_document(change: Change) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "address": str(change.address),
        "kind": change.address.kind,
        "name": change.address.name,
        "action": ACTIONS[change.action],
        "renamed_from": change.renamed_from,
        "fields": [field_document(f) for f in change.fields],
        "relations": [
            {
                "name": rel.name,
                "label": relation(change.address.kind, rel.name).label,
                "added": list(rel.added),
                "removed": list(rel.removed),
            }
            for rel in change.relations
        ],
    }
    if change.address.parent is not None:  # only child objects carry the key
        doc["parent"] = str(change.address.parent)
    replaces = BY_NAME[change.address.kind].replaces(change)
    if replaces:  # only changes apply refuses without --allow-replace carry the key
        doc["replaces"] = replaces
    return doc


def field_document(change: FieldChange) -> dict[str, Any]:
    if change.sensitive:
        # Whether it changes is all a reader may learn of a secret.
        before = None if change.old is None else SENSITIVE
        return {"name": change.name, "sensitive": True, "before": before, "after": SENSITIVE}
    return {"name": change.name, "sensitive": False, "before": change.old, "after": change.new}
