"""The permission path of an impersonation: fine-grained admin permissions (v1) of the realm's
users. Without realm-management/impersonation, Keycloak lets a user impersonate when the users'
`impersonate` permission has policies and they grant the user, and the target may be
impersonated when the `user-impersonated` permission has no policies or they grant the target
(docs/keycloak-facts.md 22.5).

kcconf evaluates user policies (and aggregates of them, and NEGATIVE logic) itself; a policy of
another type depends on what the token and the directory hold at exchange time, so the answer
is then unknown rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import authz
from kcconf.kinds.admin_permissions import NAME, UsersPermissionsKind
from kcconf.kinds.authorization import AGGREGATE_TYPE, APPLIED, POLICY, USER_TYPE
from kcconf.kinds.client import CLIENT
from kcconf.model.objects import Address, State

IMPERSONATE = "impersonate"
IMPERSONATED = "user-impersonated"


@dataclass(frozen=True)
class Policy:
    type: str
    users: frozenset[str] = frozenset()
    negative: bool = False
    strategy: str = "UNANIMOUS"
    applied: tuple[str, ...] = ()


@dataclass(frozen=True)
class UsersPermissions:
    """The users' permissions as they are (or will be): which policies each scope applies."""

    enabled: bool
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    policies: Mapping[str, Policy] = field(default_factory=dict)

    def grants(self, username: str, target: str) -> tuple[bool | None, str]:
        """Whether the permission path lets `username` impersonate `target`, and why."""
        if not self.enabled:  # no permission path at all: the role path's reason stands alone
            return False, ""
        applied = self.scopes.get(IMPERSONATE, ())
        if not applied:
            return False, "the users' impersonate permission applies no policy"
        granted = self._evaluate(applied, "UNANIMOUS", username, set())
        if granted is not True:
            what = "do not grant" if granted is False else "cannot be judged for"
            return (
                granted,
                f"the users' impersonate policies ({', '.join(applied)}) {what} the user",
            )
        guarded = self.scopes.get(IMPERSONATED, ())
        allowed = True if not guarded else self._evaluate(guarded, "UNANIMOUS", target, set())
        if allowed is not True:
            what = "do not grant" if allowed is False else "cannot be judged for"
            return (
                allowed,
                f"the user-impersonated policies ({', '.join(guarded)}) {what} the target",
            )
        return True, (
            f"the users' impersonate permission grants it through {', '.join(applied)} "
            "(fine-grained admin permissions v1)"
        )

    def _evaluate(
        self, names: Sequence[str], strategy: str, username: str, seen: set[str]
    ) -> bool | None:
        found = [self._one(name, username, seen) for name in names]
        if strategy == "AFFIRMATIVE":
            return True if True in found else (False if None not in found else None)
        if strategy == "UNANIMOUS":
            return False if False in found else (True if None not in found else None)
        return None if None in found else found.count(True) > found.count(False)

    def _one(self, name: str, username: str, seen: set[str]) -> bool | None:
        policy = self.policies.get(name)
        if policy is None or name in seen:
            return None
        if policy.type == USER_TYPE:
            result: bool | None = username in policy.users
        elif policy.type == AGGREGATE_TYPE:
            result = self._evaluate(policy.applied, policy.strategy, username, {*seen, name})
        else:
            return None
        return None if result is None else result != policy.negative


def _policy(rep: Mapping[str, object], applied: Sequence[str]) -> Policy:
    users = rep.get("users")
    return Policy(
        type=str(rep.get("type")),
        users=frozenset(str(u).lower() for u in users) if isinstance(users, list) else frozenset(),
        negative=rep.get("logic") == "NEGATIVE",
        strategy=str(rep.get("decisionStrategy") or "UNANIMOUS"),
        applied=tuple(applied),
    )


def live(admin: RealmAdmin) -> UsersPermissions:
    """The users' permissions as Keycloak has them now."""
    found = ep.management_permissions(admin)
    doc = authz.settings(admin, authz.MANAGEMENT) if found.get("enabled") else None
    if doc is None:
        return UsersPermissions(False)
    reps = {str(p.get("name")): p for p in doc.get("policies") or []}
    ids = admin.collection(ep.AUTHZ_POLICIES, admin.client_uuid(authz.MANAGEMENT))
    names = {str(rep["id"]): name for name, rep in ids.items()}
    policies = {
        name: _policy(
            {**rep, "users": authz.config_list(rep, "users")},
            [str(n) for n in authz.config_list(rep, "applyPolicies")],
        )
        for name, rep in reps.items()
    }
    scopes = {
        scope: policies[names[str(pid)]].applied
        for scope, pid in (found.get("scopePermissions") or {}).items()
        if names.get(str(pid)) in policies
    }
    return UsersPermissions(True, scopes, policies)


def projected(admin: RealmAdmin, desired: State) -> UsersPermissions:
    """The users' permissions as they will be once the plan is applied: the spec's
    `usersPermissions` and realm-management's policies over what Keycloak has now."""
    now = live(admin)
    want = desired.objects.get(Address(UsersPermissionsKind.name, NAME))
    enabled = now.enabled if want is None else bool(want.fields.get("enabled", now.enabled))
    scopes = dict(now.scopes)
    if want is not None:
        scopes.update({s: tuple(sorted(v)) for s, v in want.relations.items()})
    policies = dict(now.policies)
    holder = Address(CLIENT, authz.MANAGEMENT)
    for address, obj in desired.objects.items():
        if address.kind == POLICY and address.parent == holder:
            applied = tuple(sorted(obj.relations.get(APPLIED, ())))
            policies[address.name] = _policy(obj.fields, applied)
    return UsersPermissions(enabled, scopes, policies)
