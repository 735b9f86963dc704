"""The realm's own settings, its realm-level default and optional client scopes, its default
roles (the composites of `default-roles-<realm>`) and its default groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KeycloakError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.endpoints import role_refs
from kcconf.kinds import base, password_policy
from kcconf.kinds.authentication_flow import REALM_BINDINGS
from kcconf.kinds.client_scope import SCOPE
from kcconf.kinds.group import GROUP
from kcconf.kinds.role import default_roles_name
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, flatten, text, unflatten_into
from kcconf.spec.checker import SpecChecker

DEFAULT_ROLES = "defaultRoles"
DEFAULT_GROUPS = "defaultGroups"
POLICY = "passwordPolicy"  # compared as rules, written as Keycloak's string
# Keys of `realm:` that are not settings of the realm representation: its relations, the
# localization texts Keycloak keeps behind their own endpoint (kinds/localization.py), and the
# flow bindings, written once the flows exist (kinds/flow_binding.py).
NOT_SETTINGS = {"name", DEFAULT_ROLES, DEFAULT_GROUPS, "localizationTexts", *REALM_BINDINGS}
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


def _default_role_id(admin: RealmAdmin) -> str:
    return str(admin.role(default_roles_name(admin.realm))["id"])


def _default_roles(adding: bool) -> base.Change_:
    def run(admin: RealmAdmin, _address: Address, refs: Sequence[str]) -> None:
        body = [admin.role(ref) for ref in refs]
        ep.COMPOSITES.change(admin, _default_role_id(admin), body, adding)

    return run


def _default_groups(adding: bool) -> base.Change_:
    def run(admin: RealmAdmin, _address: Address, paths: Sequence[str]) -> None:
        ep.DEFAULT_GROUPS.change(admin, "", [admin.group_id(p) for p in paths], adding)

    return run


def _read_defaults(admin: RealmAdmin, want: Obj) -> dict[str, frozenset[str]]:
    """The default roles and groups the spec writes, as Keycloak has them."""
    relations: dict[str, frozenset[str]] = {}
    if any(k.startswith(DEFAULT_ROLES) for k in want.relations):
        found = ep.COMPOSITES.read(admin, _default_role_id(admin))
        realm, clients = role_refs(found, admin.client_ids_by_uuid())
        relations[f"{DEFAULT_ROLES}.realmRoles"] = frozenset(realm)
        relations[f"{DEFAULT_ROLES}.clientRoles"] = frozenset(clients)
    if DEFAULT_GROUPS in want.relations:
        paths = (str(g["path"]) for g in ep.DEFAULT_GROUPS.read(admin))
        relations[DEFAULT_GROUPS] = frozenset(paths)
    return relations


def _body(raw: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A realm representation with `fields` written in, the password policy as a string."""
    body = unflatten_into(dict(raw), fields)
    if isinstance(body.get(POLICY), Mapping):
        body[POLICY] = password_policy.render(body[POLICY])
    return body


class RealmKind(base.Kind):
    """The realm's own settings: the root every other kind lives in. It is never deleted."""

    name = "realm"
    spec_key = "realm"
    root = True
    prunable = False
    reading = "its settings"
    relations: ClassVar[Mapping[str, base.Relation]] = {
        **{key: _scope_relation(which, where) for key, (which, where) in SCOPE_LISTS.items()},
        **{
            f"{DEFAULT_ROLES}.{key}": base.Relation(
                "default roles", target, _default_roles(True), _default_roles(False)
            )
            for key, target in (("realmRoles", base.REALM_ROLE), ("clientRoles", base.CLIENT_ROLE))
        },
        DEFAULT_GROUPS: base.Relation(
            "default groups", GROUP, _default_groups(True), _default_groups(False)
        ),
    }

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        spec: Mapping[str, Any] = ctx.doc.data["realm"]
        settings = {k: v for k, v in spec.items() if k not in NOT_SETTINGS and k not in SCOPE_LISTS}
        if isinstance(settings.get("attributes"), Mapping):
            settings["attributes"] = {k: text(v) for k, v in settings["attributes"].items()}
        smtp = settings.get("smtpServer")
        if isinstance(smtp, Mapping) and isinstance(smtp.get("password"), Mapping):
            password = ctx.secret(("realm", "smtpServer", "password"), smtp["password"])
            settings["smtpServer"] = {k: v for k, v in smtp.items() if k != "password"}
            if password is not None:
                settings["smtpServer"]["password"] = password
        maps = frozenset(k for k, v in settings.items() if isinstance(v, Mapping))
        if isinstance(settings.get(POLICY), str):
            settings[POLICY] = password_policy.parse(settings[POLICY])
        relations = {k: frozenset(spec[k]) for k in SCOPE_LISTS if k in spec}
        relations |= {
            f"{DEFAULT_ROLES}.{k}": v
            for k, v in base.role_relations(spec.get(DEFAULT_ROLES) or {}).items()
        }
        if DEFAULT_GROUPS in spec:
            relations[DEFAULT_GROUPS] = frozenset(spec[DEFAULT_GROUPS])
        yield Obj(Address(self.name, ctx.realm), flatten(settings, maps), relations)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        try:
            rep = ep.Realm.read(admin)
        except KeycloakError as exc:
            if exc.status == 404:
                return  # the realm does not exist yet
            raise
        want = desired.objects.get(Address(self.name, admin.realm))
        fields = self.live_fields(rep)
        relations = _read_defaults(admin, want) if want is not None else {}
        for key, (_, placement) in SCOPE_LISTS.items():
            if want is not None and key in want.relations:
                relations[key] = frozenset(placement.names(admin))
        address = Address(self.name, admin.realm)
        yield Obj(address, fields, relations, raw=rep, protected=True)

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        maps = frozenset(k for k, v in rep.items() if isinstance(v, Mapping))
        return flatten(rep, maps) | {POLICY: password_policy.parse(rep.get(POLICY) or "")}

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        return ep.Realm.read(admin)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        ep.Realm.create(admin, _body({"realm": admin.realm}, change.target.fields))

    def update(self, admin: RealmAdmin, change: Change) -> None:
        # Read-modify-write: a realm PUT resets attributes and policies it is not sent
        # (docs/keycloak-facts.md 2.4).
        ep.Realm.update(admin, _body(change.live_raw, {f.name: f.new for f in change.fields}))

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
        if isinstance(realm, Mapping):
            yield from base.role_references(("realm", DEFAULT_ROLES), realm.get(DEFAULT_ROLES))
            for i, path in enumerate(realm.get(DEFAULT_GROUPS) or []):
                yield base.Reference(("realm", DEFAULT_GROUPS, i), GROUP, path)


KINDS = (RealmKind(),)
