"""An authentication flow as a tree of steps, read from a spec or from Keycloak, and turned
into the flat fields the comparison sees.

A step is an authenticator (keyed by its provider id within its flow) or a sub-flow (keyed
`flow <alias>`: flow aliases are unique in a realm). The fields name each step by where it is,
so a plan reads in words: `executions: moved auth-cookie to 2`,
`my-forms/auth-otp-form requirement: REQUIRED -> CONDITIONAL`, `flow my-forms executions: + x`.
A key the spec leaves out of a step is left alone; an `executions` list is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Flows
from kcconf.model.objects import MASKED, Secret, text

SUB = "flow "  # the key prefix of a sub-flow step
# Config keys that hold a secret (reCAPTCHA's `secret`, a password): shown as `(sensitive)` in
# plans whichever side holds them, and written in a spec only as `{env: NAME}`.
SECRET_WORDS = ("secret", "password")
Config = dict[str, "str | Secret"]
Resolve = Callable[[tuple[str | int, ...], Mapping[str, str]], "Secret | None"]


@dataclass
class Flow:
    """A (sub-)flow: None marks what the spec leaves alone."""

    alias: str
    description: str | None = None
    provider_id: str | None = None
    steps: list[Step] | None = None
    id: str = ""  # live only


@dataclass
class Step:
    key: str  # the authenticator's provider id, or `flow <alias>`
    requirement: str | None = None
    config_alias: str | None = None
    config: Config | None = None
    sub: Flow | None = None
    provider: str | None = None  # the authenticator, or a form-flow's form provider
    raw: dict[str, Any] = field(default_factory=dict)  # live: the execution as Keycloak has it


def secret_key(key: str) -> bool:
    """Whether a config key names a secret: its last dotted part ends in one of SECRET_WORDS
    (`client.secret`, `secret`; not `require.password.update.after.registration`)."""
    return key.lower().rsplit(".", 1)[-1].endswith(SECRET_WORDS)


def config_value(key: str, value: Any) -> str | Secret:
    """A config value as compared: text, or a Secret under a secret key."""
    if isinstance(value, Secret):
        return value
    if not secret_key(key) or value == MASKED:  # masked: no secret to hide (19.10)
        return text(value)
    return Secret(text(value))


def from_spec(spec: Mapping[str, Any], path: tuple[str | int, ...], resolve: Resolve) -> Flow:
    steps = spec.get("executions")
    return Flow(
        str(spec["alias"]),
        spec.get("description"),
        spec.get("providerId", spec.get("type")),
        None
        if steps is None
        else [_spec_step(s, (*path, "executions", i), resolve) for i, s in enumerate(steps)],
    )


def _spec_step(spec: Mapping[str, Any], path: tuple[str | int, ...], resolve: Resolve) -> Step:
    if "flow" in spec:
        sub = spec["flow"]
        flow = from_spec(sub, (*path, "flow"), resolve)
        requirement = sub.get("requirement", spec.get("requirement"))  # either place
        return Step(SUB + flow.alias, requirement, sub=flow, provider=sub.get("authenticator"))
    config = spec.get("config")
    values: Config | None = None
    if config is not None:
        values = {}
        for key, value in (config.get("config") or {}).items():
            if isinstance(value, Mapping):  # {env: NAME}
                found = resolve((*path, "config", "config", key), value)
                if found is not None:
                    values[key] = found
            else:
                values[key] = config_value(key, value)
    return Step(
        str(spec["authenticator"]),
        spec.get("requirement"),
        None if config is None else str(config["alias"]),
        values,
        provider=str(spec["authenticator"]),
    )


def revealed(config: Config | None) -> dict[str, str]:
    """A config as Keycloak takes it: secrets revealed."""
    return {k: v.reveal() if isinstance(v, Secret) else v for k, v in (config or {}).items()}


def read(admin: RealmAdmin, top: Mapping[str, Any]) -> Flow:
    """A top-level flow with its whole tree, sub-flows' types and authenticator configs."""
    flow = Flow(str(top["alias"]), top.get("description") or "", top.get("providerId"), [])
    flow.id = str(top["id"])
    stack: list[Flow] = [flow]
    for rep in Flows.executions(admin, flow.alias):
        del stack[int(rep.get("level") or 0) + 1 :]
        step = _live_step(admin, rep)
        assert stack[-1].steps is not None
        stack[-1].steps.append(step)
        if step.sub is not None:
            stack.append(step.sub)
    return flow


