"""Required actions (`requiredActions`, top level, by alias): enabled, default action, display
name and config; and their order, which is Keycloak's priority.

Each written action is a `required-action` object. The order the spec lists them in is one
`required-action-order` object per realm with an ordered `order` field, so the plan shows a move
as a move (`order: moved VERIFY_EMAIL to 1`) instead of renumbering every action. Only the
listed actions are ordered among themselves: apply hands them the priorities they hold between
them, in the spec's order, and the actions the spec leaves out keep theirs. Keycloak registers
its own actions in every realm and kcconf never deletes one; an alias Keycloak does not have is
an error at plan time, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.errors import KcconfError
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import seg
from kcconf.kinds import base
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, text, unflatten_into
from kcconf.spec.checker import SpecChecker

ACTION = "required-action"
ORDER = "required-action-order"
KEY = "requiredActions"


def _priority(rep: Mapping[str, Any]) -> tuple[int, str]:
    return (int(rep.get("priority") or 0), str(rep["alias"]))


class RequiredActionKind(base.Kind):
    name = ACTION
    spec_key = KEY
    after = ("realm",)
    prunable = False
    optional = True
    name_field = "alias"
    fields = ("name", "enabled", "defaultAction", "config")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"config": text}
    endpoint = ep.REQUIRED_ACTIONS

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for spec in ctx.doc.data.get(KEY) or []:
            yield Obj(Address(self.name, spec["alias"]), self.fields_of(spec))

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        wanted = desired.of_kind(self.name)
        live = admin.collection(ep.REQUIRED_ACTIONS)
        missing = sorted(a.name for a in wanted if a.name not in live)
        if missing:
            raise KcconfError(
                f"required action(s) {', '.join(missing)} not registered in realm "
                f"{admin.realm!r}; it has: {', '.join(sorted(live))}"
            )
        for alias, rep in live.items():
            yield self.live(Address(self.name, alias), rep, protected=True)

    def check(self, checker: SpecChecker) -> None:
        checker.unique((KEY,), "alias", "required action")


class RequiredActionOrderKind(base.Kind):
    """The order of the listed required actions: one object per realm."""

    name = ORDER
    spec_key = KEY
    after = (ACTION,)
    prunable = False
    optional = True
    ordered = frozenset({"order"})

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        specs = ctx.doc.data.get(KEY)
        if specs:
            order = [spec["alias"] for spec in specs]
            yield Obj(Address(self.name, ctx.realm), {"order": order})

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        want = desired.objects.get(Address(self.name, admin.realm))
        if want is None:
            return
        listed = set(want.fields["order"])
        live = sorted(admin.collection(ep.REQUIRED_ACTIONS).values(), key=_priority)
        order = [rep["alias"] for rep in live if rep["alias"] in listed]
        yield Obj(want.address, {"order": order}, protected=True)

    def update(self, admin: RealmAdmin, change: Change) -> None:
        """The listed actions take the priorities they hold between them, in the spec's order
        (kept strictly increasing, so no two tie); the others keep theirs."""
        admin.forget()
        live = admin.collection(ep.REQUIRED_ACTIONS)
        order = list(change.target.fields["order"])
        slots = sorted(_priority(live[alias])[0] for alias in order)
        for i in range(1, len(slots)):
            slots[i] = max(slots[i], slots[i - 1] + 1)
        for alias, priority in zip(order, slots, strict=True):
            if live[alias].get("priority") != priority:
                body = unflatten_into(dict(live[alias]), {"priority": priority})
                ep.REQUIRED_ACTIONS.update(admin, seg(alias), body)


KINDS = (RequiredActionKind(), RequiredActionOrderKind())
