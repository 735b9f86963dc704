"""The state both sides are reduced to before comparing: objects with fields and relations.

A spec and a live realm become the same shape, so one comparison serves plan and apply.
Field values are normalised (see `normal`); relations are sets of names.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote, quote_plus

# Objects kcconf creates carry this attribute, so a prune can be limited to them.
MARKER = "kcconf.managed"
MARKER_VALUE = "true"


class Secret:
    """A value that must never be shown: its str and repr are '(sensitive)'.

    Every value is also remembered, so `redact` can scrub it from any text kcconf prints
    (Keycloak's error messages, a bug report's traceback) as a second line of defence.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "(sensitive)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


SENSITIVE = "(sensitive)"
# Keycloak's partial exports (and its authenticator configs' secret keys) show secrets this way:
# an unknown value, not a different one.
MASKED = "**********"
# Scrubbing shorter strings would mangle ordinary words. Login credentials need more: the
# sandbox's password `admin` is a word kcconf prints itself ("admin API requests"); shorter
# ones are still scrubbed wherever they stand as a credential (see _CREDENTIAL_FIELDS).
SHORTEST = 4
LOGIN_SHORTEST = 8
_known: set[str] = set()

# Where a careless server or proxy echoes a request: form fields (`password=...`), JSON or
# Python-repr keys (`"client_secret": "..."`) and authorization headers. Scrubbed whatever
# the value, so a login credential too short to scrub by value is still not shown.
_KEYS = r"password|passwd|client_secret|secret|refresh_token|access_token|id_token|subject_token"
_CREDENTIAL_FIELDS = (
    (re.compile(rf"(?i)\b({_KEYS})=[^&\s\"'<>]+"), rf"\1={SENSITIVE}"),
    (
        re.compile(rf"""(?i)(["']({_KEYS})["']\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""),
        rf'\1"{SENSITIVE}"',
    ),
    (re.compile(r"(?i)\b(bearer\s+|authorization:\s*\w+\s+)[\w.~+/=-]{16,}"), rf"\1{SENSITIVE}"),
)


def remember(value: str, shortest: int = SHORTEST) -> None:
    """Scrub `value` from everything kcconf prints from now on, also as it appears encoded in
    a form body, a URL, JSON, HTML or a Python repr (an echoed request shows it so)."""
    if len(value) < shortest:
        return
    _known.update(
        {
            value,
            quote_plus(value),
            quote(value, safe=""),
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            html.escape(value),
            html.escape(value, quote=False),
            repr(value)[1:-1],
            repr(value.encode())[2:-1],
        }
    )


def redact(text: str) -> str:
    """`text` with every secret kcconf has seen, and every credential field, replaced by
    '(sensitive)'."""
    for value in sorted(_known, key=len, reverse=True):
        text = text.replace(value, SENSITIVE)
    for pattern, replacement in _CREDENTIAL_FIELDS:
        text = pattern.sub(replacement, text)
    return text


# Environment variables a spec may not read as a secret: kcconf's own settings and login, and
# the credentials CI systems and cloud SDKs hand a pipeline. A spec naming one would copy that
# credential into the realm (or send it to the mail host its SMTP settings name), where whoever
# reads the realm gets it. docs/spec-format.md lists them; kcconf lint flags them (KC009).
FORBIDDEN_ENV: Mapping[str, tuple[str, ...]] = {
    "kcconf's own settings and login credentials": ("KCCONF_*",),
    "a CI system's credential": (
        *("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_*"),  # GitHub Actions
        *("CI_JOB_TOKEN", "CI_JOB_JWT*", "CI_REGISTRY_PASSWORD", "CI_DEPLOY_PASSWORD"),  # GitLab
        *("CI_DEPENDENCY_PROXY_PASSWORD", "SYSTEM_ACCESSTOKEN", "BITBUCKET_STEP_OIDC_TOKEN"),
        *("BUILDKITE_AGENT_ACCESS_TOKEN", "CIRCLE_OIDC_TOKEN*"),
    ),
    "a cloud credential": (
        *("AWS_*", "AZURE_*", "ARM_*", "GOOGLE_*", "GCP_*", "CLOUDSDK_*", "VAULT_*"),
    ),
}


def forbidden_env(name: str) -> str | None:
    """The deny-list pattern `name` matches and what it stands for, or None when a spec may
    read the variable.

    Compared in upper case: on Windows, `kcconf_password` is the same variable.
    """
    for what, patterns in FORBIDDEN_ENV.items():
        for pattern in patterns:
            if fnmatchcase(name.upper(), pattern):
                return f"{pattern} ({what})"
    return None


@dataclass(frozen=True)
class Address:
    """A readable, UUID-free name for an object: `client our-public-client`; a child object
    names its parent first: `client app / mapper email`."""

    kind: str
    name: str
    parent: Address | None = None

    def __str__(self) -> str:
        own = f"{self.kind} {self.name}"
        return own if self.parent is None else f"{self.parent} / {own}"


@dataclass(frozen=True)
class Obj:
    """One object: managed fields, relations (sets of names), and for live objects the raw
    representation Keycloak sent, which updates start from (read-modify-write)."""

    address: Address
    fields: Mapping[str, Any] = field(default_factory=dict)
    relations: Mapping[str, frozenset[str]] = field(default_factory=dict)
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    # Values sent only when the object is created and never compared (a user's first password).
    initial: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Desired: names the object had before (`renamedFrom`), so it is renamed in place.
    previous: tuple[str, ...] = field(default=(), compare=False)
    # Live: created by kcconf (carries MARKER), and never to be deleted (a Keycloak built-in).
    owned: bool = field(default=False, compare=False)
    protected: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Limits:
    """How much one apply may delete of one kind before it needs --allow-deletes."""

    max_deletes: int = 10
    max_percent: int = 50


@dataclass
class State:
    """All objects of one realm that matter for a plan, by address.

    A desired state also carries the spec's prune policy: kind -> "created" or "all".
    """

    realm: str
    objects: dict[Address, Obj] = field(default_factory=dict)
    exists: bool = True
    prune: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    # What the realm's tokens must carry and who must be able to impersonate (spec `tokens`,
    # `impersonation`), checked after apply and by `kcconf check`.
    assertions: Mapping[str, Any] = field(default_factory=dict)
    # Containers whose members the spec lists in full, e.g. {"client-role": {"app"}} for a
    # client that writes `roles:` (even `roles: []`): only their members can be pruned.
    containers: dict[str, set[str]] = field(default_factory=dict)

    # (kind, old name) -> the desired object renamed from it; built on first use.
    _renamed: dict[tuple[str, str], Obj] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def add(self, obj: Obj) -> None:
        self.objects[obj.address] = obj
        self._renamed = None

    def of_kind(self, kind: str) -> dict[Address, Obj]:
        return {a: o for a, o in self.objects.items() if a.kind == kind}

    def wanted(self, address: Address) -> Obj | None:
        """The desired object standing for a live one: same name, or renamed from it."""
        found = self.objects.get(address)
        if found is not None:
            return found
        if self._renamed is None:  # an index: a plan asks this of every live object
            self._renamed = {}
            for obj in self.objects.values():
                for old in obj.previous:
                    self._renamed.setdefault((obj.address.kind, old), obj)
        return self._renamed.get((address.kind, address.name))


def owned(rep: Mapping[str, Any]) -> bool:
    """Whether a live representation carries kcconf's marker (as a string or a list)."""
    value = (rep.get("attributes") or {}).get(MARKER)
    return value == MARKER_VALUE or value == [MARKER_VALUE]


def marked(body: dict[str, Any], as_list: bool = False) -> dict[str, Any]:
    """A create body with kcconf's marker added (roles and users keep attribute lists)."""
    value: Any = [MARKER_VALUE] if as_list else MARKER_VALUE
    return {**body, "attributes": {**(body.get("attributes") or {}), MARKER: value}}


def text(value: Any) -> str:
    """Keycloak keeps attributes as strings (`true`, `3`); a spec may write YAML scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def string_list(value: Any) -> list[str]:
    """Users and groups keep each attribute as a list of strings; a spec may write one string,
    which means a list of one."""
    return sorted([value] if isinstance(value, str) else value)


def normal(value: Any, ordered: bool = False) -> Any:
    """Keycloak stores many lists as sets and returns them in any order; compare them sorted,
    unless the list's order means something (`ordered`: flow executions, action priorities)."""
    scalars = isinstance(value, list) and all(
        isinstance(v, str | int | float | bool) for v in value
    )
    if scalars and not ordered:
        return sorted(value, key=str)
    return value


def flatten(fields: Mapping[str, Any], maps: frozenset[str]) -> dict[str, Any]:
    """Turn map-valued fields (attributes) into one field per written key: `attributes.k`.

    Maps are merged key by key, so each written key is compared and shown on its own.
    """
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in maps and isinstance(value, Mapping):
            for key, inner in value.items():
                out[f"{name}.{key}"] = inner
        else:
            out[name] = value
    return out


def unflatten_into(raw: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Write flattened fields back into a copy of a representation, for a PUT or POST."""
    body = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for name, value in fields.items():
        plain = value.reveal() if isinstance(value, Secret) else value
        head, dot, key = name.partition(".")
        if dot:
            body.setdefault(head, {})
            body[head] = {**(body[head] or {}), key: plain}
        else:
            body[name] = plain
    return body
