"""The realm's own settings and its realm-level default and optional client scopes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KeycloakError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, flatten, text, unflatten_into
from kcconf.spec.checker import SpecChecker

SCOPE = "client-scope"  # the kind realm-level default scopes name
SCOPE_LISTS = {
    "defaultDefaultClientScopes": ("default", ep.REALM_DEFAULT_SCOPES),
    "defaultOptionalClientScopes": ("optional", ep.REALM_OPTIONAL_SCOPES),
}


def _scope_relation(which: str, placement: ep.Placement) -> base.Relation:
    def add(admin: RealmAdmin, _address: Address, names: Sequence[str]) -> None:
        placement.add(admin, names)

    def remove(admin: RealmAdmin, _address: Address, names: Sequence[str]) -> None:
        placement.remove(admin, names)

    return base.Relation(f"{which} scopes", SCOPE, add, remove)


class RealmKind(base.Kind):
    """The realm's own settings: the root every other kind lives in. It is never deleted."""

    name = "realm"
    spec_key = "realm"
    root = True
    prunable = False
    reading = "its settings"
    relations: ClassVar[Mapping[str, base.Relation]] = {
        key: _scope_relation(which, where) for key, (which, where) in SCOPE_LISTS.items()
    }

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        spec: Mapping[str, Any] = ctx.doc.data["realm"]
        settings = {k: v for k, v in spec.items() if k != "name" and k not in SCOPE_LISTS}
        if isinstance(settings.get("attributes"), Mapping):
            settings["attributes"] = {k: text(v) for k, v in settings["attributes"].items()}
        smtp = settings.get("smtpServer")
        if isinstance(smtp, Mapping) and isinstance(smtp.get("password"), Mapping):
            password = ctx.secret(("realm", "smtpServer", "password"), smtp["password"])
            settings["smtpServer"] = {k: v for k, v in smtp.items() if k != "password"}
            if password is not None:
                settings["smtpServer"]["password"] = password
        maps = frozenset(k for k, v in settings.items() if isinstance(v, Mapping))
        relations = {k: frozenset(spec[k]) for k in SCOPE_LISTS if k in spec}
        yield Obj(Address(self.name, ctx.realm), flatten(settings, maps), relations)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        try:
            rep = ep.Realm.read(admin)
        except KeycloakError as exc:
            if exc.status == 404:
                return  # the realm does not exist yet
            raise
        want = desired.objects.get(Address(self.name, admin.realm))
        maps = frozenset(k for k, v in rep.items() if isinstance(v, Mapping))
        relations = {}
        for key, (_, placement) in SCOPE_LISTS.items():
            if want is not None and key in want.relations:
                relations[key] = frozenset(placement.names(admin))
        address = Address(self.name, admin.realm)
        yield Obj(address, flatten(rep, maps), relations, raw=rep, protected=True)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"realm": admin.realm}, change.target.fields)
        ep.Realm.create(admin, body)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        # Read-modify-write: a realm PUT resets attributes and policies it is not sent
        # (docs/keycloak-facts.md 2.4).
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        ep.Realm.update(admin, body)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        raise AssertionError("kcconf never deletes a realm")  # no prune policy covers realms

    def check(self, checker: SpecChecker) -> None:
        checker.exclusive(*(("realm", key) for key in SCOPE_LISTS))

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        realm = data.get("realm")
        for key in SCOPE_LISTS:
            names = realm.get(key) if isinstance(realm, Mapping) else None
            for i, name in enumerate(names if isinstance(names, list) else []):
                yield base.Reference(("realm", key, i), SCOPE, name)


KINDS = (RealmKind(),)
