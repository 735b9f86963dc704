"""Loading a spec file into the desired state: parse with locations, validate, resolve secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kcconf.errors import raise_if_problems
from kcconf.kinds import KINDS
from kcconf.kinds.base import SpecContext
from kcconf.model import State
from kcconf.validate import check_document
from kcconf.yamlload import load_document


def load_spec(path: Path, env: Mapping[str, str] | None = None) -> State:
    """The desired state of the realm in `path`; every problem is raised at once (SpecError).

    References to roles and scopes that are neither declared nor built in are left to the plan,
    which also knows what exists live.
    """
    doc = load_document(path)
    raise_if_problems(check_document(doc, references=False))
    ctx = SpecContext(doc, os.environ if env is None else env)
    state = State(ctx.realm)
    for kind in KINDS:
        for obj in kind.desired(ctx):
            state.add(obj)
    raise_if_problems(ctx.problems)
    return state
