"""User federation (`userFederation`, top level, by name): user storage providers such as LDAP,
and their mappers (`mappers` inside a provider's item, by name).

Both are components: a provider's parent is the realm, a mapper's parent is its provider.
Keycloak keeps component config as lists of strings; a spec may write YAML scalars, compared as
one-item lists, one `config.<key>` field per key written (keys not written are left alone).

A provider holds the users imported from it: deleting it, or a provider of another type made
in its place, deletes them (docs/keycloak-facts.md 20.4, 20.5). So every change is made in place, a
changed `providerId` (which Keycloak would accept in place) is refused at plan time, and a
provider is deleted only under the prune rules, with its users counted in the plan and
--allow-deletes needed when it holds any. The bind credential comes only from the environment;
Keycloak answers it masked, so it is sent on create and when `--reset-passwords` asks.

A provider that writes `mappers` lists them in full, like protocol mappers: undeclared mappers
are deleted only under `prune: {userFederationMappers: all}`. Keycloak creates default mappers
with every LDAP provider; a spec mapper of the same name updates that one in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, text, unflatten_into
from kcconf.spec.checker import SpecChecker

FEDERATION = "user-federation"
MAPPER = "user-federation-mapper"
KEY = "userFederation"
STORAGE_TYPE = "org.keycloak.storage.UserStorageProvider"
MAPPER_TYPE = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
CREDENTIAL = "bindCredential"
USERS = "importedUsers"  # a live provider's count of users linked to it (delete candidates)


def config_values(value: Any) -> str | list[str]:
    """Keycloak keeps component config values as lists of strings. A list of one is compared
    (and shown in plans) as its string, so a YAML scalar equals it; longer lists stay lists."""
    values = [text(v) for v in value] if isinstance(value, list) else [text(value)]
    return values[0] if len(values) == 1 else values


def imported_users(admin: RealmAdmin, provider_id: str) -> int:
    """How many users are linked to the provider (their `federationLink`): the users Keycloak
    deletes with it. Brief user lists carry the link."""
    users = admin.users(full=False).values()
    return sum(1 for user in users if user.get("federationLink") == provider_id)


def _by_name(reps: Iterable[Mapping[str, Any]], what: str) -> dict[str, Mapping[str, Any]]:
    """Components by name; two of one name (Keycloak allows it) cannot be told apart."""
    found: dict[str, Mapping[str, Any]] = {}
    for rep in reps:
        name = str(rep["name"])
        if name in found:
            raise KcconfError(f"two {what}s are named {name!r}: rename one in Keycloak first")
        found[name] = rep
    return found


def _providers(admin: RealmAdmin) -> dict[str, Mapping[str, Any]]:
    return _by_name(admin.collection(ep.components(STORAGE_TYPE)).values(), "user federation")


def _refuse_new_provider(admin: RealmAdmin, name: str, rep: Mapping[str, Any], want: Obj) -> None:
    """A changed providerId is refused: Keycloak would swap the provider under its users."""
    new = want.fields.get("providerId")
    if new is None or new == rep.get("providerId"):
        return
    users = imported_users(admin, str(rep["id"]))
    raise KcconfError(
        f"user federation {name!r} holds {users} user(s) imported from it; changing providerId "
        f"from {rep.get('providerId')!r} to {new!r} needs a new provider, which would delete "
        "them: declare the new provider under another name and move the users first"
    )


def _refuse_new_mapper(address: Address, rep: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
    """A mapper's providerId is not changed in place either: another name makes a new one."""
    new = fields.get("providerId")
    if new is not None and new != rep.get("providerId"):
        raise KcconfError(
            f"{address}: changing providerId from {rep.get('providerId')!r} to {new!r} is not "
            "done in place; declare the new mapper under another name"
        )


def component_body(head: Mapping[str, Any], change: Change) -> dict[str, Any]:
    """`head` with the changed fields written in, each config value as the list of strings
    Keycloak keeps (the credential, a Secret, is revealed by unflatten_into)."""
    body = unflatten_into(dict(head), {f.name: f.new for f in change.fields})
    config = body.get("config") or {}
    body["config"] = {k: [v] if isinstance(v, str) else v for k, v in config.items()}
    return body


