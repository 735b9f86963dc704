"""Client profiles (`clientProfiles`) and client policies (`clientPolicies`), top level, by name.

A profile is a named list of executors (each a provider id with its configuration) that
Keycloak runs on the requests of the clients a policy selects; a policy names its conditions
(which clients) and its profiles. Keycloak keeps each realm's profiles, and its policies, as
one document written whole (`PUT client-policies/profiles`); each entry is an object of its own
here, so a plan names each by name with its changed fields, and every write reads the document,
changes its one entry and writes it back (read-modify-write, one at a time), keeping the
entries the spec does not declare unless `prune` deletes them (`all`: entries carry no marker).

Keycloak's global profiles (`fapi-1-baseline`, ...) are read-only: a policy may name them, a
spec may not declare one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Obj, State
from kcconf.spec.checker import SpecChecker

PROFILE = "client-profile"
POLICY = "client-policy"
# Keycloak's global profiles, by the first version known to have each (docs/keycloak-facts.md
# 21.5: 24.0.5 lacks the last three, 26.4.7 has them; the versions between were not checked).
GLOBAL_PROFILES: Mapping[str, tuple[int, ...]] = {
    "fapi-1-baseline": (24,),
    "fapi-1-advanced": (24,),
    "fapi-ciba": (24,),
    "fapi-2-security-profile": (24,),
    "fapi-2-message-signing": (24,),
    "oauth-2-1-for-confidential-client": (24,),
    "oauth-2-1-for-public-client": (24,),
    "fapi-2-dpop-security-profile": (26, 4),
    "fapi-2-dpop-message-signing": (26, 4),
    "saml-security-profile": (26, 4),
}
# One document write at a time: two entries written side by side would each write back a
# document without the other's change.
_WRITING = threading.Lock()


def _unknown(profile: str, server: str) -> str:
    """Why a policy's profile is missing: a global profile of later versions, or none at all."""
    return PROFILES.too_new(profile, server) or (
        f"client profile {profile} exists neither in Keycloak nor in the spec"
    )


class _Entry(base.Kind):
    """An entry of one of the realm's client-policy documents."""

    document: ClassVar[ep.ClientPolicies]
    after = ("realm",)
    optional = True

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        if self.spec_key not in ctx.doc.data:
            return
        ctx.containers[self.name] = {ctx.realm}  # written: its undeclared entries may be pruned
        for _, spec in base.items(ctx.doc.data, self.spec_key):
            yield Obj(self.address(str(spec["name"])), self.spec_fields(spec))

    def spec_fields(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """An executor or condition written without configuration has an empty one: Keycloak
        answers 500 to such an executor, 24 answers 400 to such a condition, and each lists
        `{}` once sent it (docs/keycloak-facts.md 21.5)."""
        fields = base.pick(spec, self.fields)
        for key in ("executors", "conditions"):
            if key in fields:
                fields[key] = [{"configuration": {}, **entry} for entry in fields[key]]
        return fields

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        own, _ = self.document.read(admin)
        for entry in own:
            yield self.live(self.address(str(entry["name"])), entry)

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        return base.pick(rep, self.fields)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        own, _ = self.document.read(admin)
        found = next((e for e in own if e.get("name") == change.live_address.name), None)
        if found is None:
            raise KcconfError(f"{change.address} was deleted in Keycloak since the plan was made")
        return found

    def _rewrite(self, admin: RealmAdmin, name: str, entry: Mapping[str, Any] | None) -> None:
        """The document with entry `name` replaced by `entry` (appended when new, dropped when
        None), written back."""
        with _WRITING:
            own, _ = self.document.read(admin)
            kept = [e for e in own if e.get("name") != name]
            if entry is not None:
                at = next((i for i, e in enumerate(own) if e.get("name") == name), len(own))
                kept.insert(at, dict(entry))
            self.document.write(admin, kept)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        name = change.address.name
        self._rewrite(admin, name, {"name": name, **change.target.fields})

    def update(self, admin: RealmAdmin, change: Change) -> None:
        entry = {**change.live_raw, **{f.name: f.new for f in change.fields}}
        self._rewrite(admin, change.address.name, entry)

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        self._rewrite(admin, change.address.name, None)

    def check(self, checker: SpecChecker) -> None:
        checker.unique((self.spec_key,), "name", self.noun)

    def declared(self, data: Mapping[str, Any]) -> set[str] | None:
        return base.declared_names(data, self.spec_key, "name")


class ClientProfileKind(_Entry):
    name = PROFILE
    spec_key = "clientProfiles"
    label = "client profile"
    reading = "client profiles"
    document = ep.CLIENT_PROFILES
    fields = ("description", "executors")
    ordered = frozenset({"executors"})  # executors run in the order listed
    since = GLOBAL_PROFILES

    def builtins(self, realm: str) -> frozenset[str]:
        return frozenset(GLOBAL_PROFILES)

    def exists(self, admin: RealmAdmin, name: str) -> bool:
        return any(e.get("name") == name for e in self.document.read(admin)[1])

    def check(self, checker: SpecChecker) -> None:
        super().check(checker)
        for path, item in checker.items((self.spec_key,)):
            if item.get("name") in GLOBAL_PROFILES:
                checker.report(
                    (*path, "name"),
                    f"client profile '{item['name']}' is one of Keycloak's global profiles, "
                    "which are read-only: a policy may name it, a spec may not declare it",
                )


class ClientPolicyKind(_Entry):
    name = POLICY
    spec_key = "clientPolicies"
    label = "client policy"
    reading = "client policies"
    after = (PROFILE,)  # a policy names its profiles: they are written first, deleted last
    document = ep.CLIENT_POLICIES
    fields = ("description", "enabled", "conditions", "profiles")
    ordered = frozenset({"conditions", "profiles"})

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        own, global_ = ep.CLIENT_PROFILES.read(admin)
        known = {str(e.get("name")) for e in (*own, *global_)}
        known |= {a.name for a in desired.of_kind(PROFILE)}
        missing = sorted(
            (str(want.address), name)
            for want in desired.of_kind(self.name).values()
            for name in want.fields.get("profiles") or []
            if name not in known
        )
        if missing:
            server = str(admin.api.server_info()["systemInfo"]["version"])
            raise KcconfError("; ".join(f"{at}: {_unknown(name, server)}" for at, name in missing))
        yield from super().read(admin, desired)

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, spec in base.items(data, self.spec_key):
            names = spec.get("profiles")
            for i, name in enumerate(names if isinstance(names, list) else []):
                if isinstance(name, str):
                    yield base.Reference((*path, "profiles", i), PROFILE, name)


PROFILES = ClientProfileKind()
KINDS = (PROFILES, ClientPolicyKind())
