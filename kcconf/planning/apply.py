"""Executing a plan: exactly its changes, in dependency order, then a check that nothing differs.

Order: objects are created and updated kind by kind (scopes and roles before the clients and
users that map them), then every relation removal, then every addition. Removals go first so a
scope can move from optional to default in one apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from kcconf.errors import KcconfError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME, RANK, ROOT, relation
from kcconf.model.changes import Action, Change
from kcconf.model.objects import Address, State
from kcconf.planning.compare import compare
from kcconf.planning.plan import Plan, make_plan, read_live

Log = Callable[[str], None]
Show = Callable[[Plan], None]


def apply_plan(
    admin: RealmAdmin, plan: Plan, desired: State, log: Log, show: Show, full: bool = False
) -> None:
    """Apply `plan`, then check the realm matches `desired`: in what the apply wrote, or
    (`full`) in everything, as a second plan would.

    A new realm is created first and the rest planned again against it, since Keycloak fills a
    new realm with built-ins (scopes, roles, clients) that the first plan could not see; `show`
    is given that second plan before it is executed.
    """
    if not plan.realm_exists:
        realm_change = next(c for c in plan.changes if c.address.kind == ROOT.name)
        ROOT.create(admin, realm_change)
        log(f"created realm {plan.realm}")
        admin.forget()
        plan = make_plan(admin, desired)
        show(plan)
    execute(admin, plan.changes, log)
    admin.forget()
    left = make_plan(admin, desired).changes if full else still_differing(admin, desired, plan)
    if left:
        listed = ", ".join(str(c.address) for c in left)
        raise KcconfError(f"apply finished but the realm still differs from the spec: {listed}")


def still_differing(admin: RealmAdmin, desired: State, plan: Plan) -> list[Change]:
    """The changes the plan made, planned again: the objects it wrote are read back and
    compared, and nothing else is read per object (lists are, to find them)."""
    touched = {c.address for c in plan.changes} | {c.live_address for c in plan.changes}
    parents = {p for a in touched for p in _parents(a)}  # a mapper is read through its client
    kept = touched | parents
    narrowed = replace(desired, objects={a: o for a, o in desired.objects.items() if a in kept})
    live = read_live(admin, narrowed)
    return [c for c in compare(narrowed, live) if c.address in touched]


# Up to this many writes, each object written is said on stderr as its write starts; more
# show as progress (a 10,000-user apply does not list 10,000 names).
LOG_EACH = 50
SAID = frozenset({"creating", "updating", "deleting"})  # relation changes are in the plan


@dataclass(frozen=True)
class Step:
    """One write of an apply: what it does, in words, and doing it. Consecutive steps of one
    `batch` do not depend on each other and may run side by side."""

    what: str
    run: Callable[[], None]
    batch: tuple[str, ...]
    address: Address  # the object it writes, or whose relation it changes


def execute(admin: RealmAdmin, changes: tuple[Change, ...], log: Log) -> None:
    """Run the plan's writes in order, each batch of independent writes in parallel. When one
    fails or the run is interrupted, say what was done and what was not before the error goes
    on: a next apply plans the rest."""
    todo = steps(admin, changes)
    each = len(todo) <= LOG_EACH
    started: set[int] = set()
    done: set[int] = set()

    def run(index: int) -> None:
        started.add(index)
        if each and todo[index].batch[0] in SAID:
            log(todo[index].what)
        todo[index].run()
        done.add(index)

    try:
        for label, batch in batches(todo):
            admin.each(label, run, batch)
    except BaseException:  # KeyboardInterrupt too: the report matters most then
        log(stopped(todo, done, started - done))
        raise


def batches(todo: list[Step]) -> list[tuple[str, list[int]]]:
    """Runs of consecutive steps with the same batch, as (progress label, step indexes)."""
    out: list[tuple[str, list[int]]] = []
    for index, step in enumerate(todo):
        if out and todo[out[-1][1][0]].batch == step.batch:
            out[-1][1].append(index)
        else:
            out.append((" ".join(step.batch[:2]), [index]))
    return out


def steps(admin: RealmAdmin, changes: tuple[Change, ...]) -> list[Step]:
    """Objects created and updated kind by kind, then relation removals, then additions, then
    deletions (users before the roles and clients they may be mapped to). The steps of one
    batch are brought together so they can run side by side: one depth of a path-named kind
    at a time (groups: parents created before children, deleted after them), one relation of
    one kind at a time."""
    writes, removals, additions, deletions = [], [], [], []
    for change in changes:
        kind = BY_NAME[change.address.kind]
        if change.action is Action.CREATE:
            run = partial(kind.create, admin, change)
            writes.append(_object_step("creating", change, run))
        elif change.action is Action.UPDATE and change.fields:
            writes.append(_object_step("updating", change, partial(_update, admin, change)))
        elif change.action is Action.DELETE:
            deletions.append(_object_step("deleting", change, partial(kind.delete, admin, change)))
        for rel in change.relations:
            how = relation(change.address.kind, rel.name)
            batch = (how.label, change.address.kind, rel.name)
            if rel.removed:
                what = f"removing {how.label} of {change.address}: {', '.join(rel.removed)}"
                run = partial(how.remove, admin, change.address, rel.removed)
                removals.append(Step(what, run, ("removing", *batch), change.address))
            if rel.added and not (change.action is Action.CREATE and how.on_create):
                what = f"adding {how.label} of {change.address}: {', '.join(rel.added)}"
                run = partial(how.add, admin, change.address, rel.added)
                additions.append(Step(what, run, ("adding", *batch), change.address))
    return [*_staged(writes), *_together(removals), *_together(additions), *_last(deletions)]


def _object_step(verb: str, change: Change, run: Callable[[], None]) -> Step:
    """A create, update or delete, batched with the others of its kind, depth (groups) and
    parent kind (a client's mappers wait for the clients, not for the client scopes')."""
    address = change.address
    kind = BY_NAME[address.kind]
    depth = str(address.name.count("/")) if kind.path_named else "0"
    under = address.parent.kind if address.parent else ""
    return Step(f"{verb} {address}", run, (verb, f"{kind.noun}s", depth, under), address)


def _together(todo: list[Step]) -> list[Step]:
    """The steps of each batch together, batches in the order they first appear."""
    first: dict[tuple[str, ...], int] = {}
    for index, step in enumerate(todo):
        first.setdefault(step.batch, index)
    return sorted(todo, key=lambda step: first[step.batch])


def _staged(writes: list[Step]) -> list[Step]:
    """Creates and updates kind by kind in dependency order (a client before its roles and
    mappers), each kind a depth at a time (a group before its subgroups), each batch
    together."""
    return sorted(_together(writes), key=lambda s: (RANK[s.address.kind], int(s.batch[2])))


def _last(deletions: list[Step]) -> list[Step]:
    """Deletions in reverse dependency order (users before the roles mapped to them, a
    client's mappers before the client), the deepest groups first, each batch together."""
    return sorted(_together(deletions), key=lambda s: (-RANK[s.address.kind], -int(s.batch[2])))


def _parents(address: Address) -> list[Address]:
    found = []
    while address.parent is not None:
        address = address.parent
        found.append(address)
    return found


def _update(admin: RealmAdmin, change: Change) -> None:
    BY_NAME[change.address.kind].update(admin, current(admin, change))


def current(admin: RealmAdmin, change: Change) -> Change:
    """The update against the object as Keycloak has it now, read again right before the write:
    a field changed by hand since the plan is kept (the write starts from it), and a field the
    plan changes that someone else changed meanwhile stops the apply rather than overwrite it."""
    kind = BY_NAME[change.address.kind]
    raw = kind.reread(admin, change)
    if raw is None or change.live is None:
        return change
    now = kind.live_fields(raw)
    moved = [
        f.name
        for f in change.fields
        if not f.sensitive and now.get(f.name) != change.live.fields.get(f.name)
    ]
    if moved:
        raise KcconfError(
            f"{change.address} changed in Keycloak since the plan was made "
            f"({', '.join(sorted(moved))}); not overwriting it: plan again"
        )
    return replace(change, live=replace(change.live, raw=raw))


def stopped(todo: list[Step], done: set[int], running: set[int]) -> str:
    """The report of an apply that did not finish, in the plan's order. The writes it stopped
    in may or may not have reached Keycloak (an interrupt can come after a request was sent)."""
    finished = [s for i, s in enumerate(todo) if i in done]
    stuck = [s for i, s in enumerate(todo) if i in running]
    left = [s for i, s in enumerate(todo) if i not in done and i not in running]
    within = (
        f" Stopped in: {_listed(stuck)} (it may or may not have taken effect)." if stuck else ""
    )
    return (
        f"apply stopped after {len(finished)} of {len(todo)} writes. Done: {_listed(finished)}."
        f"{within} Not done: {_listed(left)}. Run apply again: it plans what is left."
    )


def _listed(todo: list[Step], most: int = 10) -> str:
    if not todo:
        return "nothing"
    shown = "; ".join(step.what for step in todo[:most])
    more = len(todo) - most
    return shown + (f"; and {more} more" if more > 0 else "")
