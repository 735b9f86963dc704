"""Loading a spec file into the desired state: parse with locations, validate, resolve secrets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kcconf.errors import raise_if_problems
from kcconf.model.objects import State
from kcconf.spec.desired import desired_state
from kcconf.spec.validate import check_document
from kcconf.spec.yamlload import load_document


def load_spec(path: Path, env: Mapping[str, str] | None = None) -> State:
    """The desired state of the realm in `path`; every problem is raised at once (SpecError).

    References to roles and scopes that are neither declared nor built in are left to the plan,
    which also knows what exists live.
    """
    doc = load_document(path)
    raise_if_problems(check_document(doc, references=False))
    return desired_state(doc, env)
