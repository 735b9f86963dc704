"""Identity providers (`identityProviders`, top level, by alias) and their mappers (`mappers`
inside a provider's item, by name).

A provider's `config` is compared key by key as strings, as Keycloak keeps it; keys the spec
does not write are left alone. Its `clientSecret` comes only from the environment
(`{env: NAME}`). Keycloak answers it as `**********` on every read, so the plan cannot tell a
stored secret from the spec's: a masked secret counts as the same (no perpetual diff), a
missing one is set, and `apply --reset-passwords` sends the spec's secret again, which is how a
secret changed in the environment reaches Keycloak (docs/keycloak-facts.md 18).

Providers kcconf creates carry its marker as a config key (they have no attributes), so
`prune: {identityProviders: created}` deletes only those. A provider that writes `mappers`
lists them in full; the undeclared ones are deleted only under
`prune: {identityProviderMappers: all}` (a mapper's config is Keycloak's to validate, so it
carries no marker and `created` deletes none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import seg
from kcconf.keycloak.versions import version_tuple
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import MARKER, MARKER_VALUE, Address, Obj, State, text, unflatten_into
from kcconf.spec.checker import SpecChecker

IDP = "identity-provider"
IDP_MAPPER = "identity-provider-mapper"
KEY = "identityProviders"
MAPPERS = "mappers"
SECRET = "config.clientSecret"
HIDE, HIDE_KEY = "hideOnLogin", "config.hideOnLoginPage"
HIDE_SINCE = (26,)
FLOWS = ("firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias")
FLOW = "authentication-flow"  # the kind of flows, when a spec declares some
FIELDS = (
    "providerId",
    "enabled",
    "displayName",
    "trustEmail",
    "storeToken",
    "addReadTokenRoleOnCreate",
    "linkOnly",
    "hideOnLogin",
    "authenticateByDefault",
    "firstBrokerLoginFlowAlias",
    "postBrokerLoginFlowAlias",
    "config",
)


class IdentityProviderKind(base.Kind):
    name = IDP
    spec_key = KEY
    after = ("realm",)
    optional = True
    name_field = "alias"
    label = "identity provider"
    reading = "identity providers"
    fields = FIELDS
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": text}
    endpoint = ep.IDENTITY_PROVIDERS

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for i, spec in enumerate(ctx.doc.data.get(KEY) or []):
            config = dict(spec.get("config") or {})
            ref = config.pop("clientSecret", None)
            fields = self.fields_of({**spec, "config": config} if "config" in spec else spec)
            initial = {}
            if isinstance(ref, Mapping):
                secret = ctx.secret((KEY, i, "config", "clientSecret"), ref)
                if secret is not None:
                    # Compared (a masked live secret counts as the same) and also sent again
                    # by `apply --reset-passwords`, the way to rotate it.
                    fields[SECRET] = initial[SECRET] = secret
            yield Obj(Address(self.name, spec["alias"]), fields, initial=initial)

    def preflight(self, admin: RealmAdmin, desired: State) -> None:
        """`hideOnLogin` is a field from Keycloak 26 (which moves `config.hideOnLoginPage`
        into it, so that key would never match); before, only the config key exists."""
        server = str(admin.api.server_info()["systemInfo"]["version"])
        new = version_tuple(server) >= HIDE_SINCE
        written, other = (HIDE_KEY, HIDE) if new else (HIDE, HIDE_KEY)
        for obj in desired.of_kind(self.name).values():
            if written in obj.fields:
                raise KcconfError(
                    f"identity provider {obj.address.name!r} writes {written}, which Keycloak "
                    f"{server} does not keep (it has {other}): write {other} instead"
                )

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        live = admin.collection(ep.IDENTITY_PROVIDERS)
        _check_flows(admin, desired)
        for alias, rep in live.items():
            obj = self.live(Address(self.name, alias), rep)
            yield _dropped_blanks(obj, desired.wanted(obj.address))

    def live(
        self,
        address: Address,
        rep: Mapping[str, Any],
        relations: Mapping[str, frozenset[str]] | None = None,
        protected: bool = False,
    ) -> Obj:
        # A provider has no attributes: kcconf's marker is one of its config keys.
        mark = (rep.get("config") or {}).get(MARKER)
        return replace(super().live(address, rep, relations, protected), owned=mark == MARKER_VALUE)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"alias": change.address.name}, change.target.fields)
        body["config"] = {**(body.get("config") or {}), MARKER: MARKER_VALUE}
        ep.IDENTITY_PROVIDERS.create(admin, body)

    def exists(self, admin: RealmAdmin, name: str) -> bool:
        """A provider an organization links that this spec does not declare (providers are
        read only when the spec declares some)."""
        return admin.find(ep.IDENTITY_PROVIDERS, name) is not None

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "alias", self.noun)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, KEY, "alias")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        """Its broker flows, so validate refuses one the spec does not declare and Keycloak
        does not build in (file and line); "" names no flow."""
        for path, idp in base.items(data, KEY):
            for field in FLOWS:
                alias = idp.get(field)
                if isinstance(alias, str) and alias:
                    yield base.Reference((*path, field), FLOW, alias)


class IdentityProviderMapperKind(base.Kind):
    """An identity provider's mappers, by name under their provider: `identity-provider
    upstream / identity-provider-mapper department`."""

    name = IDP_MAPPER
    spec_key = MAPPERS
    parents = (IDP,)
    prune_as = "identityProviderMappers"
    optional = True
    label = "identity provider mapper"
    reading = "identity provider mappers"
    fields = ("identityProviderMapper", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": text}

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        written: set[str] = set()
        for _, provider in base.items(ctx.doc.data, KEY):
            if MAPPERS not in provider:
                continue
            parent = Address(IDP, str(provider["alias"]))
            written.add(str(parent))
            for mapper in provider[MAPPERS] or []:
                yield Obj(self.address(mapper["name"], parent), self.fields_of(mapper))
        if written:
            ctx.containers[self.name] = written

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        written = desired.containers.get(self.name, set())
        parents = [
            want.address
            for alias in admin.collection(ep.IDENTITY_PROVIDERS)
            if (want := desired.wanted(Address(IDP, alias))) is not None
            and str(want.address) in written  # else its mappers are not the spec's business
        ]
        listed = admin.each(
            "reading identity provider mappers",
            lambda parent: ep.IDP_MAPPERS.list(admin, seg(parent.name)),
            parents,
        )
        for parent, mappers in zip(parents, listed, strict=True):
            for mapper in mappers:
                yield self.live(self.address(str(mapper["name"]), parent), mapper)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        alias = _alias(change)
        body = unflatten_into(
            {"name": change.address.name, "identityProviderAlias": alias}, change.target.fields
        )
        ep.IDP_MAPPERS.create(admin, body, seg(alias))

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        path = ep.IDP_MAPPERS.item(seg(str(change.live_raw["id"])), seg(_alias(change)))
        rep: Mapping[str, Any] = admin.api.get(admin.path(path))
        return rep

    def update(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        ep.IDP_MAPPERS.update(admin, seg(str(body["id"])), body, seg(_alias(change)))

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        ep.IDP_MAPPERS.delete(admin, seg(str(change.live_raw["id"])), seg(_alias(change)))

    def check(self, checker: SpecChecker) -> None:
        for path, provider in checker.items((KEY,)):
            suffix = f" of identity provider '{provider.get('alias')}'"
            checker.unique((*path, MAPPERS), "name", self.noun, suffix)


def _dropped_blanks(obj: Obj, want: Obj | None) -> Obj:
    """Keycloak drops config keys written empty: a key the spec writes as "" and Keycloak does
    not hold is as the spec wants it (docs/keycloak-facts.md 18)."""
    if want is None:
        return obj
    blanks = {
        k: ""
        for k, v in want.fields.items()
        if k.startswith("config.") and v == "" and k not in obj.fields
    }
    return replace(obj, fields={**obj.fields, **blanks}) if blanks else obj


def _check_flows(admin: RealmAdmin, desired: State) -> None:
    """Keycloak answers 500 to a provider naming a flow it does not have: refuse at plan time
    a flow that neither exists nor is declared by the spec (docs/keycloak-facts.md 18)."""
    named = {
        (str(obj.address.name), str(obj.fields[field]))
        for obj in desired.of_kind(IDP).values()
        for field in FLOWS
        if obj.fields.get(field)
    }
    if not named:
        return
    known = set(admin.collection(ep.Flows.TOP)) | {a.name for a in desired.of_kind(FLOW)}
    missing = sorted(
        f"identity provider {a!r} names flow {f!r}" for a, f in named if f not in known
    )
    if missing:
        raise KcconfError(
            f"{'; '.join(missing)}, which realm {admin.realm!r} does not have "
            "and the spec does not declare"
        )


def _alias(change: Change) -> str:
    parent = change.address.parent
    assert parent is not None
    return parent.name


KINDS = (IdentityProviderKind(), IdentityProviderMapperKind())
