"""A checked spec document turned into the desired state: each kind's objects, secrets resolved."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kcconf.errors import raise_if_problems
from kcconf.kinds import KINDS, prune_keys
from kcconf.kinds.base import SpecContext
from kcconf.model.objects import Limits, State
from kcconf.spec.yamlload import Document


def desired_state(doc: Document, env: Mapping[str, str] | None = None) -> State:
    """The desired state of a document the schema and the checks accepted. What only this step
    finds (an environment variable that is not set) is raised at once (SpecError)."""
    ctx = SpecContext(doc, os.environ if env is None else env)
    state = State(ctx.realm, prune=prune_policy(doc.data), limits=limits(doc.data))
    state.assertions = {k: doc.data[k] for k in ("tokens", "impersonation") if k in doc.data}
    for kind in KINDS:
        for obj in kind.desired(ctx):
            state.add(obj)
    state.containers.update(ctx.containers)
    raise_if_problems(ctx.problems)
    return state


def prune_policy(data: Mapping[str, Any]) -> dict[str, str]:
    """kind -> "created" (only what kcconf made) or "all" (every undeclared non-built-in)."""
    block = data.get("prune") or {}
    return {kind: block[key] for key, kind in prune_keys().items() if key in block}


def limits(data: Mapping[str, Any]) -> Limits:
    block = (data.get("prune") or {}).get("limits") or {}
    default = Limits()
    return Limits(
        max_deletes=block.get("maxDeletes", default.max_deletes),
        max_percent=block.get("maxDeletePercent", default.max_percent),
    )
