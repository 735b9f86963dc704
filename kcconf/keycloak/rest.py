"""The admin REST API, reached through python-keycloak's connection (which handles login and
token refresh), with every request counted by method so tests and benchmarks can read it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from keycloak import KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError
from keycloak.exceptions import KeycloakError as LibraryError
from requests import Response

from kcconf.errors import KcconfError, KeycloakError


@dataclass(frozen=True)
class Credentials:
    """How to log in: a user (password grant) or a service account (client credentials)."""

    url: str
    auth_realm: str = "master"
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None

    def __repr__(self) -> str:  # never show the password or secret, even in a traceback
        who = self.username or self.client_id
        return f"Credentials(url={self.url!r}, auth_realm={self.auth_realm!r}, as={who!r})"


def seg(name: str) -> str:
    """One URL path segment: role and user names may hold characters that need quoting."""
    return quote(name, safe="")


class Api:
    """Admin API calls relative to `admin/realms/`, raising KeycloakError on any failure."""

    def __init__(self, creds: Credentials) -> None:
        auth: dict[str, Any]  # the keyword arguments of one of the two logins
        if creds.username and creds.password:
            auth = {"username": creds.username, "password": creds.password}
        elif creds.client_id and creds.client_secret:
            auth = {"client_id": creds.client_id, "client_secret_key": creds.client_secret}
        else:
            raise KcconfError(
                "no credentials: set KCCONF_USERNAME and KCCONF_PASSWORD, or KCCONF_CLIENT_ID "
                "and KCCONF_CLIENT_SECRET (or the matching options)"
            )
        conn = KeycloakOpenIDConnection(
            server_url=creds.url,
            realm_name=creds.auth_realm,
            user_realm_name=creds.auth_realm,
            **auth,
        )
        self._conn = conn
        self._who = f"{creds.username or creds.client_id!r} (realm {creds.auth_realm})"
        self.auth_realm = creds.auth_realm
        # The user kcconf acts as: pruning must never delete it.
        self.login_user = (creds.username or f"service-account-{creds.client_id}").lower()
        self.url = creds.url.rstrip("/")
        self.counts: Counter[str] = Counter()
        self._info: dict[str, Any] | None = None

    def get(self, path: str, **params: Any) -> Any:
        resp = self._call("GET", path, None, params)
        return resp.json() if resp.content else None

    def post(self, path: str, body: Any) -> str | None:
        """POST; returns the id at the end of the Location header, if Keycloak sent one."""
        resp = self._call("POST", path, body, {})
        location = resp.headers.get("Location")
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    def post_json(self, path: str, body: Any = None) -> Any:
        """POST and return Keycloak's JSON answer (the partial export answers this way)."""
        resp = self._call("POST", path, body, {})
        return resp.json() if resp.content else None

    def put(self, path: str, body: Any = None) -> None:
        self._call("PUT", path, body, {})

    def delete(self, path: str, body: Any = None) -> None:
        self._call("DELETE", path, body, {})

    def server_info(self) -> dict[str, Any]:
        """The server's version and features, read once per connection."""
        if self._info is None:
            info = self._call("GET", "../serverinfo", None, {}).json()
            self._info = info if isinstance(info, dict) else {}
        return self._info

    def _call(self, method: str, path: str, body: Any, params: dict[str, Any]) -> Response:
        full = f"admin/realms/{path}".rstrip("/")
        data = json.dumps(body) if body is not None else None
        self.counts[method] += 1
        try:
            resp = self._send(method, full, data, params)
        except KeycloakConnectionError:
            raise KeycloakError(f"cannot reach Keycloak at {self.url}") from None
        except LibraryError as exc:
            # Raw calls return responses; the library raises only when getting a token failed
            # (Keycloak answers 401 or 400 to bad credentials depending on the version).
            raise KeycloakError(
                f"cannot log in to Keycloak at {self.url} as {self._who}: {_reason(exc)}"
            ) from None
        if resp.status_code >= 400:
            raise KeycloakError(
                f"Keycloak answered {resp.status_code} to {method} /{full}: {_message(resp)}",
                resp.status_code,
            )
        return resp

    def _send(self, method: str, path: str, data: str | None, params: dict[str, Any]) -> Response:
        conn = self._conn
        if method == "GET":
            return conn.raw_get(path, **params)
        if method == "POST":
            return conn.raw_post(path, data=data or "")
        if method == "PUT":
            return conn.raw_put(path, data=data or "")
        return conn.raw_delete(path, data=data)


def _message(resp: Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason
    if isinstance(body, dict):
        for key in ("errorMessage", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return str(body)[:200]


def _reason(exc: LibraryError) -> str:
    """Keycloak's own words (error_description) from a failed login, else the status."""
    body = getattr(exc, "response_body", None) or b""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and (data.get("error_description") or data.get("error")):
        return str(data.get("error_description") or data.get("error"))
    return f"HTTP {getattr(exc, 'response_code', '?')}"
