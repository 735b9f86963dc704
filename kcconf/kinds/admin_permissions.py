"""Fine-grained admin permissions (v1) of a client (`clients[].permissions`) and of the realm's
users (`usersPermissions`), named by meaning: `token-exchange: [policy names]`, never by the
id-bearing names Keycloak gives them (`token-exchange.permission.client.<id>`).

Enabling makes Keycloak create one scope permission per scope in realm-management's resource
server; each scope's list names the policies that permission applies, declared under
realm-management's `authorization.policies`. A list written is exact; a scope not written is
left alone. The lists are relations, attached after every policy exists, and enabling comes
before any policy of realm-management is created, since its resource server only exists once
some permissions are enabled (docs/keycloak-facts.md 22.4). A server without the feature
admin-fine-grained-authz:v1 (Keycloak 26's default is v2) refuses the spec at plan time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from kcconf.errors import KcconfError, KeyPath
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak import features
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import authz, base
from kcconf.kinds.client import CLIENT
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State
from kcconf.spec.checker import SpecChecker

POLICY = "authz-policy"
NAME = "fine-grained"  # the one object of each owner: `client app / permissions fine-grained`
CLIENT_SCOPES = (
    *("view", "manage", "configure", "map-roles", "map-roles-client-scope"),
    *("map-roles-composite", "token-exchange"),
)
USERS_SCOPES = (
    *("view", "manage", "map-roles", "manage-group-membership", "impersonate"),
    "user-impersonated",
)
TOKEN_EXCHANGE = "token-exchange"


def _owner(admin: RealmAdmin, address: Address) -> str:
    """The client id the permissions are under ("" for the users')."""
    return admin.client_uuid(address.parent.name) if address.parent is not None else ""


def _relation(scope: str) -> base.Relation:
    def change(adding: bool) -> base.Change_:
        def run(admin: RealmAdmin, address: Address, names: Sequence[str]) -> None:
            found = ep.management_permissions(admin, _owner(admin, address))
            permission = (found.get("scopePermissions") or {}).get(scope)
            if permission is None:
                raise KcconfError(f"{address}: Keycloak made no {scope} permission to attach to")
            authz.attach(admin, authz.MANAGEMENT, str(permission), names, adding)

        return run

    return base.Relation(f"{scope} policies", POLICY, change(True), change(False))


class _Permissions(base.Kind):
    scopes: ClassVar[tuple[str, ...]]
    optional = True
    prunable = False
    before = (POLICY,)
    fields = ("enabled",)

    def owners(self, ctx: base.SpecContext) -> Iterable[tuple[Address | None, Mapping[str, Any]]]:
        raise NotImplementedError

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        for parent, spec in self.owners(ctx):
            relations = {s: frozenset(spec[s]) for s in self.scopes if s in spec}
            yield Obj(self.address(NAME, parent), self.fields_of(spec), relations)

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        wanted = list(desired.of_kind(self.name).values())
        clients = admin.clients()
        for want in wanted:
            parent = want.address.parent
            if parent is not None and parent.name not in clients:
                continue  # created by this plan
            found = ep.management_permissions(admin, _owner(admin, want.address))
            rep = {"enabled": bool(found.get("enabled"))}
            yield Obj(want.address, rep, self._applied(admin, found), raw=rep)

    def preflight(self, admin: RealmAdmin, desired: State) -> None:
        wanted = desired.of_kind(self.name).values()
        info = admin.api.server_info()
        features.require(
            info, features.FGAP_V1, f"{self.spec_key} (fine-grained admin permissions v1)"
        )
        if any(TOKEN_EXCHANGE in w.relations for w in wanted):
            features.require(info, features.TOKEN_EXCHANGE, f"{self.spec_key}.{TOKEN_EXCHANGE}")

    def _applied(self, admin: RealmAdmin, found: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        """Each scope's applied policies, by name, read from realm-management's settings."""
        relations = {s: frozenset[str]() for s in self.scopes}
        doc = authz.settings(admin, authz.MANAGEMENT) if found.get("enabled") else None
        if doc is None:
            return relations
        ids = admin.collection(ep.AUTHZ_POLICIES, admin.client_uuid(authz.MANAGEMENT))
        names = {str(rep["id"]): name for name, rep in ids.items()}
        by_name = {str(p.get("name")): p for p in doc.get("policies") or []}
        for scope, permission in (found.get("scopePermissions") or {}).items():
            rep = by_name.get(names.get(str(permission), ""))
            if scope in relations and rep is not None:
                relations[scope] = frozenset(
                    str(n) for n in authz.config_list(rep, "applyPolicies")
                )
        return relations

    def create(self, admin: RealmAdmin, change: Change) -> None:
        self.update(admin, change)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        return None

    def update(self, admin: RealmAdmin, change: Change) -> None:
        if "enabled" in change.target.fields:
            enabled = bool(change.target.fields["enabled"])
            ep.set_management_permissions(admin, enabled, _owner(admin, change.address))

    def check_spec(self, checker: SpecChecker, path: KeyPath) -> None:
        spec = checker.get(path)
        if isinstance(spec, Mapping) and spec.get("enabled") is False:
            for scope in self.scopes:
                if spec.get(scope):
                    checker.report(
                        (*path, scope),
                        f"{scope} policies need enabled: true (disabling deletes the permissions)",
                    )


class ClientPermissionsKind(_Permissions):
    name = "permissions"
    spec_key = "permissions"
    label = "client admin permissions"
    reading = "clients' admin permissions"
    parents = (CLIENT,)
    scopes = CLIENT_SCOPES
    relations: ClassVar[Mapping[str, base.Relation]] = {s: _relation(s) for s in CLIENT_SCOPES}

    def owners(self, ctx: base.SpecContext) -> Iterable[tuple[Address | None, Mapping[str, Any]]]:
        for _, client in base.items(ctx.doc.data, "clients"):
            if isinstance(client.get(self.spec_key), Mapping):
                yield Address(CLIENT, str(client["clientId"])), client[self.spec_key]

    def check(self, checker: SpecChecker) -> None:
        for path, _ in checker.items(("clients",)):
            self.check_spec(checker, (*path, self.spec_key))


class UsersPermissionsKind(_Permissions):
    name = "users-permissions"
    spec_key = "usersPermissions"
    label = "users admin permissions"
    reading = "users' admin permissions"
    scopes = USERS_SCOPES
    relations: ClassVar[Mapping[str, base.Relation]] = {s: _relation(s) for s in USERS_SCOPES}

    def owners(self, ctx: base.SpecContext) -> Iterable[tuple[Address | None, Mapping[str, Any]]]:
        spec = ctx.doc.data.get(self.spec_key)
        if isinstance(spec, Mapping):
            yield None, spec

    def check(self, checker: SpecChecker) -> None:
        self.check_spec(checker, (self.spec_key,))


KINDS = (ClientPermissionsKind(), UsersPermissionsKind())
