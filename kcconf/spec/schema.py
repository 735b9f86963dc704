"""The realm spec's JSON Schema, assembled from the base (shared definitions, `prune` limits,
`tokens`, `impersonation`) and each kind's own part, in the order the kinds are registered."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from kcconf.kinds import BY_NAME, REGISTERED


@functools.cache
def realm_schema() -> dict[str, Any]:
    """The whole schema; `kcconf schema` prints it for editors."""
    text = resources.files("kcconf").joinpath("spec/base.schema.json").read_text("utf-8")
    base: dict[str, Any] = json.loads(text)
    schema = copy.deepcopy(base)
    properties: dict[str, Any] = {}
    prune: dict[str, Any] = {}
    for kind in REGISTERED:
        part = kind.schema()
        schema["$defs"].update(copy.deepcopy(part.get("defs", {})))
        if "prune" in part and kind.prune_key:
            prune[kind.prune_key] = part["prune"]
        if "property" in part and not kind.parents:
            properties[kind.spec_key] = part["property"]
    for kind in REGISTERED:  # children's keys go into each parent's item definition
        for parent in kind.parents:
            item = schema["$defs"][BY_NAME[parent].schema()["item"]]
            item["properties"][kind.spec_key] = kind.schema()["property"]
    schema["properties"] = {**properties, **base["properties"]}
    block = schema["properties"]["prune"]
    block["properties"] = {**prune, **block["properties"]}
    return schema
