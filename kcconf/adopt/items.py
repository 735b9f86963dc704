"""Keycloak's export representation as spec items, in full: every field kcconf manages.

The fields taken are the kinds' own (`Kind.fields`, looked up by spec key), so a field written
here is exactly a field plan compares. Relations kept elsewhere in an export are gathered into
their owner: scope mappings (`scopeMappings`, `clientScopeMappings`) into clients and client
scopes, service-account users' roles into their clients, client roles into their clients.
Leaving out what a new realm holds anyway is trim's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.adopt.report import Report
from kcconf.kinds import KINDS
from kcconf.model.objects import MARKER

Rep = Mapping[str, Any]
Item = dict[str, Any]
# Client attributes that hold private keys: never written in a file, and no spec key takes them
# from the environment.
SECRET_ATTRIBUTES = frozenset({"saml.signing.private.key", "saml.encryption.private.key"})
# Attributes Keycloak stamps itself: a secret's creation time, and a SAML client's artifact
# binding identifier (derived from its clientId at creation, docs/keycloak-facts.md 16.11).
STAMPED_ATTRIBUTES = frozenset({"client.secret.creation.time", "saml.artifact.binding.identifier"})
# Authenticators that take the client's secret (the others use keys or certificates).
SECRET_AUTH = frozenset({"client-secret", "client-secret-jwt"})


def kind_fields(spec_key: str) -> tuple[str, ...]:
    """The fields the kind listed under `spec_key` manages."""
    return next(k.fields for k in KINDS if k.spec_key == spec_key)


def picked(rep: Rep, spec_key: str) -> Item:
    """The kind's managed fields of `rep`; absent and null fields stay absent. kcconf's own
    marker is not the realm's configuration: apply sets it on what it creates."""
    out = {f: rep[f] for f in kind_fields(spec_key) if rep.get(f) is not None}
    if isinstance(out.get("attributes"), Mapping) and MARKER in out["attributes"]:
        out["attributes"] = {k: v for k, v in out["attributes"].items() if k != MARKER}
    return out


def role_block(realm: Iterable[str], clients: Mapping[str, Iterable[str]]) -> Item:
    """`{realmRoles, clientRoles}` sorted, each key only when it holds something."""
    out: Item = {}
    if sorted(realm):
        out["realmRoles"] = sorted(set(realm))
    roles = {c: sorted(set(r)) for c, r in clients.items() if r}
    if roles:
        out["clientRoles"] = dict(sorted(roles.items()))
    return out


