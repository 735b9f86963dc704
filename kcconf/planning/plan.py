"""Reading the live realm for a desired state and planning the changes between them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kcconf.checks.run import plan_warnings
from kcconf.errors import KcconfError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME, KINDS, relation
from kcconf.model.changes import Action, Change
from kcconf.model.objects import Address, State
from kcconf.planning.compare import compare, unmanaged

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class Plan:
    """The changes that make one realm match its spec, deletions first.

    `unmanaged` counts live objects per kind that no spec declares and the plan leaves alone;
    `live_counts` counts the live objects per kind that may be deleted at all, built-ins left
    out (the base of the deletion thresholds).
    """

    realm: str
    changes: tuple[Change, ...]
    realm_exists: bool = True
    unmanaged: Mapping[str, int] = field(default_factory=dict)
    live_counts: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # expected impersonations this plan would leave refused

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def empty(self) -> bool:
        return not self.changes


def read_live(admin: RealmAdmin, desired: State, progress: Progress = None) -> State:
    """What Keycloak has, in the same shape as the spec; relations only where the spec has them
    (so a plan costs list reads plus one read per object whose relations are managed)."""
    live = State(desired.realm)
    involved = [k for k in KINDS if k.involved(desired)]
    for kind in involved:  # before any read decides the realm is new, and so before any write
        kind.preflight(admin, desired)
    for kind in involved:
        if progress is not None:
            progress(f"realm {desired.realm}: reading {kind.reading or kind.name + 's'}")
        found = list(kind.read(admin, desired))
        if kind.root and not found:
            return State(desired.realm, exists=False)
        for obj in found:
            live.add(obj)
    return live


def make_plan(
    admin: RealmAdmin, desired: State, reset_passwords: bool = False, progress: Progress = None
) -> Plan:
    live = read_live(admin, desired, progress)
    check_references(admin, desired, live)
    changes = compare(desired, live, reset_passwords=reset_passwords)
    refused = [why for kind in KINDS if (why := kind.refuse(desired, live, changes))]
    if refused and live.exists:
        raise KcconfError(f"refusing the plan for realm {desired.realm}: {'; '.join(refused)}")
    # The base of the deletion limits: what a prune could delete, not Keycloak's built-ins.
    counts = Counter(a.kind for a, obj in live.objects.items() if not obj.protected)
    warnings = plan_warnings(admin, desired, live) if live.exists else []
    return Plan(
        desired.realm,
        tuple(changes),
        live.exists,
        dict(unmanaged(desired, live, changes)),
        dict(counts),
        tuple(warnings),
    )


def rename_hints(plan: Plan) -> list[str]:
    """A delete and a create of one kind may be a rename that would lose the object's identity."""
    hints = []
    for kind in sorted({c.address.kind for c in plan.changes}):
        names = {
            action: [
                c.address.name
                for c in plan.changes
                if c.address.kind == kind and c.action is action
            ]
            for action in (Action.DELETE, Action.CREATE)
        }
        if names[Action.DELETE] and names[Action.CREATE]:
            hints.append(
                f"{kind} {', '.join(names[Action.DELETE])} is deleted and "
                f"{', '.join(names[Action.CREATE])} created: if that is a rename, write "
                "renamedFrom on the new one to keep its id, secret and mappings"
            )
    return hints


def check_references(admin: RealmAdmin, desired: State, live: State) -> None:
    """Every scope and role a relation names must exist live or be created by this plan. For a
    realm still to be created, the built-ins it will get are known except by version: a built-in
    newer than the server is refused here, before the realm is created."""
    known = set(live.objects) | set(desired.objects)
    # A relation names a child object by its own name (a policy of a client's resource server).
    known |= {Address(a.kind, a.name) for a in known if a.parent is not None}
    missing = []
    for obj in desired.objects.values():
        for name, items in obj.relations.items():
            for item in sorted(items):
                target = Address(relation(obj.address.kind, name).target, item)
                if target in known:
                    continue
                why = _missing(admin, target, live.exists)
                if why:
                    missing.append(f"{obj.address}: {why}")
    if missing:
        raise KcconfError("; ".join(missing))


def _missing(admin: RealmAdmin, target: Address, realm_exists: bool) -> str:
    """Why a reference resolves to nothing ("" when it does): a built-in this server is too
    old for, or no object at all."""
    kind = BY_NAME[target.kind]
    if realm_exists and kind.exists(admin, target.name):
        return ""
    server = str(admin.api.server_info()["systemInfo"]["version"])
    why = kind.too_new(target.name, server)
    if why:
        return why
    # Into a realm still to be created, validate has judged the references to the kinds that
    # tell the names a spec declares; the others' (a resource server's policies) are judged
    # here: such a realm will hold none of them but the built-ins.
    offline = kind.declared({}) is not None
    if not realm_exists and (offline or target.name in kind.builtins(admin.realm)):
        return ""
    return f"{target} does not exist in Keycloak or the spec"
