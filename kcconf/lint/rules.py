"""The risk rules behind `kcconf lint`, read from a spec that `check_document` accepted.

Each rule looks only at the file: no Keycloak, no network. It yields a Hit at the key that causes
the risk; kcconf.lint.findings turns hits into located findings and applies the silencing comments.
An unwritten setting is judged by Keycloak's default for it (fullScopeAllowed: true), because
that is what a client created from the file gets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kcconf.errors import KeyPath
from kcconf.kinds.role import default_roles_name
from kcconf.model.objects import forbidden_env

_RM = "realm-management"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Words that make a setting's name look secret, and last words that say it only describes one
# (access.token.lifespan, authTokenUrl, jwt.credential.certificate are not secrets).
_SECRET_WORDS = frozenset({"secret", "password", "passwd", "token", "key", "credential"})
_DESCRIBING_WORDS = frozenset(
    {"alg", "algorithm", "certificate", "cert", "id", "lifespan", "method", "scope", "time"}
    | {"timeout", "type", "url", "uri", "enabled", "length", "size", "period", "format"}
)

RoleId = tuple[str | None, str]  # (None, name) for a realm role, (clientId, name) for a client role


@dataclass(frozen=True)
class Hit:
    """One risk found at `keypath`; kcconf.lint.findings adds where it was written."""

    rule: str
    keypath: KeyPath
    message: str


def find_hits(data: Any, impersonation_limit: int = 3) -> list[Hit]:
    """Every hit of every rule in one spec's data (KC000 is findings.py's: it reads comments)."""
    hits: list[Hit] = []
    for path, client in _items(data, "clients"):
        hits.extend(_public_full_scope(path, client))
        hits.extend(_redirect_uris(path, client))
        hits.extend(_public_password_grant(path, client))
        where = f"client '{client.get('clientId')}' attribute"
        hits.extend(_literal_secrets((*path, "attributes"), client.get("attributes"), where))
    hits.extend(_admin_roles_in_full_scope(data))
    hits.extend(_impersonation_spread(data, impersonation_limit))
    realm = data.get("realm") if isinstance(data, dict) else None
    if isinstance(realm, dict):
        hits.extend(
            _literal_secrets(("realm", "attributes"), realm.get("attributes"), "realm attribute")
        )
        hits.extend(
            _literal_secrets(("realm", "smtpServer"), realm.get("smtpServer"), "smtpServer setting")
        )
    hits.extend(_forbidden_env_refs((), data))
    return hits


# --- reading the data: only what the schema accepted is looked at -------------------------------


def _items(data: Any, key: str) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    value = data.get(key) if isinstance(data, dict) else None
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, dict):
            yield (key, index), item


def _names(value: Any) -> list[str]:
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- clients: full scope, redirect URIs, the password grant -------------------------------------


def _full_scope(client: dict[str, Any]) -> str | None:
    """Why the client's tokens get every role of the user, or None when they do not."""
    if client.get("bearerOnly") is True:  # a bearer-only client is never issued tokens
        return None
    if client.get("fullScopeAllowed") is True:
        return "has fullScopeAllowed: true"
    if "fullScopeAllowed" not in client:
        return "does not write fullScopeAllowed (Keycloak's default is true)"
    return None


def _public_full_scope(path: KeyPath, client: dict[str, Any]) -> Iterator[Hit]:
    why = _full_scope(client)
    if client.get("publicClient") is not True or why is None:
        return
    key = "fullScopeAllowed" if "fullScopeAllowed" in client else "publicClient"
    name = client.get("clientId")
    message = f"public client '{name}' {why}, so its tokens carry every role of the user"
    yield Hit("KC001", (*path, key), message)


def _admin_roles_in_full_scope(data: Any) -> Iterator[Hit]:
    admins = []
    for _, user in _items(data, "users"):
        roles = _names(_mapping(user.get("clientRoles")).get(_RM))
        if roles:
            admins.append(f"{user.get('username')} ({', '.join(roles)})")
    if not admins:
        return
    for path, client in _items(data, "clients"):
        why = _full_scope(client)
        if why is not None:
            where = (*path, "fullScopeAllowed") if "fullScopeAllowed" in client else path
            message = (
                f"client '{client.get('clientId')}' {why}, so its tokens carry the"
                f" realm-management roles of {', '.join(admins)}"
            )
            yield Hit("KC002", where, message)


