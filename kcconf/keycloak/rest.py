"""The admin REST API: one login per connection (refreshed before the token expires), and
every request counted by method so tests and benchmarks can read it. Safe to share between the
threads of a parallel read or write: one token for all, renewed by one thread at a time."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from requests import Response

from kcconf.errors import KcconfError, KeycloakError
from kcconf.keycloak.transport import DEFAULT_TIMEOUT, Tls, Transport, json_body, refuse_html

# A token is renewed at 90% of its lifetime, so a request never leaves with an expired one
# (the master realm's admin tokens live 60 s).
TOKEN_LIFETIME_USED = 0.9


@dataclass(frozen=True)
class Credentials:
    """How to log in: a user (password grant) or a service account (client credentials), and
    how to reach the server."""

    url: str
    auth_realm: str = "master"
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    tls: Tls = field(default_factory=Tls)
    timeout: float = DEFAULT_TIMEOUT
    workers: int = 1  # requests in flight at once, for reads and writes that allow it

    def __repr__(self) -> str:  # never show the password or secret, even in a traceback
        who = self.username or self.client_id
        return f"Credentials(url={self.url!r}, auth_realm={self.auth_realm!r}, as={who!r})"


def seg(name: str) -> str:
    """One URL path segment: role and user names may hold characters that need quoting."""
    return quote(name, safe="")


class Api:
    """Admin API calls relative to `admin/realms/`, raising KeycloakError on any failure."""

    def __init__(self, creds: Credentials) -> None:
        self._grant = _grant(creds)
        self._http = Transport(creds.url, creds.tls, creds.timeout, pool=creds.workers)
        self.workers = creds.workers
        self._lock = threading.Lock()  # guards the token and the counts
        self._who = f"{creds.username or creds.client_id!r} (realm {creds.auth_realm})"
        self._token: str | None = None
        self._refresh: str | None = None
        self._expires = 0.0  # time.monotonic() after which the token is renewed
        self.auth_realm = creds.auth_realm
        # The user kcconf acts as: pruning must never delete it.
        self.login_user = (creds.username or f"service-account-{creds.client_id}").lower()
        self.url = self._http.url
        self.counts: Counter[str] = Counter()
        self._info: dict[str, Any] | None = None

    def login(self) -> None:
        """Get a token now: a command fails on bad credentials before it reads anything."""
        with self._lock:
            self._new_token(dict(self._grant))

    def get(self, path: str, **params: Any) -> Any:
        resp = self._call("GET", f"admin/realms/{path}", None, params)
        return json_body(resp) if resp.content else None

    def post(self, path: str, body: Any) -> str | None:
        """POST; returns the id at the end of the Location header, if Keycloak sent one.
        Behind a path-prefix proxy the Location lacks the prefix (docs/keycloak-facts.md
        15.3): only its last segment is used."""
        resp = self._call("POST", f"admin/realms/{path}", body, {})
        location = resp.headers.get("Location")
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    def post_json(self, path: str, body: Any = None) -> Any:
        """POST and return Keycloak's JSON answer (the partial export answers this way)."""
        resp = self._call("POST", f"admin/realms/{path}", body, {})
        return json_body(resp) if resp.content else None

    def put(self, path: str, body: Any = None) -> None:
        self._call("PUT", f"admin/realms/{path}", body, {})

    def delete(self, path: str, body: Any = None) -> None:
        self._call("DELETE", f"admin/realms/{path}", body, {})

    def server_info(self) -> dict[str, Any]:
        """The server's version and features, read once per connection."""
        if self._info is None:
            info = json_body(self._call("GET", "admin/serverinfo", None, {}))
            self._info = info if isinstance(info, dict) else {}
        return self._info

    def _call(self, method: str, path: str, body: Any, params: dict[str, Any]) -> Response:
        path = path.rstrip("/")
        with self._lock:
            self.counts[method] += 1
        resp = self._authorized(method, path, body, params)
        if resp.status_code >= 400:
            raise KeycloakError(
                f"Keycloak answered {resp.status_code} to {method} /{path}: {_message(resp)}",
                resp.status_code,
            )
        refuse_html(resp)
        return resp

    def _authorized(self, method: str, path: str, body: Any, params: dict[str, Any]) -> Response:
        """The request with a valid token; once more with a new one if Keycloak answers 401
        (a token revoked or expired early): a 401 means nothing was done."""
        token = self._valid_token()
        resp = self._send(method, path, body, params, token)
        if resp.status_code == 401:
            with self._lock:
                if self._token == token:  # not yet renewed by another thread
                    self._new_token(dict(self._grant))
            resp = self._send(method, path, body, params, self._valid_token())
        return resp

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, Any], token: str
    ) -> Response:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        data = json.dumps(body) if body is not None else None
        return self._http.send(method, path, params=params, data=data, headers=headers)

    def _valid_token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires:
                self._renew()
            assert self._token is not None  # set by _renew or it raised
            return self._token

    def _renew(self) -> None:
        """Refresh the token while the session lasts, else log in again."""
        if self._refresh is not None:
            refresh = {"grant_type": "refresh_token", "refresh_token": self._refresh}
            client = {k: v for k, v in self._grant.items() if k.startswith("client_")}
            try:
                self._new_token({**refresh, **client})
                return
            except KeycloakError as exc:
                if exc.status not in (400, 401):  # an expired session; anything else is real
                    raise
        self._new_token(dict(self._grant))

    def _new_token(self, form: dict[str, str]) -> None:
        """Log in or refresh; callers hold the lock."""
        path = f"realms/{seg(self.auth_realm)}/protocol/openid-connect/token"
        resp = self._http.send("POST", path, data=form)
        if resp.status_code >= 400:
            raise KeycloakError(
                f"cannot log in to Keycloak at {self.url} as {self._who}: {_reason(resp)}",
                resp.status_code,
            )
        answer = json_body(resp)
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise KeycloakError(f"Keycloak at {self.url} answered a login without a token")
        self._token = str(answer["access_token"])
        self._refresh = answer.get("refresh_token")
        lifetime = float(answer.get("expires_in") or 60)
        self._expires = time.monotonic() + lifetime * TOKEN_LIFETIME_USED


def _grant(creds: Credentials) -> dict[str, str]:
    """The form of a login: the password grant through admin-cli, or client credentials."""
    if creds.username and creds.password:
        return {
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": creds.username,
            "password": creds.password,
        }
    if creds.client_id and creds.client_secret:
        return {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
    raise KcconfError(
        "no credentials: set KCCONF_USERNAME and KCCONF_PASSWORD, or KCCONF_CLIENT_ID "
        "and KCCONF_CLIENT_SECRET (or the matching options)"
    )


def _message(resp: Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        kind = resp.headers.get("Content-Type") or ""
        if kind.startswith("text/html"):  # a proxy's error page: its type, not its markup
            return f"{resp.reason} (not JSON: {kind}, {len(resp.content)} bytes)"
        return " ".join(resp.text.split())[:200] or resp.reason
    if isinstance(body, dict):
        for key in ("errorMessage", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return str(body)[:200]


def _reason(resp: Response) -> str:
    """Keycloak's own words (error_description) from a failed login, else the status."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and (data.get("error_description") or data.get("error")):
        return str(data.get("error_description") or data.get("error"))
    return f"HTTP {resp.status_code}"
