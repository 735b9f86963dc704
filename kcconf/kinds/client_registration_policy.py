"""Client registration policies (`clientRegistrationPolicies`, top level): the realm's
components of provider type `...ClientRegistrationPolicy` that decide what clients may register
themselves through the client registration service.

Keycloak keeps two sets, one per `subType` (`anonymous`: requests without a token,
`authenticated`: requests with an initial access token or a bearer token), and names two
policies alike in both ("Allowed Protocol Mapper Types", "Allowed Client Scopes"). So a policy's
natural key is its subType and its name, addressed `anonymous/Trusted Hosts`; a changed subType
is another policy. Config is compared key by key as Keycloak keeps it (lists of strings, a list
of one compared as its string), as for user federation.

Keycloak creates eight policies in every new realm: a spec may declare them by subType and name
to change them. A changed providerId is refused (declare the new policy under another name).
Policies carry no ownership marker: `prune: {clientRegistrationPolicies: all}` deletes every
undeclared one of a spec that writes the key, `created` none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.kinds.user_federation import component_body, config_values
from kcconf.model.changes import Change
from kcconf.model.objects import Obj, State
from kcconf.spec.checker import SpecChecker

KEY = "clientRegistrationPolicies"
POLICY_TYPE = "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"


def natural(rep: Mapping[str, Any]) -> str:
    """A policy's address name: `subType/name` (names repeat across the two subTypes)."""
    return f"{rep.get('subType')}/{rep.get('name')}"


def _empty_as_written(obj: Obj, want: Obj | None) -> Obj:
    """A config key the spec writes empty (`trusted-hosts: []`) and Keycloak leaves out (it
    keeps no empty list) is as the spec wants it."""
    if want is None:
        return obj
    empty: dict[str, Any] = {
        k: [] for k, v in want.fields.items() if v == [] and k not in obj.fields
    }
    return replace(obj, fields={**obj.fields, **empty}) if empty else obj


class ClientRegistrationPolicyKind(base.Kind):
    name = "client-registration-policy"
    spec_key = KEY
    label = "client registration policy"
    reading = "client registration policies"
    after = ("realm",)
    optional = True
    fields = ("providerId", "subType", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": config_values}
    endpoint = ep.COMPONENTS

    def preflight(self, admin: RealmAdmin, desired: State) -> None:
        """Refuse a provider the server lacks, and a setting its provider does not declare:
        Keycloak stores such a component without the setting, and says nothing
        (docs/keycloak-facts.md 23.3)."""
        info = admin.api.server_info()
        known = {
            str(p["id"]): {str(prop["name"]) for prop in p.get("properties") or []}
            for p in (info.get("componentTypes") or {}).get(POLICY_TYPE) or []
        }
        version = (info.get("systemInfo") or {}).get("version")
        for obj in desired.of_kind(self.name).values():
            provider = str(obj.fields.get("providerId"))
            if provider not in known:
                raise KcconfError(
                    f"{obj.address}: Keycloak {version} has no client registration policy "
                    f"provider {provider!r} (it has {', '.join(sorted(known))})"
                )
            unknown = sorted(
                key
                for f in obj.fields
                if (key := f.removeprefix("config.")) != f and key not in known[provider]
            )
            if unknown:
                declared = ", ".join(sorted(known[provider])) or "none"
                raise KcconfError(
                    f"{obj.address}: the {provider} policy of Keycloak {version} has no setting "
                    f"{', '.join(unknown)} (Keycloak would drop it silently); its settings: "
                    f"{declared}"
                )

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        if KEY not in ctx.doc.data:
            return
        ctx.containers[self.name] = {ctx.realm}  # the key written: its undeclared may be pruned
        for _, spec in base.items(ctx.doc.data, KEY):
            yield Obj(self.address(natural(spec)), self.fields_of(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        reps = ep.components(POLICY_TYPE).list(admin)
        twice = [n for n, c in Counter(natural(r) for r in reps).items() if c > 1]
        declared = sorted(n for n in twice if self.address(n) in desired.objects)
        if declared:
            raise KcconfError(
                f"realm {admin.realm!r} has several client registration policies named "
                f"{', '.join(declared)}: rename or delete all but one in Keycloak first"
            )
        for rep in reps:
            address = self.address(natural(rep))
            want = desired.objects.get(address)
            new = want.fields.get("providerId") if want is not None else None
            if new is not None and new != rep.get("providerId"):
                raise KcconfError(
                    f"{address} is a {rep.get('providerId')} policy in Keycloak, not {new}: a "
                    "policy's provider is not changed in place; declare the new policy under "
                    "another name"
                )
            yield _empty_as_written(self.live(address, rep), want)

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        """Its fields less empty config lists: the component list can answer `trusted-hosts: []`
        once a registration request has read the policy, the component itself never does
        (docs/keycloak-facts.md 23.2), so an empty list is taken as absent."""
        return {k: v for k, v in self.fields_of(rep).items() if v != []}

    def create(self, admin: RealmAdmin, change: Change) -> None:
        head = {
            "name": change.address.name.partition("/")[2],
            "providerType": POLICY_TYPE,
            "parentId": str(ep.Realm.read(admin)["id"]),
        }
        ep.COMPONENTS.create(admin, component_body(head, change))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        raw = change.live_raw
        ep.COMPONENTS.update(admin, str(raw["id"]), component_body(raw, change))

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "name", self.noun, within="subType")


KINDS = (ClientRegistrationPolicyKind(),)
