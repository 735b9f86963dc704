"""The realm bench/realm_scale.py measures, at any scale: its objects and relations as plain data,
written once here and rendered three ways (the kcconf spec, Keycloak representations for partial
import, and the order of single admin requests), so every figure creates the same realm.

At scale 1.0: 5,000 realm roles (500 of them composites of 3 others), 100 client scopes, 1,000
clients (2 client roles, 2 realm roles in their scope, full scope off, one of the scopes as an
extra default scope), 100 top-level groups of 9 subgroups each (1,000 groups, one realm role
each), and 10,000 users (one realm role, one group). The scale multiplies every count, keeping
at least one of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

CLIENT_ROLES = ("reader", "writer")
SUBGROUPS = 9  # per top-level group, at every scale
CHILDREN = 3  # realm roles in each composite


def count(full: int, scale: float) -> int:
    return max(1, round(full * scale))


def builtin_default_scopes(version: str) -> list[str]:
    """The default client scopes Keycloak gives a new openid-connect client; `basic` from 25."""
    major = int(version.split(".")[0])
    return ["acr", *(["basic"] if major >= 25 else []), "email", "profile", "roles", "web-origins"]


@dataclass(frozen=True)
class Client:
    client_id: str
    roles: tuple[str, ...]
    scope_roles: tuple[str, ...]  # realm roles in the client's scope (scope mappings)
    default_scope: str  # the custom client scope added to Keycloak's default ones


@dataclass(frozen=True)
class Group:
    name: str
    parent: str | None  # the top-level group's name, for a subgroup
    role: str

    @property
    def path(self) -> str:
        return f"/{self.parent}/{self.name}" if self.parent else f"/{self.name}"


@dataclass(frozen=True)
class User:
    username: str
    role: str
    group: str  # a group path

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass(frozen=True)
class Shape:
    """Every object and relation of the realm at one scale."""

    realm: str
    scale: float
    builtin_scopes: tuple[str, ...]

    @cached_property
    def roles(self) -> list[str]:
        return [f"role-{i:05d}" for i in range(count(5000, self.scale))]

    @cached_property
    def composites(self) -> dict[str, list[str]]:
        """Composite role -> its child realm roles, taken from the roles that are not composites."""
        parents = self.roles[: min(count(500, self.scale), len(self.roles))]
        plain = self.roles[len(parents) :]
        width = min(CHILDREN, len(plain))
        return {
            p: sorted({plain[(CHILDREN * i + k) % len(plain)] for k in range(width)})
            for i, p in enumerate(parents)
        }

    @cached_property
    def scopes(self) -> list[str]:
        return [f"scope-{i:03d}" for i in range(count(100, self.scale))]

    @cached_property
    def clients(self) -> list[Client]:
        roles, scopes = self.roles, self.scopes
        return [
            Client(
                f"app-{i:04d}",
                CLIENT_ROLES,
                tuple(sorted({roles[(2 * i) % len(roles)], roles[(2 * i + 1) % len(roles)]})),
                scopes[i % len(scopes)],
            )
            for i in range(count(1000, self.scale))
        ]

    @cached_property
    def groups(self) -> list[Group]:
        """Top-level groups each followed by its subgroups, parents before children."""
        found: list[Group] = []
        for p in range(count(100, self.scale)):
            top = f"grp-{p:03d}"
            found.append(Group(top, None, ""))
            found += [Group(f"sub-{c}", top, "") for c in range(SUBGROUPS)]
        roles = self.roles
        return [Group(g.name, g.parent, roles[(7 * i) % len(roles)]) for i, g in enumerate(found)]

    @cached_property
    def users(self) -> list[User]:
        roles, groups = self.roles, self.groups
        return [
            User(f"user-{i:05d}", roles[(11 * i) % len(roles)], groups[i % len(groups)].path)
            for i in range(count(10000, self.scale))
        ]

    def default_scopes(self, client: Client) -> list[str]:
        return [*self.builtin_scopes, client.default_scope]


def flow(items: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(items) + "]"


def spec_text(shape: Shape) -> str:
    """The kcconf spec that declares exactly the shape, built as text (fast at 10,000 users)."""
    out = [f"realm:\n  name: {shape.realm}\n  enabled: true\n", "clientScopes:\n"]
    out += [f"  - name: {s}\n    protocol: openid-connect\n" for s in shape.scopes]
    out.append("roles:\n")
    for role in shape.roles:
        out.append(f"  - name: {role}\n")
        if role in shape.composites:
            out.append(f"    composites:\n      realmRoles: {flow(shape.composites[role])}\n")
    out.append("clients:\n")
    for c in shape.clients:
        out.append(
            f"  - clientId: {c.client_id}\n    publicClient: true\n    fullScopeAllowed: false\n"
            f"    defaultClientScopes: {flow(shape.default_scopes(c))}\n"
            f"    scopeMappings:\n      realmRoles: {flow(c.scope_roles)}\n    roles:\n"
            + "".join(f"      - name: {r}\n" for r in c.roles)
        )
    out.append("groups:\n")
    for g in shape.groups:
        indent = "      " if g.parent else ""
        if g.parent is None:
            out.append(f"  - name: {g.name}\n    realmRoles: [{g.role}]\n    subGroups:\n")
        else:
            out.append(f"{indent}- name: {g.name}\n{indent}  realmRoles: [{g.role}]\n")
    out.append("users:\n")
    out += [
        f"  - username: {u.username}\n    enabled: true\n    email: {u.email}\n"
        f"    firstName: User\n    lastName: '{u.username[5:]}'\n"
        f"    realmRoles: [{u.role}]\n    groups: [{u.group}]\n"
        for u in shape.users
    ]
    return "".join(out)
