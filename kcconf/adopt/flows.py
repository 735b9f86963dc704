"""An export's authentication flows as `authenticationFlows`, authenticator configs attached to
their executions by alias, and clients' flow overrides by alias.

A flow is written when it is the realm's own: not one of a new realm's, or one of them whose
requirements, configs or descriptions differ. A built-in flow whose executions differ in any
other way is reported: Keycloak refuses to change a built-in flow's structure. Flows older
Keycloak versions made themselves (built in there, absent from a new realm here) are reported,
as are configs no execution uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kcconf.adopt.items import Item, Rep
from kcconf.adopt.report import Report
from kcconf.kinds.flow_tree import secret_key

FLOWS = "authenticationFlows"
CONFIGS = "authenticatorConfig"
OVERRIDES = "authenticationFlowBindingOverrides"
SETTINGS = ("requirement", "config", "description")  # what a built-in flow may change


def own_flows(rep: Rep, base: Rep) -> set[str]:
    """Aliases of the top-level flows a spec of this export can bind: a new realm's and the
    export's own."""
    known = {str(f["alias"]) for f in base.get(FLOWS) or [] if f.get("topLevel")}
    mine = {str(f["alias"]) for f in rep.get(FLOWS) or [] if f.get("topLevel")}
    return known | {a for a in mine if a in known or not _builtin(rep, a)}


def _builtin(rep: Rep, alias: str) -> bool:
    return any(f.get("builtIn") and f["alias"] == alias for f in rep.get(FLOWS) or [])


def flows(rep: Rep, base: Rep, report: Report) -> list[Item]:
    base_items = {i["alias"]: i for i in _items(base, Report())}
    taken = {str(c["alias"]) for c in base.get(CONFIGS) or []}
    out = []
    for item in _items(rep, report):
        alias = item["alias"]
        own = base_items.get(alias)
        if own is None and _builtin(rep, alias):
            report.skip(
                f"{FLOWS}[{alias}]",
                "a flow older Keycloak versions create themselves, not in a new realm here",
            )
        elif own is None:
            out.append(_unique_configs(item, taken, report))
        elif _shape(item) != _shape(own):
            report.skip(
                f"{FLOWS}[{alias}]",
                "a built-in flow whose executions differ from a new realm's: Keycloak refuses "
                "to change a built-in flow's structure",
            )
        elif item != own:
            out.append(item)
    _unused_configs(rep, base, report)
    return out


def _items(rep: Rep, report: Report) -> list[Item]:
    by_alias = {str(f["alias"]): f for f in rep.get(FLOWS) or []}
    configs = {str(c["alias"]): c for c in rep.get(CONFIGS) or []}
    tops = sorted((f for f in by_alias.values() if f.get("topLevel")), key=lambda f: f["alias"])
    return [_flow(f, by_alias, configs, report) for f in tops]


def _flow(
    flow: Rep, by_alias: Mapping[str, Rep], configs: Mapping[str, Rep], report: Report
) -> Item:
    item: Item = {"alias": flow["alias"]}
    if flow.get("description"):
        item["description"] = flow["description"]
    item["providerId"] = flow.get("providerId") or "basic-flow"
    steps = sorted(
        flow.get("authenticationExecutions") or [], key=lambda e: int(e.get("priority") or 0)
    )
    item["executions"] = [_step(e, by_alias, configs, report) for e in steps]
    return item


def _step(
    step: Rep, by_alias: Mapping[str, Rep], configs: Mapping[str, Rep], report: Report
) -> Item:
    if step.get("authenticatorFlow") or step.get("autheticatorFlow"):
        sub = _flow(by_alias[str(step["flowAlias"])], by_alias, configs, report)
        return {"flow": {**sub, "requirement": step.get("requirement")}}
    out: Item = {"authenticator": step["authenticator"], "requirement": step.get("requirement")}
    alias = step.get("authenticatorConfig")
    config = configs.get(str(alias)) or {}
    if any(secret_key(k) for k in config.get("config") or {}):
        report.skip(
            f"{CONFIGS}[{alias}]",
            "holds a secret: written as {env: NAME} by hand, the export's value is not copied",
        )
    elif alias:
        out["config"] = {
            "alias": alias,
            "config": dict(sorted((config.get("config") or {}).items())),
        }
    return out


def _unique_configs(item: Item, taken: set[str], report: Report) -> Item:
    """A new flow's configs under aliases no other config has: older Keycloak versions let two
    configs share one (an exported copy of a built-in flow shares its configs' aliases), and
    Keycloak 26 refuses the second (docs/keycloak-facts.md 19)."""
    for step in item.get("executions") or []:
        if "flow" in step:
            _unique_configs(step["flow"], taken, report)
        elif "config" in step:
            alias = str(step["config"]["alias"])
            if alias in taken:
                new = next(
                    f"{alias} {n}" for n in range(2, len(taken) + 3) if f"{alias} {n}" not in taken
                )
                report.note(
                    f"{FLOWS}[{item['alias']}].{step['authenticator']}.config",
                    f"config alias {alias!r} written as {new!r}: another config has it",
                )
                step["config"]["alias"] = alias = new
            taken.add(alias)
    return item


def _shape(item: Any) -> Any:
    """A flow less what a built-in flow may change."""
    if isinstance(item, Mapping):
        return {k: _shape(v) for k, v in item.items() if k not in SETTINGS}
    if isinstance(item, list):
        return [_shape(v) for v in item]
    return item


def _unused_configs(rep: Rep, base: Rep, report: Report) -> None:
    used = {
        str(e.get("authenticatorConfig"))
        for f in rep.get(FLOWS) or []
        for e in f.get("authenticationExecutions") or []
    }
    known = {str(c["alias"]) for c in base.get(CONFIGS) or []}
    for config in rep.get(CONFIGS) or []:
        if config["alias"] not in used and config["alias"] not in known:
            report.skip(f"{CONFIGS}[{config['alias']}]", "no execution uses this config")


def overrides(rep: Rep, base: Rep, clients: list[Item], report: Report) -> list[Item]:
    """The clients' flow overrides by alias, added to their items (a client written for
    nothing else gets an item of its own)."""
    known = own_flows(rep, base)
    by_id = {
        str(f.get("id")): str(f["alias"])
        for f in rep.get(FLOWS) or []
        if f.get("topLevel") and f["alias"] in known
    }
    items = {str(c["clientId"]): c for c in clients}
    for client in rep.get("clients") or []:
        named = {}
        for key, flow_id in sorted((client.get(OVERRIDES) or {}).items()):
            if str(flow_id) in by_id:
                named[key] = by_id[str(flow_id)]
            elif flow_id:
                report.skip(
                    f"clients[{client['clientId']}].{OVERRIDES}.{key}",
                    "names no flow a spec can declare",
                )
        if named:
            item = items.setdefault(str(client["clientId"]), {"clientId": client["clientId"]})
            item[OVERRIDES] = named
    return [items[k] for k in sorted(items)]
