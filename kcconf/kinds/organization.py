"""Organizations (`organizations`, top level, by alias; Keycloak 26+): name, description,
enabled, redirect URL, domains (an exact list), attributes, and two relations: the identity
providers linked to them and their members, by alias and username.

The alias is the key because Keycloak refuses to change it ("Cannot change the alias"), while
the name may change. Organizations need `organizationsEnabled` on the realm: a spec that
declares some while the realm has them off, and does not turn them on, is refused before
anything is written, as is any spec with organizations on a server older than 26
(docs/keycloak-facts.md 18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KcconfError, KeycloakError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import seg
from kcconf.keycloak.versions import version_tuple
from kcconf.kinds import base
from kcconf.kinds.identity_provider import IDP
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, marked, string_list, unflatten_into
from kcconf.spec.checker import SpecChecker

ORGANIZATION = "organization"
KEY = "organizations"
ENABLED = "organizationsEnabled"
SINCE = (26,)
IDPS = "identityProviders"
MEMBERS = "members"
MANAGED = "MANAGED"
LINKS = {IDPS: ep.ORGANIZATION_IDPS, MEMBERS: ep.ORGANIZATION_MEMBERS}


def _org_id(admin: RealmAdmin, alias: str) -> str:
    return admin.id_of(ep.ORGANIZATIONS, alias)


def _target_id(admin: RealmAdmin, relation: str, name: str) -> str:
    """What a link's POST takes: the provider's alias, or the member's user id."""
    return name if relation == IDPS else admin.user_id(name)


def _link(relation: str, adding: bool) -> base.Change_:
    def run(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
        org = _org_id(admin, address.name)
        for name in names:
            target = _target_id(admin, relation, name)
            if adding:
                admin.api.post(admin.path(LINKS[relation].path(org)), target)
            else:
                LINKS[relation].delete(admin, seg(target), org)

    return run


def domains(value: Any) -> list[dict[str, Any]]:
    """Domains as Keycloak keeps them: each with `verified` (false unless said), by name."""
    found = [{"name": d["name"], "verified": bool(d.get("verified"))} for d in value or []]
    return sorted(found, key=lambda d: str(d["name"]))


class OrganizationKind(base.Kind):
    name = ORGANIZATION
    spec_key = KEY
    after = (IDP, "user")
    optional = True
    name_field = "alias"
    fields = ("name", "description", "enabled", "redirectUrl", "domains", "attributes")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": string_list}
    endpoint = ep.ORGANIZATIONS
    relations: ClassVar[Mapping[str, base.Relation]] = {
        IDPS: base.Relation("identity providers", IDP, _link(IDPS, True), _link(IDPS, False)),
        MEMBERS: base.Relation("members", "user", _link(MEMBERS, True), _link(MEMBERS, False)),
    }

    def fields_of(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        fields = super().fields_of(rep)
        if "domains" in fields:
            fields["domains"] = domains(fields["domains"])
        return fields

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get(KEY) or []:
            relations = {k: frozenset(_names(k, spec[k])) for k in LINKS if k in spec}
            yield Obj(Address(self.name, spec["alias"]), self.fields_of(spec), relations)

    def preflight(self, admin: RealmAdmin, desired: State) -> None:
        if desired.of_kind(self.name):
            _refuse(admin, desired)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        if ep.Realm.read(admin).get(ENABLED) is not True:
            return  # off until this apply turns them on: Keycloak lists none (404)
        orgs = admin.collection(ep.ORGANIZATIONS)
        wanted = {a: desired.wanted(Address(self.name, a)) for a in orgs}
        read = [a for a, w in wanted.items() if w is not None and w.relations]
        found = admin.each(
            "reading organizations' providers and members",
            lambda alias: _relations(admin, str(orgs[alias]["id"]), wanted[alias]),
            read,
        )
        more = dict(zip(read, found, strict=True))
        for alias, rep in orgs.items():
            yield self.live(Address(self.name, alias), rep, more.get(alias, {}))

    def create(self, admin: RealmAdmin, change: Change) -> None:
        body = unflatten_into({"alias": change.address.name}, change.target.fields)
        body.setdefault("name", change.address.name)  # Keycloak requires a name
        ep.ORGANIZATIONS.create(admin, marked(body, as_list=True))

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "alias", self.noun)
        checker.unique((KEY,), "name", "organization name")
        for path, _ in checker.items((KEY,)):
            checker.unique((*path, "domains"), "name", "domain")

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, KEY, "alias")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, org in base.items(data, KEY):
            for i, alias in enumerate(org.get(IDPS) or []):
                if isinstance(alias, str):
                    yield base.Reference((*path, IDPS, i), IDP, alias)
            for i, username in enumerate(org.get(MEMBERS) or []):
                if isinstance(username, str):
                    yield base.Reference((*path, MEMBERS, i), "user", username)


def _names(relation: str, names: Iterable[str]) -> Iterable[str]:
    """Usernames in lower case, as Keycloak keeps them."""
    return (n.lower() if relation == MEMBERS else n for n in names)


def _refuse(admin: RealmAdmin, desired: State) -> None:
    """A spec with organizations on a server without them, or for a realm that has them off
    and stays so, is refused before anything is written."""
    server = str(admin.api.server_info()["systemInfo"]["version"])
    if version_tuple(server) < SINCE:
        raise KcconfError(
            f"organizations need Keycloak 26 or later; this server runs {server}: "
            f"remove {KEY} from the spec of realm {admin.realm!r}"
        )
    want = desired.objects.get(Address("realm", admin.realm))
    wanted = want.fields.get(ENABLED) if want is not None else None
    try:
        live = ep.Realm.read(admin).get(ENABLED)
    except KeycloakError as exc:
        if exc.status != 404:
            raise
        live = None  # the realm does not exist yet
    if wanted is False or (wanted is None and live is not True):
        raise KcconfError(
            f"realm {admin.realm!r} declares {KEY} but has them off: "
            f"write realm.{ENABLED}: true in its spec"
        )


def _relations(admin: RealmAdmin, org_id: str, want: Obj | None) -> dict[str, frozenset[str]]:
    """The providers and members the spec manages, as Keycloak has them. A managed member (one
    a broker login through the organization's provider made) counts only where the spec lists
    it: the others are left alone, never removed, as their account belongs to the
    organization (docs/keycloak-facts.md 18.10)."""
    relations: dict[str, frozenset[str]] = {}
    for name, endpoint in LINKS.items():
        if want is not None and name in want.relations:
            reps = endpoint.list(admin, org_id)
            relations[name] = frozenset(
                str(rep[endpoint.key])
                for rep in reps
                if rep.get("membershipType") != MANAGED or rep[endpoint.key] in want.relations[name]
            )
    return relations


KINDS = (OrganizationKind(),)
