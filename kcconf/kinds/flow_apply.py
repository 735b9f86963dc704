"""Changing an authentication flow in place: one (sub-)flow at a time, its unlisted executions
removed, the missing ones added, requirements and authenticator configs set, the order fixed
one move at a time, then each listed sub-flow the same way. Execution ids of the steps kept
stay as they are, so a bound flow keeps working while it changes (docs/keycloak-facts.md 19).
"""

from __future__ import annotations

from typing import Any

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Flows
from kcconf.kinds.flow_tree import SUB, Flow, Step, revealed

Rep = dict[str, Any]
FORM = "form-flow"
FORM_PROVIDER = "registration-page-form"  # the one form Keycloak ships


def children(admin: RealmAdmin, alias: str) -> dict[str, dict[str, Any]]:
    """The direct executions of a (sub-)flow by step key, in Keycloak's order."""
    out: dict[str, dict[str, Any]] = {}
    for rep in Flows.executions(admin, alias):
        if int(rep.get("level") or 0) == 0:
            key = SUB + str(rep["displayName"]) if rep.get("authenticationFlow") else None
            out[key or str(rep.get("providerId"))] = rep
    return out


def retyped(admin: RealmAdmin, step: Step, rep: dict[str, Any]) -> bool:
    """Whether a listed sub-flow has another type live (Keycloak cannot change it)."""
    if step.sub is None or step.sub.provider_id is None or not rep.get("authenticationFlow"):
        return False
    return Flows.flow(admin, str(rep["flowId"])).get("providerId") != step.sub.provider_id


def reconcile(admin: RealmAdmin, want: Flow) -> None:
    """Make the live (sub-)flow `want.alias` hold `want.steps`, in place. New steps are added
    (DISABLED, at the end) before any is removed, so a refused addition leaves the flow's
    working steps as they were; a retyped sub-flow can only be removed before it is added."""
    assert want.steps is not None
    wanted = {step.key: step for step in want.steps}
    live = _added(admin, want, children(admin, want.alias))
    gone = [r for k, r in live.items() if k not in wanted or retyped(admin, wanted[k], r)]
    for rep in gone:
        Flows.delete_execution(admin, str(rep["id"]))
    if gone:
        live = _added(admin, want, children(admin, want.alias))
    for step in want.steps:
        _settings(admin, want.alias, step, live[step.key])
    _order(admin, [step.key for step in want.steps], live)
    for step in want.steps:
        if step.sub is not None and step.sub.steps is not None:
            reconcile(admin, step.sub)


def _added(admin: RealmAdmin, want: Flow, live: dict[str, Rep]) -> dict[str, Rep]:
    """The steps `live` lacks added; the flow's executions as they are then."""
    missing = [step for step in want.steps or [] if step.key not in live]
    for step in missing:
        _add(admin, want.alias, step)
    return children(admin, want.alias) if missing else live


def _add(admin: RealmAdmin, alias: str, step: Step) -> None:
    if step.sub is None:
        Flows.add_execution(admin, alias, step.key)
        return
    kind = step.sub.provider_id or "basic-flow"
    body = {"alias": step.sub.alias, "type": kind, "description": step.sub.description or ""}
    if kind == FORM:
        body["provider"] = step.provider or FORM_PROVIDER
    Flows.add_flow(admin, alias, body)


def _settings(admin: RealmAdmin, alias: str, step: Step, rep: dict[str, Any]) -> None:
    """Requirement, authenticator config and sub-flow description, each written only when
    it differs."""
    if step.requirement is not None and rep.get("requirement") != step.requirement:
        Flows.update_execution(admin, alias, {**rep, "requirement": step.requirement})
    if step.config_alias is not None:
        _config(admin, step, rep)
    sub = step.sub
    if sub is not None and sub.description not in (None, rep.get("description") or ""):
        flow = Flows.flow(admin, str(rep["flowId"]))
        Flows.update_flow(admin, {**_bare(flow), "description": sub.description})


def _config(admin: RealmAdmin, step: Step, rep: dict[str, Any]) -> None:
    body = {"alias": step.config_alias, "config": revealed(step.config)}
    if not rep.get("authenticationConfig"):
        Flows.add_config(admin, str(rep["id"]), body)
        return
    live = Flows.config(admin, str(rep["authenticationConfig"]))
    if live.get("alias") != body["alias"] or (live.get("config") or {}) != body["config"]:
        Flows.update_config(admin, {**live, **body})


def _order(admin: RealmAdmin, order: list[str], live: dict[str, dict[str, Any]]) -> None:
    """Each step raised into its place, one position per request (Keycloak's only move)."""
    current = [key for key in live if key in order]
    for place, key in enumerate(order):
        at = current.index(key)
        while at > place:
            Flows.move(admin, str(live[key]["id"]), up=True)
            current[at - 1], current[at] = current[at], current[at - 1]
            at -= 1


def _bare(flow: dict[str, Any]) -> dict[str, Any]:
    """A flow representation without its executions, as its PUT takes it."""
    return {k: v for k, v in flow.items() if k != "authenticationExecutions"}


def create(admin: RealmAdmin, want: Flow) -> None:
    body = {
        "alias": want.alias,
        "description": want.description or "",
        "providerId": want.provider_id or "basic-flow",
        "topLevel": True,
        "builtIn": False,
    }
    Flows.TOP.create(admin, body)
    if want.steps is not None:
        reconcile(admin, want)


def update(admin: RealmAdmin, want: Flow, flow_id: str) -> None:
    """Each part read again right before it is written (flows are not compared as a whole
    before the write: their executions are read and changed one flow level at a time)."""
    live = Flows.flow(admin, flow_id)
    if want.description is not None and want.description != (live.get("description") or ""):
        Flows.update_flow(admin, {**_bare(live), "description": want.description})
    if want.steps is not None:
        reconcile(admin, want)
