"""The user profile (Keycloak 24+, `userProfile` at the top level): which user attributes a realm
keeps, their validations, permissions and annotations, their groups, and what happens to the
attributes it does not declare (`unmanagedAttributePolicy`).

One object per realm. Each written key of each written attribute (or attribute group) is a field
of its own, `attributes[department].validations`, so Keycloak's defaults for keys the spec does
not write (`multivalued: false`) never show as changes, and attributes the spec does not list are
left alone. Apply reads the profile, writes the changed keys in, and sends it back whole, before
any user is written: the profile decides which user attributes survive.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State
from kcconf.spec.checker import SpecChecker

KEY = "userProfile"
POLICY = "unmanagedAttributePolicy"
DISABLED = "DISABLED"  # Keycloak's profile leaves the policy out for this
LISTS = ("attributes", "groups")
FIELD = re.compile(r"^(attributes|groups)\[(.+)\]\.(\w+)$")


def _fields(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as fields: the policy, and one per key of each attribute and group."""
    fields: dict[str, Any] = {POLICY: profile.get(POLICY) or DISABLED}
    for name in LISTS:
        for entry in profile.get(name) or []:
            for key, value in entry.items():
                if key != "name":
                    fields[f"{name}[{entry['name']}].{key}"] = value
    return fields


def _entry(body: dict[str, Any], name: str, item: str) -> dict[str, Any]:
    """The body's attribute (or group) called `item`, added when it is new."""
    entries: list[dict[str, Any]] = body.setdefault(name, [])
    found = next((e for e in entries if e.get("name") == item), None)
    if found is None:
        found = {"name": item}
        entries.append(found)
    return found


class UserProfileKind(base.Kind):
    name = "user-profile"
    spec_key = KEY
    after = ("realm",)
    before = ("user",)  # the profile decides which attributes a user write keeps
    prunable = False
    optional = True

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        spec = ctx.doc.data.get(KEY)
        if spec is not None:
            fields = _fields(spec)
            if POLICY not in spec:
                del fields[POLICY]
            yield Obj(Address(self.name, ctx.realm), fields)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        address = Address(self.name, admin.realm)
        profile = ep.user_profile(admin)
        yield Obj(address, _fields(profile), raw=profile, protected=True)

    def live_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        return _fields(rep)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        return ep.user_profile(admin)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        body = copy.deepcopy(dict(change.live_raw))
        for field in change.fields:
            match = FIELD.match(field.name)
            if match:
                _entry(body, match.group(1), match.group(2))[match.group(3)] = field.new
            elif field.new == DISABLED:
                body.pop(POLICY, None)
            else:
                body[POLICY] = field.new
        ep.update_user_profile(admin, body)

    def check(self, checker: SpecChecker) -> None:
        for name in LISTS:
            checker.unique((KEY, name), "name", f"user profile {name[:-1]}")


KINDS = (UserProfileKind(),)
