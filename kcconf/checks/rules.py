"""Can a user impersonate others by legacy token exchange (requested_subject) through a client?

The answer depends on the Keycloak version: up to 26.7.0 (26.4.7 and 26.5.6 measured) the
impersonation check reads realm-management/impersonation from the subject token itself; 26.7.3
recomputes the token's roles on the server (as every version does for lightweight tokens), so
only the client's role scope matters there; 26.7.5 also refuses a target holding admin roles
the impersonator lacks (CVE-2026-17526). Each rule below was measured by real exchanges on the
versions in RULES (tests/test_readiness.py confirms every prediction on every version CI runs);
for any other version kcconf says it has no rule rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from kcconf.keycloak.versions import version_tuple

IMPERSONATION = "realm-management/impersonation"
# CVE-2026-17526: these versions also refuse a target holding admin roles the impersonator
# lacks. Of the versions in RULES, 26.7.5 carries the fix (measured); for the others it is a note.
# Standard token exchange (RFC 8693, no requested_subject) is built in from 26.2.
STANDARD_EXCHANGE_SINCE = (26, 2)
ADMIN_TARGET_FIX = ("26.4.16", "26.6.7", "26.7.4", "26.8.0")


@dataclass(frozen=True)
class Rule:
    roles_from_token: bool  # the role must be in the token's claims (else: the client's scope)
    admin_target_check: bool  # targets with admin roles the impersonator lacks are refused
    # A lightweight access token's roles are recomputed on the server (26.x); on 24.0.5 the
    # role-less lightweight token is read as it is, so the exchange is refused.
    lightweight_recomputed: bool = True


RULES = {
    "24.0.5": Rule(roles_from_token=True, admin_target_check=False, lightweight_recomputed=False),
    "26.4.7": Rule(roles_from_token=True, admin_target_check=False),
    "26.5.6": Rule(roles_from_token=True, admin_target_check=False),
    "26.7.3": Rule(roles_from_token=False, admin_target_check=False),
    "26.7.5": Rule(roles_from_token=False, admin_target_check=True),
}


@dataclass(frozen=True)
class Facts:
    """What the answer depends on, read from the server and the realm."""

    version: str
    token_exchange: bool  # the legacy token-exchange feature is on
    fgap_v1: bool  # fine-grained admin permissions v1 are on
    user_has_role: bool  # the user holds realm-management/impersonation (effective)
    token_has_role: bool  # the client's token for the user carries it
    roles_default: bool  # `roles` is a default scope of the client
    scope_allows_role: bool  # full scope allowed, or a scope mapping lets the role through
    lightweight: bool  # the client issues lightweight access tokens
    public: bool
    holder: bool  # the subject token was issued to this client
    target_exists: bool
    target_extra_admin_roles: tuple[str, ...] = ()  # admin roles the target has, the user lacks
    # The permission path (FGAP v1): the users' impersonate permission grants the user and the
    # target may be impersonated (None: a policy kcconf does not evaluate), and why.
    permission: bool | None = False
    permission_why: str = ""


@dataclass(frozen=True)
class Verdict:
    allowed: bool | None  # None: no measured rule for this version
    reason: str
    notes: tuple[str, ...] = ()
    status: int | None = None  # the HTTP status Keycloak is predicted to answer

    @property
    def word(self) -> str:
        return {True: "allowed", False: "denied", None: "unknown"}[self.allowed]


def judge(f: Facts) -> Verdict:
    if not f.token_exchange:
        return Verdict(
            False,
            f"the token-exchange feature is off on the server (Keycloak answers 400: "
            f"{_no_exchange(f.version)}); "
            "start it with --features=token-exchange,admin-fine-grained-authz:v1",
            status=400,
        )
    rule = RULES.get(f.version)
    if rule is None:
        known = ", ".join(RULES)
        return Verdict(
            None,
            f"kcconf has no measured rule for Keycloak {f.version} (it has for "
            f"{known}); not predicting",
        )
    denied = _denial(f, rule)
    if denied and _by_permission(f, rule):
        return _permission_verdict(f, denied)
    if denied:
        return Verdict(False, f"{denied} [rule for Keycloak {f.version}]", status=403)
    how = "the token carries " if _from_token(f, rule) else "the client's role scope grants "
    return Verdict(
        True, f"{how}{IMPERSONATION} [rule for Keycloak {f.version}]", _notes(f, rule), status=200
    )


def _by_permission(f: Facts, rule: Rule) -> bool:
    """Whether the permission path decides a case the role path refuses: Keycloak asks the
    users' impersonate permission when the impersonator lacks the role, for any client and
    target the exchange itself accepts (measured on 26.5.6 and 26.7.5)."""
    return (
        f.fgap_v1
        and (f.permission is not False or bool(f.permission_why))  # the path is there
        and not _basic_denial(f)
        and not (rule.admin_target_check and f.target_extra_admin_roles)
    )


def _permission_verdict(f: Facts, denied: str) -> Verdict:
    where = f"[rule for Keycloak {f.version}]"
    if f.permission is True:
        return Verdict(True, f"{f.permission_why} {where}", status=200)
    if f.permission is None:
        return Verdict(None, f"{denied}, and {f.permission_why}; not predicting {where}")
    return Verdict(False, f"{denied}, and {f.permission_why} {where}", status=403)


def _basic_denial(f: Facts) -> str:
    if f.public and not f.holder:
        return (
            "the client is not the holder of the user's token: a public client may only "
            "exchange tokens issued to itself"
        )
    if not f.target_exists:
        return "the target user does not exist or is disabled"
    return ""


def _no_exchange(version: str) -> str:
    """What a server without legacy token exchange answers: from 26.2 standard token exchange
    is there and refuses requested_subject; 24.0.5 knows no token exchange grant at all."""
    if version_tuple(version) >= STANDARD_EXCHANGE_SINCE:
        return "requested_subject is not supported by standard token exchange"
    return "unsupported grant_type, this version has no standard token exchange"


def _from_token(f: Facts, rule: Rule) -> bool:
    return rule.roles_from_token and not (f.lightweight and rule.lightweight_recomputed)


def _denial(f: Facts, rule: Rule) -> str:
    basic = _basic_denial(f)
    if basic:
        return basic
    if not f.user_has_role:
        return f"the user does not hold {IMPERSONATION}"
    if rule.admin_target_check and f.target_extra_admin_roles:
        return (
            f"the target holds admin roles the user lacks: {', '.join(f.target_extra_admin_roles)}"
        )
    if not f.scope_allows_role:
        return (
            f"the user holds {IMPERSONATION} but the client's tokens cannot carry it: Full "
            "Scope Allowed is off and no scope mapping grants it"
        )
    if _from_token(f, rule) and (f.lightweight or not f.token_has_role):
        why = (
            "the client issues lightweight access tokens, which carry no roles"
            if f.lightweight
            else "`roles` is not a default scope of the client"
            if not f.roles_default
            else "the client's token does not carry it"
        )
        return (
            f"the user holds {IMPERSONATION} but the client's tokens do not carry it: {why}, "
            "and this version reads the role from the token"
        )
    return ""


def _notes(f: Facts, rule: Rule) -> tuple[str, ...]:
    notes = []
    if not f.fgap_v1:
        notes.append(
            "fine-grained admin permissions v1 are off: role-based impersonation works "
            "(measured), but FGAP v1 impersonation permissions do not apply"
        )
    if f.target_extra_admin_roles and not rule.admin_target_check:
        notes.append(
            f"the target holds admin roles the user lacks "
            f"({', '.join(f.target_extra_admin_roles)}): Keycloak "
            f"{', '.join(ADMIN_TARGET_FIX)} and later refuse this (CVE-2026-17526); "
            f"{f.version} does not"
        )
    if not rule.roles_from_token and not f.token_has_role:
        notes.append(
            "the token itself does not carry the role: Keycloak 26.7.0 and older "
            "would refuse this exchange"
        )
    return tuple(notes)
