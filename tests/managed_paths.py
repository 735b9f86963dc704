"""What kcconf manages in a realm, read from Keycloak's export representation by natural key.

`managed(rep)` walks a realm-export file (or a live realm read the same way) and yields every
field and relation kcconf manages, each at a path of natural keys:
`clients[app].redirectUris`, `clients[app].protocolMappers[email].config.claim.name`,
`groups[/staff/mods].realmRoles`. Unordered lists become sorted lists, map values text, so the
original export and the realm kcconf made from it compare path by path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kcconf.adopt.items import SECRET_ATTRIBUTES, STAMPED_ATTRIBUTES, kind_fields
from kcconf.adopt.settings import BUILT, accepted
from kcconf.kinds.client import UMA_PROTECTION
from kcconf.model.objects import MARKER

Rep = Mapping[str, Any]
Paths = dict[str, Any]
ACTION_FIELDS = ("name", "enabled", "defaultAction")
UNMANAGED_ATTRIBUTES = SECRET_ATTRIBUTES | STAMPED_ATTRIBUTES | {MARKER}


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return sorted(map(str, value))
    return str(value)


def _value(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list) else value


def _map(out: Paths, path: str, value: Any, skip: Iterable[str] = ()) -> None:
    for key, item in (value or {}).items():
        if key not in skip:
            out[f"{path}.{key}"] = _text(item)


def _fields(out: Paths, path: str, rep: Rep, spec_key: str) -> None:
    for name in kind_fields(spec_key):
        if name in ("attributes", "config"):
            _map(out, f"{path}.{name}", rep.get(name), UNMANAGED_ATTRIBUTES)
        elif rep.get(name) is not None:
            out[f"{path}.{name}"] = _value(rep[name])


def _roles(realm: Iterable[str], clients: Mapping[str, Iterable[str]]) -> list[str]:
    return sorted([*realm, *(f"{c}/{r}" for c, roles in clients.items() for r in roles)])


def _mappers(out: Paths, path: str, rep: Rep) -> None:
    for mapper in rep.get("protocolMappers") or []:
        _fields(out, f"{path}.protocolMappers[{mapper['name']}]", mapper, "protocolMappers")


def _scope_mappings(rep: Rep) -> dict[str, list[str]]:
    """Owner (`client:x`, `scope:y`) -> the roles its scope holds."""
    found: dict[str, list[str]] = {}

    def owner(entry: Rep) -> str:
        client = entry.get("client")
        return f"client:{client}" if client is not None else f"scope:{entry['clientScope']}"

    for entry in rep.get("scopeMappings") or []:
        found.setdefault(owner(entry), []).extend(entry.get("roles") or [])
    for role_client, entries in (rep.get("clientScopeMappings") or {}).items():
        for entry in entries:
            roles = (f"{role_client}/{r}" for r in entry.get("roles") or [])
            found.setdefault(owner(entry), []).extend(roles)
    return {k: sorted(set(v)) for k, v in found.items()}


def _role(out: Paths, path: str, role: Rep) -> None:
    _fields(out, path, role, "roles")
    composites = role.get("composites") or {}
    out[f"{path}.composites"] = _roles(
        composites.get("realm") or [], composites.get("client") or {}
    )


def _groups(out: Paths, groups: Iterable[Rep], parent: str = "") -> None:
    for group in groups:
        path = f"{parent}/{group['name']}"
        _map(out, f"groups[{path}].attributes", group.get("attributes"), {MARKER})
        out[f"groups[{path}].roles"] = _roles(
            group.get("realmRoles") or [], group.get("clientRoles") or {}
        )
        _groups(out, group.get("subGroups") or [], path)


def managed(rep: Rep) -> Paths:
    out: Paths = {}
    realm = str(rep["realm"])
    default_role = f"default-roles-{realm.lower()}"
    for key in sorted(accepted() - BUILT | {"enabled"}):
        if isinstance(rep.get(key), Mapping):
            _map(out, f"realm.{key}", rep[key])
        elif rep.get(key) is not None:
            out[f"realm.{key}"] = _value(rep[key])
    _map(out, "realm.smtpServer", rep.get("smtpServer"), {"password"})
    for key in ("defaultDefaultClientScopes", "defaultOptionalClientScopes", "defaultGroups"):
        if key in rep:
            out[f"realm.{key}"] = _value(rep[key])
    scope_maps = _scope_mappings(rep)
    for scope in rep.get("clientScopes") or []:
        path = f"clientScopes[{scope['name']}]"
        _fields(out, path, scope, "clientScopes")
        _mappers(out, path, scope)
        out[f"{path}.scopeMappings"] = scope_maps.get(f"scope:{scope['name']}", [])
    roles = rep.get("roles") or {}
    for role in roles.get("realm") or []:
        _role(out, f"roles[{role['name']}]", role)
    users = rep.get("users") or []
    service = {
        str(u["serviceAccountClientId"]): u for u in users if u.get("serviceAccountClientId")
    }
    for client in rep.get("clients") or []:
        client_id = str(client["clientId"])
        path = f"clients[{client_id}]"
        # Keycloak's own role of a client with authorization services, mapped to its service
        # account (docs/keycloak-facts.md 22.6): not the realm's configuration.
        made = UMA_PROTECTION if client.get("authorizationServicesEnabled") else ""
        _fields(out, path, client, "clients")
        for key in ("defaultClientScopes", "optionalClientScopes"):
            if key in client:
                out[f"{path}.{key}"] = _value(client[key])
        out[f"{path}.scopeMappings"] = scope_maps.get(f"client:{client_id}", [])
        if client_id in service and client.get("serviceAccountsEnabled"):
            user = service[client_id]
            realm_roles = [r for r in user.get("realmRoles") or [] if r != default_role]
            client_roles = {
                c: [r for r in found if (c, r) != (client_id, made)]
                for c, found in (user.get("clientRoles") or {}).items()
            }
            out[f"{path}.serviceAccountRoles"] = _roles(realm_roles, client_roles)
        _mappers(out, path, client)
        for role in (roles.get("client") or {}).get(client_id) or []:
            if role["name"] != made:
                _role(out, f"{path}.roles[{role['name']}]", role)
    _groups(out, rep.get("groups") or [])
    for user in users:
        if user.get("serviceAccountClientId"):
            continue
        path = f"users[{user['username']}]"
        _fields(out, path, user, "users")
        realm_roles = [r for r in user.get("realmRoles") or [] if r != default_role]
        out[f"{path}.roles"] = _roles(realm_roles, user.get("clientRoles") or {})
        out[f"{path}.groups"] = sorted(user.get("groups") or [])
    actions = sorted(rep.get("requiredActions") or [], key=lambda a: int(a.get("priority") or 0))
    for action in actions:
        path = f"requiredActions[{action['alias']}]"
        out |= {f"{path}.{k}": action[k] for k in ACTION_FIELDS if k in action}
        _map(out, f"{path}.config", action.get("config"))
    out["requiredActions.order"] = [str(a["alias"]) for a in actions]
    _flows(out, rep)
    _providers(out, rep)
    return out


def _flows(out: Paths, rep: Rep) -> None:
    """Each flow of the realm's own (not built in): its steps in order, nested, with their
    requirements and configs' contents (config aliases may be written anew, 19.7)."""
    flows = {str(f["alias"]): f for f in rep.get("authenticationFlows") or []}
    configs = {str(c["alias"]): c.get("config") or {} for c in rep.get("authenticatorConfig") or []}

    def steps(flow: Rep) -> list[Any]:
        found = []
        for step in sorted(
            flow.get("authenticationExecutions") or [], key=lambda e: int(e.get("priority") or 0)
        ):
            requirement = step.get("requirement")
            if step.get("authenticatorFlow"):
                sub = flows[str(step["flowAlias"])]
                found.append([requirement, sub["alias"], sub.get("providerId"), steps(sub)])
            else:
                config = configs.get(str(step.get("authenticatorConfig")), {})
                values = sorted(f"{k}={v}" for k, v in config.items())
                found.append([requirement, step.get("authenticator"), values])
        return found

    for alias, flow in flows.items():
        if flow.get("topLevel") and not flow.get("builtIn"):
            out[f"authenticationFlows[{alias}].steps"] = steps(flow)