def _live_step(admin: RealmAdmin, rep: dict[str, Any]) -> Step:
    step = Step("", rep.get("requirement"), raw=rep, provider=rep.get("providerId"))
    if rep.get("authenticationFlow"):
        sub = Flows.flow(admin, str(rep["flowId"]))
        step.sub = Flow(str(sub["alias"]), sub.get("description") or "", sub.get("providerId"), [])
        step.sub.id = str(sub["id"])
        step.key = SUB + step.sub.alias
    else:
        step.key = str(rep.get("providerId"))
    if rep.get("authenticationConfig"):
        config = Flows.config(admin, str(rep["authenticationConfig"]))
        step.config_alias = str(config.get("alias"))
        step.config = {k: config_value(k, v) for k, v in (config.get("config") or {}).items()}
    return step


def fields(flow: Flow) -> dict[str, Any]:
    """The flat fields of a top-level flow and everything below it."""
    out: dict[str, Any] = {}
    if flow.description is not None:
        out["description"] = flow.description
    if flow.provider_id is not None:
        out["providerId"] = flow.provider_id
    if flow.steps is not None:
        out["executions"] = [s.key for s in flow.steps]
        out.update(_step_fields(flow))
    return out


def _step_fields(flow: Flow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for step in flow.steps or []:
        name = step.key if step.sub is not None else f"{flow.alias}/{step.key}"
        if step.requirement is not None:
            out[f"{name} requirement"] = step.requirement
        if step.config_alias is not None:
            out[f"{name} config alias"] = step.config_alias
            out[f"{name} config"] = step.config
        if step.sub is not None:
            if step.provider is not None:
                out[f"{name} form"] = step.provider
            out.update(_sub_fields(step.sub))
    return out


def _sub_fields(sub: Flow) -> dict[str, Any]:
    name = SUB + sub.alias
    out: dict[str, Any] = {}
    if sub.description is not None:
        out[f"{name} description"] = sub.description
    if sub.provider_id is not None:
        out[f"{name} providerId"] = sub.provider_id
    if sub.steps is not None:
        out[f"{name} executions"] = [s.key for s in sub.steps]
        out.update(_step_fields(sub))
    return out


def from_fields(alias: str, values: Mapping[str, Any], prefix: str = "") -> Flow:
    """The tree `fields` flattened (apply works from the desired object's fields)."""
    keys = values.get(f"{prefix}executions")
    flow = Flow(alias, values.get(f"{prefix}description"), values.get(f"{prefix}providerId"))
    if keys is None:
        return flow
    flow.steps = []
    for key in keys:
        sub = name = None
        if key.startswith(SUB):
            name = key
            sub = from_fields(key[len(SUB) :], values, f"{key} ")
        name = name or f"{alias}/{key}"
        flow.steps.append(
            Step(
                key,
                values.get(f"{name} requirement"),
                values.get(f"{name} config alias"),
                values.get(f"{name} config"),
                sub,
                values.get(f"{name} form") if sub else key,
            )
        )
    return flow


def sub_flows(flow: Flow) -> Iterable[Flow]:
    """Every sub-flow below `flow`, depth first."""
    for step in flow.steps or []:
        if step.sub is not None:
            yield step.sub
            yield from sub_flows(step.sub)


def aliases(flow: Flow) -> set[str]:
    return {flow.alias, *(sub.alias for sub in sub_flows(flow))}
