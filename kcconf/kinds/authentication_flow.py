"""Authentication flows (`authenticationFlows`, top level, by alias): description, type and
their executions in order, sub-flows nested, authenticator configs by alias.

One `authentication-flow` object per top-level flow; its tree is flat fields (flow_tree.py)
and apply changes it in place (flow_apply.py), never deleting and re-creating a flow. Keycloak's
own flows exist in every realm and are never deleted; a spec may change their requirements
and configs, but Keycloak refuses any other change to a built-in flow, so kcconf refuses it at
plan time. A sub-flow whose type changes is the one thing replaced, and only with
`apply --allow-replace`. A flow a realm binding, a client or an identity provider uses is never
deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.errors import KcconfError, KeyPath
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import Flows
from kcconf.keycloak.rest import seg
from kcconf.kinds import base, flow_apply, flow_tree
from kcconf.model.changes import Change
from kcconf.model.objects import MASKED, Address, Obj, Secret, State
from kcconf.spec.checker import SpecChecker

FLOW = "authentication-flow"
KEY = "authenticationFlows"
# The top-level flows of a new realm, on every version kcconf supports.
BUILTINS = frozenset(
    {
        "browser",
        "direct grant",
        "registration",
        "reset credentials",
        "clients",
        "first broker login",
        "docker auth",
    }
)
REALM_BINDINGS = (
    "browserFlow",
    "registrationFlow",
    "directGrantFlow",
    "resetCredentialsFlow",
    "clientAuthenticationFlow",
    "dockerAuthenticationFlow",
    "firstBrokerLoginFlow",
)
OVERRIDES = "authenticationFlowBindingOverrides"
RETYPE = " providerId"
IDP_FLOWS = ("firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias")


def structure(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields Keycloak refuses to change on a built-in flow: executions lists, types."""
    return {k: v for k, v in fields.items() if k.endswith(("executions", "providerId", "form"))}


class AuthenticationFlowKind(base.Kind):
    name = FLOW
    spec_key = KEY
    after = ("realm",)
    before = ("identity-provider",)
    name_field = "alias"
    label = "authentication flow"
    optional = True

    def involved(self, desired: State) -> bool:
        """Read when the spec declares a flow or prunes them: a plan of any other spec costs
        no request for flows."""
        return bool(desired.of_kind(self.name)) or self.name in desired.prune

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get(KEY) or []):
            flow = flow_tree.from_spec(spec, (KEY, i), ctx.secret)
            yield Obj(Address(self.name, flow.alias), flow_tree.fields(flow))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        wanted = {a.name: obj for a, obj in desired.of_kind(self.name).items()}
        bound = bound_flows(admin) if self.name in desired.prune else set()
        for alias, rep in admin.collection(Flows.TOP).items():
            want = wanted.get(alias)
            fields = flow_tree.fields(flow_tree.read(admin, rep)) if want else {}
            if want is not None:
                _refuse(want, fields, bool(rep.get("builtIn")))
                fields = _unmasked(fields, want.fields)
            protected = bool(rep.get("builtIn")) or alias in bound
            yield Obj(Address(self.name, alias), fields, raw=rep, protected=protected)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        flow_apply.create(admin, flow_tree.from_fields(change.address.name, change.target.fields))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        want = flow_tree.from_fields(change.address.name, change.target.fields)
        flow_apply.update(admin, want, str(change.live_raw["id"]))

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        alias = change.address.name
        if alias in bound_flows(admin):  # bound since the plan was made: never deleted
            raise KcconfError(f"authentication flow {alias!r} is in use; it is not deleted")
        Flows.TOP.delete(admin, seg(str(change.live_raw["id"])))

    def replaces(self, change: Change) -> list[str]:
        return [
            f"replaces sub-flow {f.name[len(flow_tree.SUB) : -len(RETYPE)]}: Keycloak cannot "
            f"change a sub-flow's type ({f.old} -> {f.new}) in place, so it and its "
            "executions are created again"
            for f in change.fields
            if f.name.startswith(flow_tree.SUB) and f.name.endswith(RETYPE) and f.old
        ]

    def is_ordered(self, field: str) -> bool:
        return field.endswith("executions")

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "alias", "authentication flow")
        seen: dict[str, KeyPath] = {}
        for path, spec in checker.items((KEY,)):
            _check_flow(checker, path, spec, seen)

    def builtins(self, realm: str) -> frozenset[str]:
        return BUILTINS

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, KEY, "alias")