def _redirect_uris(path: KeyPath, client: dict[str, Any]) -> Iterator[Hit]:
    name, root = client.get("clientId"), client.get("rootUrl")
    uris = client.get("redirectUris")
    for index, uri in enumerate(uris if isinstance(uris, list) else []):
        if not isinstance(uri, str):
            continue
        item, said = (*path, "redirectUris", index), f"client '{name}' redirect URI '{uri}'"
        wildcard = _wildcard(uri)
        if wildcard == "any":
            beyond = "is a wildcard beyond one host's path"
            message = f"{said} {beyond}: codes and tokens may go to other hosts"
            yield Hit("KC003", item, message)
        elif wildcard == "path":
            yield Hit("KC004", item, f"{said} accepts every path of its host")
        through = _plain_http(uri, root)
        if through is not None:
            message = f"{said} is plain http{through}: codes and tokens travel unencrypted"
            yield Hit("KC005", item, message)


def _wildcard(uri: str) -> str | None:
    """Kind of wildcard: "path" for one trailing /* in the path, "any" for any other *.

    Keycloak treats only a trailing * as a wildcard (a prefix match), so `https://app*` also
    matches `https://app.evil.example`; a * elsewhere is either that or a misunderstanding.
    """
    if "*" not in uri:
        return None
    if not uri.endswith("/*") or "*" in uri[:-1]:
        return "any"
    return "path" if urlsplit(uri).path.endswith("/*") else "any"  # https://* has no path


def _plain_http(uri: str, root: Any) -> str | None:
    """None unless the URI is plain http off localhost; then how it came to be: "" when
    written so, " through rootUrl '...'" when it is a path that Keycloak joins to rootUrl."""
    relative = uri.startswith("/") and isinstance(root, str)
    target = f"{str(root).rstrip('/')}{uri}" if relative else uri
    parts = urlsplit(target)
    try:
        host = parts.hostname
    except ValueError:  # a malformed port: the host is still plain text
        host = None
    if parts.scheme.lower() != "http" or host in _LOCAL_HOSTS:
        return None
    return f" through rootUrl '{root}'" if relative else ""


def _public_password_grant(path: KeyPath, client: dict[str, Any]) -> Iterator[Hit]:
    if client.get("publicClient") is True and client.get("directAccessGrantsEnabled") is True:
        message = (
            f"public client '{client.get('clientId')}' enables direct access grants: anyone who"
            " knows its clientId can trade a username and password for tokens"
        )
        yield Hit("KC006", (*path, "directAccessGrantsEnabled"), message)


# --- impersonation held by many -----------------------------------------------------------------


def _impersonation_spread(data: Any, limit: int) -> Iterator[Hit]:
    yield from _direct_impersonation(data, limit)
    realm_name = _mapping(_mapping(data).get("realm")).get("name")
    graph, sites = _role_graph(data)
    default_roles = default_roles_name(str(realm_name))
    defaults = _reach(graph, [(None, default_roles)])
    holders = _holders(data, graph)
    for path, role in sites:
        label = (
            f"realm role '{role[1]}'"
            if role[0] is None
            else f"role '{role[1]}' of client '{role[0]}'"
        )
        said = f"{label} includes realm-management/impersonation"
        if role == (None, default_roles):
            message = f"{said}, and every user of the realm gets {default_roles}"
        elif role in defaults:
            message = f"{said} and is in {default_roles}, which every user of the realm gets"
        elif len(holders.get(role, [])) > limit:
            users = holders[role]
            message = (
                f"{said} and {len(users)} users hold it (more than {limit}): {', '.join(users)}"
            )
        else:
            continue
        yield Hit("KC007", path, message)


def _direct_impersonation(data: Any, limit: int) -> Iterator[Hit]:
    grants = []
    for path, user in _items(data, "users"):
        roles = _names(_mapping(user.get("clientRoles")).get(_RM))
        if "impersonation" in roles:
            item = (*path, "clientRoles", _RM, roles.index("impersonation"))
            grants.append((item, user.get("username")))
    if len(grants) <= limit:
        return
    for item, name in grants:
        message = (
            f"user '{name}' holds realm-management/impersonation directly, one of"
            f" {len(grants)} users who do (more than {limit})"
        )
        yield Hit("KC007", item, message)


