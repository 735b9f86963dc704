"""What Keycloak creates by itself: a new realm of a version, and a new client of each protocol.

An adopted spec writes only what differs from these. The exact answer comes from the server:
`measure` creates a scratch realm with one bare client per protocol, reads it the way export
reads a realm (a partial export), and deletes it. `stored` is the same measurement kept in
`baselines/<version>.json` for offline `convert` (regenerate with `python -m
kcconf.adopt.baseline URL VERSION`). Names that hold the realm's name (`default-roles-<realm>`,
the account console's URLs) are written with a placeholder and renamed for the realm at hand.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kcconf.errors import KcconfError
from kcconf.keycloak.rest import Api, Credentials, seg
from kcconf.keycloak.sandbox import DEFAULT_VERSION
from kcconf.keycloak.versions import version_tuple

Rep = dict[str, Any]
PLACEHOLDER = "kcconf-baseline"
# One bare client per protocol: what a client gets that a spec does not write.
# The third, an OpenID Connect client with a service account, holds what such a client gets
# besides (Keycloak 24 gives it three mappers of its own, 26 none: docs/keycloak-facts.md 16.14).
SERVICE = "service-account"
PROBES = {
    "openid-connect": "kcconf-probe-oidc",
    "saml": "kcconf-probe-saml",
    SERVICE: "kcconf-probe-service",
}
# How each probe is created: as kcconf creates a client whose spec writes no more. An OpenID
# Connect client's spec need not write its protocol, and a client created without one differs
# from one created with `protocol: openid-connect` (docs/keycloak-facts.md 16.3).
PROBE_BODIES: dict[str, Rep] = {
    "openid-connect": {},
    "saml": {"protocol": "saml"},
    SERVICE: {"serviceAccountsEnabled": True},
}
# Server-made identifiers, stamps and keys: never configuration, and different in every realm
# (a new SAML client's generated key pair, its artifact binding identifier, a secret's time).
VOLATILE = frozenset(
    {
        "id",
        "containerId",
        "parentId",
        "createdTimestamp",
        "client.secret.creation.time",
        "saml.artifact.binding.identifier",
        "saml.signing.certificate",
        "saml.signing.private.key",
    }
)


@dataclass(frozen=True)
class Baseline:
    """A new realm's partial export (without the probes), a new client per protocol (and one
    with a service account, under `SERVICE`, where measured), and the
    built-in clients the server does not let an admin change (`access.manage` false; from
    Keycloak 26.7.5 on, realm-management: docs/keycloak-facts.md 16.12)."""

    version: str
    realm: Rep
    clients: dict[str, Rep]
    readonly: frozenset[str] = frozenset()

    def for_realm(self, name: str) -> Baseline:
        """The same baseline with the placeholder renamed to the realm `name`."""
        return Baseline(
            self.version, _renamed(self.realm, name), _renamed(self.clients, name), self.readonly
        )


def _renamed(value: Any, name: str) -> Any:
    if isinstance(value, str):
        # Keycloak lowercases the realm name in its default role only (RealmManager).
        default = f"default-roles-{PLACEHOLDER}"
        return value.replace(default, f"default-roles-{name.lower()}").replace(PLACEHOLDER, name)
    if isinstance(value, list):
        return [_renamed(v, name) for v in value]
    if isinstance(value, dict):
        return {_renamed(k, name): _renamed(v, name) for k, v in value.items()}
    return value


def _stripped(value: Any) -> Any:
    """Without server-made ids, so two measurements of a version are equal."""
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items() if k not in VOLATILE}
    return value


def partial_export(api: Api, realm: str) -> Rep:
    """The realm as Keycloak exports it (clients, groups and roles included; no users, and
    client secrets masked): the same shape as a realm-export file. The mappers are read from
    their own endpoint: the copies the export embeds can lack config keys (docs/keycloak-facts.md
    4.10, 16.5)."""
    path = f"{realm}/partial-export?exportClients=true&exportGroupsAndRoles=true"
    rep: Rep = api.post_json(path)
    for collection, owners in (
        ("clients", rep.get("clients")),
        ("client-scopes", rep.get("clientScopes")),
    ):
        for owner in owners or []:
            if owner.get("protocolMappers"):
                mappers = api.get(
                    f"{realm}/{collection}/{seg(str(owner['id']))}/protocol-mappers/models"
                )
                owner["protocolMappers"] = sorted(mappers, key=lambda m: str(m["name"]))
    return rep


def measure(api: Api) -> Baseline:
    """A scratch realm's contents, read from the server and deleted again."""
    scratch = f"{PLACEHOLDER}-{uuid.uuid4().hex[:8]}"
    api.post("", {"realm": scratch, "enabled": True})
    try:
        for protocol, client_id in PROBES.items():
            api.post(f"{scratch}/clients", {"clientId": client_id, **PROBE_BODIES[protocol]})
        rep = partial_export(api, scratch)
        readonly = frozenset(
            str(c["clientId"])
            for c in api.get(f"{scratch}/clients")
            if (c.get("access") or {}).get("manage") is False
        )
    finally:
        api.delete(scratch)
    version = str(api.server_info()["systemInfo"]["version"])
    return split(version, rep, scratch, readonly)


