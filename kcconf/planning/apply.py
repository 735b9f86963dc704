"""Executing a plan: exactly its changes, in dependency order, then a check that nothing differs.

Order: objects are created and updated kind by kind (scopes and roles before the clients and
users that map them), then every relation removal, then every addition. Removals go first so a
scope can move from optional to default in one apply.
"""

from __future__ import annotations

from collections.abc import Callable

from kcconf.errors import KcconfError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import BY_NAME, ROOT, address_order, relation
from kcconf.model.changes import Action, Change
from kcconf.model.objects import State
from kcconf.planning.plan import Plan, make_plan

Log = Callable[[str], None]
Show = Callable[[Plan], None]


def apply_plan(admin: RealmAdmin, plan: Plan, desired: State, log: Log, show: Show) -> None:
    """Apply `plan`, then check the realm matches `desired`.

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
    after = make_plan(admin, desired)
    if not after.empty:
        left = ", ".join(str(c.address) for c in after.changes)
        raise KcconfError(f"apply finished but the realm still differs from the spec: {left}")


def execute(admin: RealmAdmin, changes: tuple[Change, ...], log: Log) -> None:
    for change in changes:
        kind = BY_NAME[change.address.kind]
        if change.action is Action.CREATE:
            log(f"creating {change.address}")
            kind.create(admin, change)
        elif change.action is Action.UPDATE and change.fields:
            log(f"updating {change.address}")
            kind.update(admin, change)
    for change in changes:
        for rel in change.relations:
            if rel.removed:
                relation(change.address.kind, rel.name).remove(admin, change.address, rel.removed)
    for change in changes:
        for rel in change.relations:
            how = relation(change.address.kind, rel.name)
            if rel.added and not (change.action is Action.CREATE and how.on_create):
                how.add(admin, change.address, rel.added)
    # Deletions last, users before the roles and clients they may be mapped to.
    for change in sorted(changes, key=lambda c: address_order(c.address), reverse=True):
        if change.action is Action.DELETE:
            log(f"deleting {change.address}")
            BY_NAME[change.address.kind].delete(admin, change)