class UserFederationKind(base.Kind):
    name = FEDERATION
    spec_key = KEY
    label = "user federation"
    reading = "user federation"
    after = ("realm",)
    optional = True
    fields = ("providerId", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": config_values}
    endpoint = ep.COMPONENTS

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for path, spec in base.items(ctx.doc.data, KEY):
            fields = self.fields_of(spec)
            initial = {}
            if CREDENTIAL in spec:
                secret = ctx.secret((*path, CREDENTIAL), spec[CREDENTIAL])
                if secret is not None:
                    initial[f"config.{CREDENTIAL}"] = secret
            yield Obj(
                self.address(spec["name"]), fields, initial=initial, previous=base.previous(spec)
            )

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        pruning = desired.prune.get(self.name) == "all"  # `created` deletes none
        for name, rep in _providers(admin).items():
            address = self.address(name)
            want = desired.wanted(address)
            if want is not None:
                _refuse_new_provider(admin, name, rep, want)
            obj = self.live(address, rep)
            if want is None and pruning:  # a delete candidate: count what it would take along
                users = imported_users(admin, str(rep["id"]))
                obj = Obj(address, {**obj.fields, USERS: users}, raw=rep)
            yield obj

    def create(self, admin: RealmAdmin, change: Change) -> None:
        head = {
            "name": change.address.name,
            "providerType": STORAGE_TYPE,
            "parentId": str(ep.Realm.read(admin)["id"]),
        }
        ep.COMPONENTS.create(admin, component_body(head, change))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        """Read-modify-write. The live config carries the credential masked, and Keycloak keeps
        the stored one when it is sent back so (docs/keycloak-facts.md 20.3)."""
        raw = change.live_raw
        ep.COMPONENTS.update(admin, str(raw["id"]), component_body(raw, change))

    def involved(self, desired: State) -> bool:
        """Also read when none is declared but `prune` names the kind (then all go)."""
        return super().involved(desired) or self.name in desired.prune

    def deletion_note(self, live: Obj) -> str:
        users = int(live.fields.get(USERS) or 0)
        if not users:
            return ""
        return f"holds {users} user(s) imported from it: Keycloak deletes them with it"

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "name", self.noun)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, KEY, "name")


def _provider_id(admin: RealmAdmin, parent: Address) -> str:
    """The provider's id; read again if missing, as apply may just have created it."""
    rep = admin.find(ep.components(STORAGE_TYPE), parent.name)
    if rep is None:
        raise KcconfError(f"user federation {parent.name!r} does not exist in Keycloak")
    return str(rep["id"])


def _mappers(
    admin: RealmAdmin, provider: Address, provider_id: str
) -> dict[str, Mapping[str, Any]]:
    reps = ep.components(MAPPER_TYPE, provider_id).list(admin)
    return _by_name(reps, f"mapper of user federation {provider.name!r}")


class UserFederationMapperKind(base.Kind):
    name = MAPPER
    spec_key = "mappers"
    prune_as = "userFederationMappers"
    label = "user federation mapper"
    reading = "user federation mappers"
    parents = (FEDERATION,)
    optional = True
    fields = ("providerId", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": config_values}
    endpoint = ep.COMPONENTS

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        written: set[str] = set()
        for _, provider in base.items(ctx.doc.data, KEY):
            if self.spec_key not in provider:
                continue
            parent = Address(FEDERATION, str(provider["name"]))
            written.add(str(parent))
            for mapper in provider[self.spec_key] or []:
                yield Obj(self.address(mapper["name"], parent), self.fields_of(mapper))
        if written:
            ctx.containers[self.name] = written

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        written = desired.containers.get(self.name, set())
        for name, rep in _providers(admin).items():
            want = desired.wanted(Address(FEDERATION, name))
            if want is None or str(want.address) not in written:
                continue  # its mappers are not the spec's business
            for mapper_name, mapper in _mappers(admin, want.address, str(rep["id"])).items():
                address = self.address(mapper_name, want.address)
                wanted = desired.objects.get(address)
                if wanted is not None:
                    _refuse_new_mapper(address, mapper, wanted.fields)
                yield self.live(address, mapper)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        """A new mapper, or the one of this name Keycloak made with a new provider, updated."""
        parent = change.address.parent
        assert parent is not None
        provider_id = _provider_id(admin, parent)
        fields = {f.name: f.new for f in change.fields}
        made = _mappers(admin, parent, provider_id).get(change.address.name)
        if made is not None:
            _refuse_new_mapper(change.address, made, fields)
            ep.COMPONENTS.update(admin, str(made["id"]), component_body(made, change))
            return
        head = {"name": change.address.name, "providerType": MAPPER_TYPE, "parentId": provider_id}
        ep.COMPONENTS.create(admin, component_body(head, change))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        raw = change.live_raw
        ep.COMPONENTS.update(admin, str(raw["id"]), component_body(raw, change))

    def check(self, checker: SpecChecker) -> None:
        for path, provider in checker.items((KEY,)):
            suffix = f" of user federation '{provider.get('name')}'"
            checker.unique((*path, self.spec_key), "name", self.noun, suffix)


KINDS = (UserFederationKind(), UserFederationMapperKind())