class Items:
    """One export's objects as spec items, with the indexes their relations are read from."""

    def __init__(self, rep: Rep, report: Report) -> None:
        self.rep = rep
        self.report = report
        self.realm = str(rep["realm"])
        self.scope_maps: dict[str, dict[str, list[str]]] = {}  # owner -> roles
        self._index_scope_maps()

    def _index_scope_maps(self) -> None:
        """Owner (`client:x` or `scope:y`) -> {"": realm roles, clientId: its roles}."""
        for entry in self.rep.get("scopeMappings") or []:
            self._add_scope_map(entry, "", entry.get("roles") or [])
        for role_client, entries in (self.rep.get("clientScopeMappings") or {}).items():
            for entry in entries:
                self._add_scope_map(entry, role_client, entry.get("roles") or [])

    def _add_scope_map(self, entry: Rep, role_client: str, roles: list[str]) -> None:
        # An export entry names its owner under `client` or `clientScope` (data, not kinds).
        client = entry.get("client")
        owner = f"client:{client}" if client is not None else f"scope:{entry['clientScope']}"
        self.scope_maps.setdefault(owner, {}).setdefault(role_client, []).extend(roles)

    def scope_mappings(self, owner: str) -> Item:
        found = self.scope_maps.get(owner, {})
        return role_block(found.get("", []), {c: r for c, r in found.items() if c})

    def mappers(self, rep: Rep) -> list[Item]:
        out = []
        for mapper in rep.get("protocolMappers") or []:
            item: Item = {"name": mapper["name"], **picked(mapper, "protocolMappers")}
            if "config" in item:
                item["config"] = dict(sorted(item["config"].items()))
            out.append(item)
        return sorted(out, key=lambda m: str(m["name"]))

    def composites(self, role: Rep) -> Item:
        found = role.get("composites") or {}
        return role_block(found.get("realm") or [], found.get("client") or {})

    def role(self, role: Rep) -> Item:
        item: Item = {"name": role["name"], **picked(role, "roles")}
        composites = self.composites(role)
        if composites:
            item["composites"] = composites
        return item

    def realm_roles(self) -> list[Item]:
        roles = (self.rep.get("roles") or {}).get("realm") or []
        return sorted((self.role(r) for r in roles), key=lambda r: str(r["name"]))

    def client_roles(self, client_id: str) -> list[Item]:
        roles = ((self.rep.get("roles") or {}).get("client") or {}).get(client_id) or []
        return sorted((self.role(r) for r in roles), key=lambda r: str(r["name"]))

    def service_roles(self, client_id: str) -> Item:
        for user in self.rep.get("users") or []:
            if user.get("serviceAccountClientId") == client_id:
                return self.user_roles(user)
        return {}

    def user_roles(self, user: Rep) -> Item:
        """A user's direct roles, less `default-roles-<realm>` (Keycloak gives it itself)."""
        default = f"default-roles-{self.realm.lower()}"
        realm = [r for r in user.get("realmRoles") or [] if r != default]
        return role_block(realm, user.get("clientRoles") or {})

    def client(self, rep: Rep) -> Item:
        client_id = str(rep["clientId"])
        item: Item = {"clientId": client_id, **picked(rep, "clients")}
        attributes = dict(item.get("attributes") or {})
        for key in sorted(set(attributes) & SECRET_ATTRIBUTES):
            self.report.skip(
                f"clients[{client_id}].attributes.{key}",
                "a private key: never written in a spec, and no spec key reads it from the "
                "environment",
            )
        for key in SECRET_ATTRIBUTES | STAMPED_ATTRIBUTES:
            attributes.pop(key, None)
        if "attributes" in item:
            item["attributes"] = dict(sorted(attributes.items()))
        for key in ("defaultClientScopes", "optionalClientScopes", "redirectUris", "webOrigins"):
            if key in rep:
                item[key] = sorted(rep[key])  # sets: kept in a stable order
        scope_mappings = self.scope_mappings(f"client:{client_id}")
        if scope_mappings:
            item["scopeMappings"] = scope_mappings
        service = self.service_roles(client_id)
        if service and rep.get("serviceAccountsEnabled"):
            item["serviceAccountRoles"] = service
        if rep.get("protocolMappers"):
            item["protocolMappers"] = self.mappers(rep)
        roles = self.client_roles(client_id)
        if roles:
            item["roles"] = roles
        return item

    def confidential(self, rep: Rep) -> bool:
        """Whether the client authenticates with a secret (one kcconf sets from the env)."""
        return (
            rep.get("publicClient") is False
            and not rep.get("bearerOnly")
            and rep.get("clientAuthenticatorType", "client-secret") in SECRET_AUTH
            and rep.get("protocol", "openid-connect") == "openid-connect"
        )

    def scope(self, rep: Rep) -> Item:
        item: Item = {"name": rep["name"], **picked(rep, "clientScopes")}
        if "attributes" in item:
            item["attributes"] = dict(sorted(item["attributes"].items()))
        scope_mappings = self.scope_mappings(f"scope:{rep['name']}")
        if scope_mappings:
            item["scopeMappings"] = scope_mappings
        if rep.get("protocolMappers"):
            item["protocolMappers"] = self.mappers(rep)
        return item

    def group(self, rep: Rep) -> Item:
        item: Item = {"name": rep["name"]}
        attributes = {k: v for k, v in (rep.get("attributes") or {}).items() if k != MARKER}
        if attributes:
            item["attributes"] = dict(sorted(attributes.items()))
        item |= role_block(rep.get("realmRoles") or [], rep.get("clientRoles") or {})
        subgroups = [self.group(g) for g in rep.get("subGroups") or []]
        if subgroups:
            item["subGroups"] = sorted(subgroups, key=lambda g: str(g["name"]))
        return item

    def user(self, rep: Rep) -> Item:
        username = str(rep["username"])
        item: Item = {"username": username, **picked(rep, "users")}
        if not item.get("attributes"):
            item.pop("attributes", None)
        else:
            item["attributes"] = dict(sorted(item["attributes"].items()))
        item |= self.user_roles(rep)
        if rep.get("groups"):
            item["groups"] = sorted(rep["groups"])
        if any(c.get("type") == "password" for c in rep.get("credentials") or []):
            item["password"] = self.report.secret(
                f"password of user {username}", "user", username, "password"
            )
            self.report.skip(
                f"users[{username}].credentials",
                "the stored password is not carried over: the spec sets a new one from "
                f"{item['password']['env']} when the user is created",
            )
        return item