def split(version: str, rep: Rep, scratch: str, readonly: frozenset[str]) -> Baseline:
    """A measured export as a baseline: probes apart, the scratch name as the placeholder."""
    rep = _scratch_renamed(_stripped(rep), scratch)
    probes = {c["clientId"]: c for c in rep["clients"] if c["clientId"] in PROBES.values()}
    rep["clients"] = [c for c in rep["clients"] if c["clientId"] not in probes]
    roles = rep["roles"]
    roles["client"] = {k: v for k, v in roles["client"].items() if k not in probes}
    # The service-account probe's user: the export lists it (a new realm has no users).
    users = [
        u for u in rep.pop("users", None) or [] if u.get("serviceAccountClientId") not in probes
    ]
    if users:
        rep["users"] = users
    clients = {protocol: probes[client_id] for protocol, client_id in PROBES.items()}
    return Baseline(version, rep, clients, readonly)


def _scratch_renamed(value: Any, scratch: str) -> Any:
    if isinstance(value, str):
        return value.replace(scratch, PLACEHOLDER)
    if isinstance(value, list):
        return [_scratch_renamed(v, scratch) for v in value]
    if isinstance(value, dict):
        return {
            _scratch_renamed(k, scratch): _scratch_renamed(v, scratch) for k, v in value.items()
        }
    return value


def available() -> list[str]:
    files = resources.files("kcconf.adopt").joinpath("baselines").iterdir()
    return sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json"))


def stored(version: str = DEFAULT_VERSION) -> Baseline:
    """The measured baseline of `version`, kept with kcconf."""
    if version not in available():
        raise KcconfError(
            f"no baseline of Keycloak {version}: kcconf has {', '.join(available())} "
            "(export from a live server of that version instead)"
        )
    text = resources.files("kcconf.adopt").joinpath("baselines", f"{version}.json").read_text()
    data = json.loads(text)
    return Baseline(version, data["realm"], data["clients"], frozenset(data["readonly"]))


def unknown_fields(version: str) -> frozenset[str]:
    """Realm fields a server of `version` does not have: those a new realm of a later stored
    version holds and its own lacks. Keycloak refuses a realm written with one of them (400;
    docs/keycloak-facts.md 16.15). A field no version fills in is never counted."""
    own = set(stored(version).realm) if version in available() else None
    later = [v for v in available() if version_tuple(v) > version_tuple(version)]
    if own is None or not later:
        return frozenset()
    return frozenset(set().union(*(stored(v).realm for v in later)) - own)


def dump(baseline: Baseline) -> str:
    body: dict[str, Any] = {"realm": baseline.realm, "clients": baseline.clients}
    body["readonly"] = sorted(baseline.readonly)
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m kcconf.adopt.baseline URL VERSION > baselines/VERSION.json
    api = Api(Credentials(sys.argv[1], username="admin", password="admin"))
    sys.stdout.write(dump(measure(api)))
