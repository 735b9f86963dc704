"""The realm's own settings and its realm-level default and optional client scopes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KeycloakError
from kcconf.keycloak.admin import Index
from kcconf.kinds.base import Relation, SpecContext
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, flatten, text, unflatten_into

SCOPE_LISTS = {"defaultDefaultClientScopes": "default", "defaultOptionalClientScopes": "optional"}


def _scope_relation(which: str) -> Relation:
    def path(index: Index, name: str) -> str:
        return index.path(f"default-{which}-client-scopes", index.scope_id(name))

    def add(index: Index, _address: Address, names: Sequence[str]) -> None:
        for name in names:
            index.api.put(path(index, name))

    def remove(index: Index, _address: Address, names: Sequence[str]) -> None:
        for name in names:
            index.api.delete(path(index, name))

    return Relation(f"{which} scopes", add, remove)


class RealmKind:
    name = "realm"
    relations: ClassVar[Mapping[str, Relation]] = {
        key: _scope_relation(which) for key, which in SCOPE_LISTS.items()
    }

    def desired(self, ctx: SpecContext) -> Iterable[Obj]:
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

    def read(self, index: Index, desired: State) -> Iterable[Obj]:
        try:
            rep = index.api.get(index.path(""))
        except KeycloakError as exc:
            if exc.status == 404:
                return  # the realm does not exist yet
            raise
        want = desired.objects.get(Address(self.name, index.realm))
        maps = frozenset(k for k, v in rep.items() if isinstance(v, Mapping))
        relations = {}
        for key, which in SCOPE_LISTS.items():
            if want is not None and key in want.relations:
                scopes = index.api.get(index.path(f"default-{which}-client-scopes"))
                relations[key] = frozenset(s["name"] for s in scopes)
        yield Obj(Address(self.name, index.realm), flatten(rep, maps), relations, raw=rep)

    def create(self, index: Index, change: Change) -> None:
        body = unflatten_into({"realm": index.realm}, change.target.fields)
        index.api.post("", body)

    def update(self, index: Index, change: Change) -> None:
        # Read-modify-write: a realm PUT resets attributes and policies it is not sent (2.1).
        body = unflatten_into(dict(change.live_raw), {f.name: f.new for f in change.fields})
        index.api.put(index.path(""), body)

    def delete(self, index: Index, change: Change) -> None:
        raise AssertionError("kcconf never deletes a realm")  # no prune policy covers realms
