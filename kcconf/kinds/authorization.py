"""A client's authorization services, under `clients[].authorization`: the resource server's
settings, its scopes, resources, policies and permissions, each by name under its client
(`client api / authz-policy staff only`).

A client that writes one of the lists (`scopes`, `resources`, `policies`, `permissions`) lists
that section in full: its undeclared items are deleted only under the section's prune key with
`all` (they carry no ownership marker, so `created` deletes none), and never in a Keycloak
client's resource server (realm-management's holds the admin permissions Keycloak makes).
Policies and permissions share one namespace of names in Keycloak; the policies a permission
or an aggregate policy applies are a relation, attached after every policy exists, so an
aggregate may name a policy created in the same apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kcconf.errors import KcconfError, KeyPath
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.kinds import authz, base
from kcconf.kinds.client import CLIENT
from kcconf.kinds.group import GROUP
from kcconf.kinds.user import USER
from kcconf.model.changes import Change
from kcconf.model.objects import Address, Obj, State, string_list, text, unflatten_into
from kcconf.spec.checker import SpecChecker

SETTINGS = "authorization"
SCOPE = "authz-scope"
RESOURCE = "authz-resource"
POLICY = "authz-policy"
PERMISSION = "authz-permission"
PERMISSION_TYPES = ("resource", "scope")
APPLIED = "policies"  # the relation: the policies a permission or aggregate applies
USER_TYPE = "user"  # a policy type (the user policy), not the user kind
AGGREGATE_TYPE = "aggregate"
GROUP_TYPE = "group"  # the group policy, not the group kind
# Which policy type takes which key (the schema allows them all; `check` matches them).
TYPE_KEYS = {
    "client": ("clients",),
    "user": ("users",),
    "role": ("roles",),
    "group": ("groups", "groupsClaim"),
    "aggregate": (APPLIED,),
}


def _prune_schema(what: str) -> base.Schema:
    return {
        "description": f"Authorization {what} of clients that list them. all: delete the "
        "undeclared ones; created deletes none (they carry no ownership marker).",
        "enum": ["created", "all"],
    }


def _attach(adding: bool) -> base.Change_:
    def run(admin: RealmAdmin, address: Address, names: Any) -> None:
        client_id = authz.client_of(address)
        policy_id = authz.item_id(admin, ep.AUTHZ_POLICIES, client_id, address.name)
        authz.attach(admin, client_id, policy_id, list(names), adding)

    return run


def _id(raw: Mapping[str, Any]) -> str:
    """The id the list endpoint gave; a settings export naming an item no list holds is a
    server answer kcconf does not write on."""
    if not raw.get("id"):
        raise KcconfError("Keycloak's authorization settings name an item its lists do not hold")
    return str(raw["id"])


class _Section(base.Kind):
    """One list of a client's `authorization` block: its items by name under the client."""

    section: ClassVar[str]  # the list's key in the block: "policies"
    ids: ClassVar[ep.Endpoint]  # the list endpoint that gives the items' ids
    optional = True
    after: ClassVar[tuple[str, ...]] = (SETTINGS,)

    def schema(self) -> base.Schema:
        return {"prune": _prune_schema(self.section)}

    @property
    def prune_key(self) -> str | None:
        return f"authorization{self.section.capitalize()}"

    def specs(self, block: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        return [i for i in block.get(self.section) or [] if isinstance(i, Mapping)]

    def reps(self, doc: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        return [r for r in doc.get(self.section) or [] if isinstance(r, Mapping)]

    def spec_fields(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return self.fields_of(item)

    def rep_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        return self.fields_of(rep)

    def applied(self, item: Mapping[str, Any], spec: bool) -> dict[str, frozenset[str]]:
        return {}

    def translated(self, admin: RealmAdmin, client_id: str, body: dict[str, Any]) -> None:
        """Names in a write's body turned into the ids Keycloak is sent."""

    def item_path(self, admin: RealmAdmin, client_id: str, raw: Mapping[str, Any]) -> str:
        return authz.server_path(admin, client_id, self.ids.collection.rsplit("/", 1)[1], _id(raw))

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        written: set[str] = set()
        for _, client_id, block in authz.spec_blocks(ctx.doc.data):
            if self.section not in block:
                continue
            written.add(client_id)
            parent = Address(CLIENT, client_id)
            for item in self.specs(block):
                address = self.address(str(item["name"]), parent)
                yield Obj(address, self.spec_fields(item), self.applied(item, True))
        if written:
            ctx.containers[self.name] = written

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        written = desired.containers.get(self.name, set())
        for client_id, doc in authz.served(admin, written):
            ids = admin.collection(self.ids, admin.client_uuid(client_id))
            keep = authz.protected(admin, client_id) and self.name != POLICY
            for rep in self.reps(doc):
                name = str(rep["name"])
                raw = (
                    {"id": str(ids[name][self.ids.by]), "type": rep.get("type")}
                    if name in ids
                    else {}
                )
                yield Obj(
                    self.address(name, Address(CLIENT, client_id)),
                    self.rep_fields(rep),
                    self.applied(rep, False),
                    raw=raw,
                    protected=keep,
                )

    def create(self, admin: RealmAdmin, change: Change) -> None:
        client_id = authz.client_of(change.address)
        body = unflatten_into({"name": change.address.name}, change.target.fields)
        self.translated(admin, client_id, body)
        admin.api.post(self.create_path(admin, client_id, body), body)

    def create_path(self, admin: RealmAdmin, client_id: str, body: Mapping[str, Any]) -> str:
        return authz.server_path(admin, client_id, self.ids.collection.rsplit("/", 1)[1])

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        return None  # the update reads Keycloak's own (id-bearing) representation itself

    def update(self, admin: RealmAdmin, change: Change) -> None:
        if any(f.name == "type" for f in change.fields):
            raise KcconfError(
                f"{change.address}: Keycloak cannot change a {self.noun}'s type; give the new "
                "one another name"
            )
        client_id = authz.client_of(change.address)
        path = self.item_path(admin, client_id, change.live_raw)
        changed = unflatten_into({}, {f.name: f.new for f in change.fields})
        self.translated(admin, client_id, changed)
        current = admin.api.get(path)
        admin.api.put(path, {**current, **changed})

    def delete(self, admin: RealmAdmin, change: Change) -> None:
        client_id = authz.client_of(change.address)
        admin.api.delete(self.item_path(admin, client_id, change.live_raw))

    def check(self, checker: SpecChecker) -> None:
        for path, client in checker.items(("clients",)):
            suffix = f" of client '{client.get('clientId')}'"
            checker.unique((*path, authz.KEY, self.section), "name", self.noun, suffix)


class AuthzScopeKind(_Section):
    name = SCOPE
    spec_key = "scopes"
    section = "scopes"
    label = "authorization scope"
    reading = "authorization scopes"
    ids = ep.AUTHZ_SCOPES
    fields = ("displayName", "iconUri")


class AuthzResourceKind(_Section):
    name = RESOURCE
    spec_key = "resources"
    section = "resources"
    label = "authorization resource"
    reading = "authorization resources"
    ids = ep.AUTHZ_RESOURCES
    after = (SCOPE,)
    fields = ("displayName", "type", "uris", "scopes", "ownerManagedAccess", "attributes")
    maps: ClassVar[Mapping[str, base.Normaliser]] = {"attributes": string_list}

    def rep_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.fields_of(rep)
        fields["scopes"] = sorted(str(s["name"]) for s in rep.get("scopes") or [])
        return fields

    def translated(self, admin: RealmAdmin, client_id: str, body: dict[str, Any]) -> None:
        if "scopes" in body:
            body["scopes"] = [
                # The name too: Keycloak collects a resource's scopes in a set whose members
                # equal by name, so id-only scopes collapse into one (22.3).
                {"id": authz.item_id(admin, ep.AUTHZ_SCOPES, client_id, name), "name": name}
                for name in body["scopes"]
            ]


def _roles(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Roles of a role policy, `name` or `{role, required}`, as sorted `{role, required}`."""
    out = [{"role": i, "required": False} if isinstance(i, str) else dict(i) for i in items]
    return sorted(
        ({"role": str(r["role"]), "required": bool(r.get("required"))} for r in out), key=str
    )


def _groups(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Groups of a group policy, `path` or `{path, extendChildren}`, sorted."""
    out = [{"path": i} if isinstance(i, str) else dict(i) for i in items]
    return sorted(
        ({"path": str(g["path"]), "extendChildren": bool(g.get("extendChildren"))} for g in out),
        key=str,
    )


class _Policies(_Section):
    """Policies and permissions: one list endpoint and namespace, told apart by `type`."""

    ids = ep.AUTHZ_POLICIES
    relations: ClassVar[Mapping[str, base.Relation]] = {
        APPLIED: base.Relation("applied policies", POLICY, _attach(True), _attach(False))
    }

    def permission(self, rep: Mapping[str, Any]) -> bool:
        return rep.get("type") in PERMISSION_TYPES

    def reps(self, doc: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        mine = self.name == PERMISSION
        return [r for r in doc.get("policies") or [] if self.permission(r) == mine]

    def applied(self, item: Mapping[str, Any], spec: bool) -> dict[str, frozenset[str]]:
        if spec:
            return {APPLIED: frozenset(item[APPLIED])} if APPLIED in item else {}
        return {APPLIED: frozenset(str(n) for n in authz.config_list(item, "applyPolicies"))}

    def spec_fields(self, item: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.fields_of(item)
        if "roles" in fields:
            fields["roles"] = _roles(fields["roles"])
        if "groups" in fields:
            fields["groups"] = _groups(fields["groups"])
        return fields

    def item_path(self, admin: RealmAdmin, client_id: str, raw: Mapping[str, Any]) -> str:
        return authz.server_path(admin, client_id, "policy", str(raw.get("type")), _id(raw))

    def create_path(self, admin: RealmAdmin, client_id: str, body: Mapping[str, Any]) -> str:
        where = "permission" if self.permission(body) else "policy"
        return authz.server_path(admin, client_id, where, str(body["type"]))


class AuthzPolicyKind(_Policies):
    name = POLICY
    spec_key = "policies"
    section = "policies"
    label = "authorization policy"
    reading = "authorization policies"
    after = (SCOPE, RESOURCE, USER, GROUP, base.REALM_ROLE, base.CLIENT_ROLE)
    fields = (
        *("type", "description", "logic", "decisionStrategy"),
        *("clients", "users", "roles", "groups", "groupsClaim"),
    )

    def rep_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.fields_of(rep)
        kind = rep.get("type")
        if kind in ("client", "user"):
            key = f"{kind}s"
            fields[key] = sorted(str(v) for v in authz.config_list(rep, key))
        elif kind == "role":
            fields["roles"] = _roles(
                {"role": r.get("id"), "required": r.get("required")}
                for r in authz.config_list(rep, "roles")
                if isinstance(r, Mapping)
            )
        elif kind == "group":
            fields["groups"] = _groups(
                g for g in authz.config_list(rep, "groups") if isinstance(g, Mapping)
            )
            fields["groupsClaim"] = text((rep.get("config") or {}).get("groupsClaim") or "")
        return fields

    def translated(self, admin: RealmAdmin, client_id: str, body: dict[str, Any]) -> None:
        if "clients" in body:
            body["clients"] = [admin.client_uuid(c) for c in body["clients"]]
        if "users" in body:
            body["users"] = [admin.user_id(u) for u in body["users"]]
        if "roles" in body:
            body["roles"] = [
                {"id": admin.role(r["role"])["id"], "required": r["required"]}
                for r in body["roles"]
            ]
        if "groups" in body:
            body["groups"] = [
                {"id": admin.group_id(g["path"]), "extendChildren": g["extendChildren"]}
                for g in body["groups"]
            ]

    def check(self, checker: SpecChecker) -> None:
        super().check(checker)
        for path, client in checker.items(("clients",)):
            block = client.get(authz.KEY)
            if not isinstance(block, Mapping):
                continue
            self._shared_names(checker, (*path, authz.KEY), block)
            for index, item in enumerate(block.get(self.section) or []):
                if isinstance(item, Mapping):
                    self._type_keys(checker, (*path, authz.KEY, self.section, index), item)

    def _shared_names(self, checker: SpecChecker, path: KeyPath, block: Mapping[str, Any]) -> None:
        """Policies and permissions share Keycloak's namespace of names."""
        policies = {i.get("name") for i in block.get(self.section) or [] if isinstance(i, Mapping)}
        for index, item in enumerate(block.get("permissions") or []):
            if isinstance(item, Mapping) and item.get("name") in policies:
                checker.report(
                    (*path, "permissions", index, "name"),
                    f"a permission and a policy cannot share the name '{item.get('name')}': "
                    "Keycloak keeps them in one namespace",
                )

    def _type_keys(self, checker: SpecChecker, path: KeyPath, item: Mapping[str, Any]) -> None:
        kind = item.get("type")
        allowed = TYPE_KEYS.get(str(kind), ())
        for keys in TYPE_KEYS.values():
            for key in keys:
                if key in item and key not in allowed:
                    checker.report((*path, key), f"{key} does not apply to a policy of type {kind}")

    def references(self, data: Mapping[str, Any]) -> Iterable[base.Reference]:
        for path, _, block in authz.spec_blocks(data):
            for index, item in enumerate(block.get(self.section) or []):
                if not isinstance(item, Mapping):
                    continue
                at = (*path, self.section, index)
                for i, name in enumerate(item.get("clients") or []):
                    yield base.Reference((*at, "clients", i), CLIENT, name)
                for i, name in enumerate(item.get("users") or []):
                    yield base.Reference((*at, "users", i), USER, name)
                for i, role in enumerate(item.get("roles") or []):
                    ref = str(role.get("role") if isinstance(role, Mapping) else role)
                    target = base.CLIENT_ROLE if "/" in ref else base.REALM_ROLE
                    yield base.Reference((*at, "roles", i), target, ref)
                for i, group in enumerate(item.get("groups") or []):
                    ref = str(group.get("path") if isinstance(group, Mapping) else group)
                    yield base.Reference((*at, "groups", i), GROUP, ref)

    def exists(self, admin: RealmAdmin, name: str) -> bool:
        """A policy a relation names that the spec does not declare: one of any resource
        server's (realm-management's holds the admin permissions' policies)."""
        for client_id, rep in admin.clients().items():
            if rep.get("authorizationServicesEnabled") or client_id == authz.MANAGEMENT:
                doc = authz.settings(admin, client_id) or {}
                if any(p.get("name") == name for p in doc.get("policies") or []):
                    return True
        return False


class AuthzPermissionKind(_Policies):
    name = PERMISSION
    spec_key = "permissions"
    section = "permissions"
    label = "authorization permission"
    reading = "authorization permissions"
    after = (POLICY,)
    fields = ("type", "description", "decisionStrategy", "resources", "scopes")

    def rep_fields(self, rep: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.fields_of(rep)
        for key in ("resources", "scopes"):
            fields[key] = sorted(str(v) for v in authz.config_list(rep, key))
        return fields

    def translated(self, admin: RealmAdmin, client_id: str, body: dict[str, Any]) -> None:
        for key, endpoint in (("resources", ep.AUTHZ_RESOURCES), ("scopes", ep.AUTHZ_SCOPES)):
            if key in body:
                body[key] = [authz.item_id(admin, endpoint, client_id, n) for n in body[key]]


class AuthzSettingsKind(base.Kind):
    """The resource server's own settings; its spec key holds the whole `authorization` block,
    whose lists the section kinds above read."""

    name = SETTINGS
    spec_key = authz.KEY
    label = "authorization settings"
    reading = "authorization settings"
    parents = (CLIENT,)
    optional = True
    prunable = False
    fields = ("policyEnforcementMode", "decisionStrategy", "allowRemoteResourceManagement")

    def desired(self, ctx: base.SpecContext) -> Iterable[Obj]:
        written: set[str] = set()
        for _, client_id, block in authz.spec_blocks(ctx.doc.data):
            fields = self.fields_of(block)
            if fields:
                written.add(client_id)
                yield Obj(self.address("settings", Address(CLIENT, client_id)), fields)
        if written:
            ctx.containers[self.name] = written

    def read(self, admin: RealmAdmin, desired: State) -> Iterable[Obj]:
        for client_id, doc in authz.served(admin, desired.containers.get(self.name, set())):
            address = self.address("settings", Address(CLIENT, client_id))
            yield Obj(address, self.fields_of(doc), raw=doc)

    def create(self, admin: RealmAdmin, change: Change) -> None:
        self.update(admin, change)

    def reread(self, admin: RealmAdmin, change: Change) -> Mapping[str, Any] | None:
        return None

    def update(self, admin: RealmAdmin, change: Change) -> None:
        path = authz.server_path(admin, authz.client_of(change.address))
        current = admin.api.get(path)
        admin.api.put(path, unflatten_into(current, {f.name: f.new for f in change.fields}))

    def check(self, checker: SpecChecker) -> None:
        for path, client in checker.items(("clients",)):
            if authz.KEY not in client or client.get("clientId") == authz.MANAGEMENT:
                continue
            if client.get("authorizationServicesEnabled") is not True:
                checker.report(
                    (*path, authz.KEY),
                    f"{authz.KEY} needs authorizationServicesEnabled: true on the same client "
                    f"(only {authz.MANAGEMENT}'s resource server exists without it)",
                )


KINDS = (
    AuthzSettingsKind(),
    AuthzScopeKind(),
    AuthzResourceKind(),
    AuthzPolicyKind(),
    AuthzPermissionKind(),
)