def _role_refs(refs: Any) -> list[RoleId]:
    """The roles a composites or user mapping names, realm roles first."""
    found: list[RoleId] = [(None, name) for name in _names(_mapping(refs).get("realmRoles"))]
    for client_id, names in _mapping(_mapping(refs).get("clientRoles")).items():
        found.extend((client_id, name) for name in _names(names))
    return found


def _declared_roles(data: Any) -> Iterator[tuple[KeyPath, RoleId, dict[str, Any]]]:
    for path, role in _items(data, "roles"):
        yield path, (None, str(role.get("name"))), role
    for path, client in _items(data, "clients"):
        for role_path, role in _items(client, "roles"):
            role_id = (str(client.get("clientId")), str(role.get("name")))
            yield (*path, *role_path), role_id, role


def _role_graph(data: Any) -> tuple[dict[RoleId, list[RoleId]], list[tuple[KeyPath, RoleId]]]:
    """Each declared role's composites, and where a composite lists impersonation."""
    graph: dict[RoleId, list[RoleId]] = {}
    sites: list[tuple[KeyPath, RoleId]] = []
    for path, role, declared in _declared_roles(data):
        composites = declared.get("composites")
        graph[role] = _role_refs(composites)
        admin = _names(_mapping(_mapping(composites).get("clientRoles")).get(_RM))
        if "impersonation" in admin:
            where = (*path, "composites", "clientRoles", _RM, admin.index("impersonation"))
            sites.append((where, role))
    return graph, sites


def _holders(data: Any, graph: dict[RoleId, list[RoleId]]) -> dict[RoleId, list[str]]:
    """Usernames holding each role, directly or through the composites of roles they hold."""
    holders: dict[RoleId, list[str]] = {}
    for _, user in _items(data, "users"):
        for role in _reach(graph, _role_refs(user)):
            holders.setdefault(role, []).append(str(user.get("username")))
    return holders


def _reach(graph: dict[RoleId, list[RoleId]], start: Iterable[RoleId]) -> set[RoleId]:
    """The roles `start` holds with their composites, followed to the end (cycles are fine)."""
    seen: set[RoleId] = set()
    todo = list(start)
    while todo:
        role = todo.pop()
        if role not in seen:
            seen.add(role)
            todo.extend(graph.get(role, []))
    return seen


# --- secrets written in the file ----------------------------------------------------------------


def _literal_secrets(path: KeyPath, settings: Any, where: str) -> Iterator[Hit]:
    for key, value in _mapping(settings).items():
        if _looks_secret(key) and _is_literal(value):
            message = f"{where} '{key}' looks like a secret and its value is written in the file"
            yield Hit("KC008", (*path, key), message)


def _looks_secret(name: str) -> bool:
    """authTokenClientSecret and saml.signing.private.key do; access.token.lifespan does not."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()
    words = [word.removesuffix("s") for word in re.split(r"[^a-z0-9]+", spaced) if word]
    if not words or "public" in words or words[-1] in _DESCRIBING_WORDS:
        return False
    return any(word in _SECRET_WORDS for word in words)


def _is_literal(value: Any) -> bool:
    """A written secret: text that is not a flag, a number or a vault reference."""
    if not isinstance(value, str):  # booleans and numbers are settings, not secrets
        return False
    text = value.strip()
    if text.lower() in ("", "true", "false") or re.fullmatch(r"[0-9.]+", text):
        return False
    return not text.startswith("${vault.")


def _forbidden_env_refs(path: KeyPath, value: Any) -> Iterator[Hit]:
    """Every `{env: NAME}` whose NAME a spec may not read, wherever the schema lets one stand
    (client secrets, user passwords, the SMTP password, and any added later)."""
    if isinstance(value, dict):
        name = value.get("env")
        why = forbidden_env(name) if set(value) == {"env"} and isinstance(name, str) else None
        if why is not None:
            message = f"a secret read from environment variable {name}, which matches {why}"
            yield Hit("KC009", (*path, "env"), message)
            return
        for key, inner in value.items():
            yield from _forbidden_env_refs((*path, key), inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _forbidden_env_refs((*path, index), inner)