def _providers(out: Paths, rep: Rep) -> None:
    """Identity providers and their mappers: config less the secret (Keycloak masks it) and
    less keys written empty (Keycloak drops them)."""
    for idp in rep.get("identityProviders") or []:
        path = f"identityProviders[{idp['alias']}]"
        _fields(out, path, {k: v for k, v in idp.items() if k != "config"}, "identityProviders")
        config = {k: v for k, v in (idp.get("config") or {}).items() if v != ""}
        _map(out, f"{path}.config", config, {MARKER, "clientSecret"})
    for mapper in rep.get("identityProviderMappers") or []:
        path = f"identityProviders[{mapper['identityProviderAlias']}].mappers[{mapper['name']}]"
        _fields(out, path, mapper, "mappers")


def differences(want: Paths, have: Paths, not_expressible: Iterable[str]) -> list[str]:
    """Every path of `want` whose value `have` does not hold, less the paths (and what lies
    below them) a conversion reported as not expressible: `path: want != have`."""
    skipped = tuple(not_expressible)

    def excused(path: str) -> bool:
        bare = path.removeprefix("realm.")
        return any(p in (path, bare) or path.startswith(f"{p}.") for p in skipped) or any(
            bare.startswith(f"{p}.") for p in skipped
        )

    out = []
    for path, value in sorted(want.items()):
        found = have.get(path)
        if path == "requiredActions.order" and isinstance(found, list):
            found = [a for a in found if a in value]  # actions the original names, in order
        if found != value and not excused(path):
            out.append(f"{path}: {value!r} != {found!r}")
    return out


def objects(paths: Iterable[str]) -> set[str]:
    """The objects the paths belong to: `clients[app]`, `clients[app].roles[admin]`, ..."""
    out = set()
    for path in paths:
        end = path.find("]")
        while end != -1:
            out.add(path[: end + 1])
            end = path.find("]", end + 1)
    return out