def _unmasked(live: dict[str, Any], want: Mapping[str, Any]) -> dict[str, Any]:
    """Keycloak masks config values under secret keys (docs/keycloak-facts.md 19.10): a masked
    value is unknown, not different, so it stands for the spec's secret (as a masked client
    secret does)."""
    out = dict(live)
    for name, config in live.items():
        wanted = want.get(name)
        if isinstance(config, Mapping) and isinstance(wanted, Mapping):
            out[name] = {
                k: wanted[k] if v == MASKED and isinstance(wanted.get(k), Secret) else v
                for k, v in config.items()
            }
    return out


def _refuse(want: Obj, live: Mapping[str, Any], builtin: bool) -> None:
    """Changes Keycloak cannot make to a flow, refused before anything is written."""
    alias = want.address.name
    old, new = live.get("providerId"), want.fields.get("providerId")
    if new is not None and old != new:
        raise KcconfError(
            f"authentication flow {alias!r} is a {old}; Keycloak cannot change a flow's type: "
            f"declare a new flow with another alias and bind it instead"
        )
    if builtin:
        wanted = structure(want.fields)
        if any(live.get(k) != v for k, v in wanted.items()):
            raise KcconfError(
                f"authentication flow {alias!r} is one of Keycloak's built-in flows: Keycloak "
                "refuses to add, remove, move or retype its executions (requirements and "
                "configs may change); declare a copy under another alias and bind that"
            )


def _check_flow(
    checker: SpecChecker, path: KeyPath, spec: Mapping[str, Any], seen: dict[str, KeyPath]
) -> None:
    """Sub-flow and config aliases are unique in a realm; an authenticator appears once per
    flow."""
    alias = spec.get("alias")
    if isinstance(alias, str):
        if alias in seen and (len(path) > 2 or len(seen[alias]) > 2):
            checker.report((*path, "alias"), f"flow alias '{alias}' is used twice in this spec")
        seen.setdefault(alias, path)
    checker.unique((*path, "executions"), "authenticator", "authenticator", " in one flow")
    for step_path, step in checker.items((*path, "executions")):
        if isinstance(step.get("flow"), Mapping):
            _check_flow(checker, (*step_path, "flow"), step["flow"], seen)
            if "config" in step:
                checker.report((*step_path, "config"), "a sub-flow takes no config")
        config = step.get("config")
        alias = config.get("alias") if isinstance(config, Mapping) else None
        if isinstance(alias, str):  # Keycloak refuses a second config of one alias (19.7)
            key = f"config {alias}"
            if key in seen:
                where = checker.doc.where((*seen[key], "alias")).line
                checker.report(
                    (*step_path, "config", "alias"),
                    f"config alias '{alias}' is used on line {where} too: config aliases "
                    "are unique in a realm",
                )
            seen.setdefault(key, (*step_path, "config"))


def bound_flows(admin: RealmAdmin) -> set[str]:
    """Aliases of the flows a realm binding, a client override or an identity provider uses."""
    realm = ep.Realm.read(admin)
    names = {str(realm[k]) for k in REALM_BINDINGS if realm.get(k)}
    by_id = {str(rep["id"]): alias for alias, rep in admin.collection(Flows.TOP).items()}
    for client in admin.collection(ep.CLIENTS).values():
        names |= {by_id.get(str(i), "") for i in (client.get(OVERRIDES) or {}).values()}
    for idp in ep.IDENTITY_PROVIDERS.list(admin):
        names |= {str(idp.get(k) or "") for k in IDP_FLOWS}
    return names - {""}


KINDS = (AuthenticationFlowKind(),)
