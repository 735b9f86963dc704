"""Helpers shared by tests: running the command line in-process and reading its output."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kcconf.cli import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


# What validate lists as allowed where a key is unknown: the spec's top-level keys and a client's.
TOP_KEYS = (
    "realm, clientScopes, roles, clients, groups, users, requiredActions, authenticationFlows,"
    " userProfile, identityProviders, organizations, keys, clientProfiles, clientPolicies,"
    " userFederation, clientRegistrationPolicies, usersPermissions, prune, tokens, impersonation"
)
CLIENT_KEYS = (
    "clientId, name, description, enabled, publicClient, bearerOnly, protocol,"
    " standardFlowEnabled, implicitFlowEnabled, directAccessGrantsEnabled,"
    " serviceAccountsEnabled, authorizationServicesEnabled, redirectUris, webOrigins, rootUrl,"
    " baseUrl, fullScopeAllowed, attributes, secret, defaultClientScopes, optionalClientScopes,"
    " scopeMappings, serviceAccountRoles, roles, renamedFrom, authenticationFlowBindingOverrides,"
    " protocolMappers, permissions, authorization"
)

# Every secret value a test plants (client secrets, passwords, SMTP passwords) starts with this,
# and every kcconf run of the suite fails its test if the word shows up in what kcconf printed.
CANARY = "canary-"


def run_cli(*args: str) -> Run:
    """kcconf ARGS in this process, with its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    run = Run(code, out.getvalue(), err.getvalue())
    assert_no_canary(f"kcconf {' '.join(args)}", run.out + run.err)
    # A traceback is kcconf's report of its own bug (exit 3) and nothing else.
    assert run.code == 3 or "Traceback" not in run.err, run.err
    return run


def assert_no_canary(what: str, text: str) -> None:
    """A planted secret value never appears in anything kcconf prints or writes."""
    assert CANARY not in text, f"a secret leaked into the output of {what}:\n{text}"


def requests_of(err: str) -> dict[str, int]:
    """The last 'admin API requests: GET 9, PUT 1' line kcconf logged, as a dict."""
    lines = [ln for ln in err.splitlines() if ln.startswith("admin API requests:")]
    assert lines, err
    body = lines[-1].split(":", 1)[1].strip()
    if body == "none":
        return {}
    return {m: int(n) for m, n in (part.split() for part in body.split(", "))}


def realm_spec(realm: str, body: str = "") -> str:
    """A spec for `realm` with the given YAML after the realm block."""
    return f"realm:\n  name: {realm}\n  enabled: true\n{body}"


def apply_spec(kcconf: Callable[..., Run], path: Path, text: str) -> Path:
    """`text` written to `path` and applied; the test fails on any error."""
    path.write_text(text)
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    return path


def assert_in_sync(kcconf: Callable[..., Run], spec: Path) -> None:
    """The closing check of an apply test: no changes planned, and apply writes nothing."""
    planned = kcconf("plan", str(spec))
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.startswith("No changes: realm "), planned.out
    again = kcconf("apply", "--auto-approve", str(spec))
    assert again.code == 0, again.err
    assert set(requests_of(again.err)) == {"GET"}, again.err


# `basic` in a YAML flow list ([basic, roles], [roles, basic], [basic]), with its comma.
_BASIC = re.compile(r"(?<=\[)basic(, |(?=\]))|, basic(?=[,\]])")


def without_basic(text: str) -> str:
    """A spec as it must read for Keycloak 24, which has no `basic` client scope (built in
    from 25): `basic` dropped from every flow list. The keycloak-24/ example variants are this."""
    return _BASIC.sub("", text)


def for_server(text: str, version: str) -> str:
    """A test's spec for the server under test: without `basic` before Keycloak 25."""
    return without_basic(text) if int(version.split(".")[0]) < 25 else text


def example(relative: str, version: str) -> Path:
    """An example spec of the repository for a server of `version`: its keycloak-24/ variant
    before Keycloak 25, as demo/run.sh picks it."""
    path = ROOT / relative
    if int(version.split(".")[0]) < 25:
        return path.parent / "keycloak-24" / path.name
    return path
