"""HTTP to Keycloak: the URL's path kept, TLS as the user asked, a time-out on every request,
retries only where sending twice is harmless, and every failure as one line with its cause.

requests is used directly rather than through python-keycloak's connection: that one joins
paths with urljoin (dropping the last segment of `https://host/staging`), follows redirects,
and retries every request, POST included, after a time-out (a hung server cost 2 x 60 s).
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from kcconf.errors import KcconfError, KeycloakError

DEFAULT_TIMEOUT = 30.0
# Sending these twice leaves Keycloak as sending them once; a POST creates a second object.
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
RETRY_PAUSE = 0.5  # seconds before the one retry, time for a proxy's upstream to come back


@dataclass(frozen=True)
class Tls:
    """How to check Keycloak's certificate: the system's CAs, a CA bundle file, or not at all."""

    ca_bundle: str | None = None
    insecure: bool = False

    @property
    def verify(self) -> bool | str:
        if self.insecure:
            return False
        return self.ca_bundle or True


def base_url(url: str) -> str:
    """The URL every path is appended to, ending in `/`: its path is kept, so Keycloak behind
    `https://host/staging` is reached there (urljoin would drop `staging`)."""
    parts = urlsplit(url)
    why = ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        why = "it must start with http:// or https://"
    elif parts.username is not None or parts.password is not None:
        why = "it must not hold credentials"
    elif parts.query or parts.fragment or url.endswith(("?", "#")):
        why = "it must not have a query or fragment"
    if why:
        raise KcconfError(f"cannot use --url {url!r}: {why}")
    return url.rstrip("/") + "/"


class Transport:
    """One requests session to one Keycloak; `send` raises KeycloakError when no answer came."""

    def __init__(
        self, url: str, tls: Tls = Tls(), timeout: float = DEFAULT_TIMEOUT, pool: int = 1
    ) -> None:
        self.base = base_url(url)
        self.url = self.base.rstrip("/")
        self.timeout = timeout
        self._verify = _with_environment(tls.verify)
        self._session = requests.Session()
        # requests would otherwise read the proxy variables again for every request (a fifth of
        # a plan's own CPU, measured) and put a ~/.netrc login over kcconf's bearer token: the
        # environment is read once, here, for the proxy and the CA bundle.
        self._session.trust_env = False
        self._session.proxies = requests.utils.get_environ_proxies(self.base)
        self._session.auth = _unchanged
        # kcconf decides on retries itself, per method. One kept-alive connection per thread
        # that may send at once, so parallel requests never open and close connections.
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=max(pool, 1))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        if tls.insecure:
            # The user was warned once, loudly, by the command line; not once per request.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def address(self, path: str) -> str:
        return self.base + path

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; an idempotent one is sent once more when the connection broke before
        an answer came (a restarting proxy, a keep-alive connection the server had closed).
        A time-out or a TLS failure is not retried: it would only repeat the wait or the
        refusal."""
        attempts = 2 if method in IDEMPOTENT else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, path, **kwargs)
            except requests.RequestException as exc:
                if attempt < attempts and _retryable(exc):
                    time.sleep(RETRY_PAUSE)
                    continue
                raise KeycloakError(
                    f"cannot reach Keycloak at {self.url}: {self._cause(exc, method, path)}"
                ) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _once(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        resp = self._session.request(
            method,
            self.address(path),
            timeout=self.timeout,
            verify=self._verify,
            allow_redirects=False,  # a redirect leads to another server, or a login page
            **kwargs,
        )
        if resp.is_redirect:
            raise KeycloakError(
                f"Keycloak at {self.url} answered {resp.status_code} to {method} /{path} with a "
                f"redirect to {resp.headers.get('Location')}: point --url at the address "
                "Keycloak answers on itself"
            )
        return resp

    def _cause(self, exc: requests.RequestException, method: str, path: str) -> str:
        host = _host(self.base)
        seconds = f"{self.timeout:g} s"
        if isinstance(exc, requests.ConnectTimeout):
            return f"connecting to {host} timed out after {seconds}"
        if isinstance(exc, requests.ReadTimeout):
            return (
                f"no answer within {seconds} (timed out after {seconds}; --timeout or "
                "KCCONF_TIMEOUT sets the limit)"
            )
        for err in _chain(exc):
            if isinstance(err, ssl.SSLCertVerificationError):
                return (
                    f"certificate verify failed for {host}: {err.verify_message} (pass "
                    "--ca-bundle FILE with the certificate of the CA that signed it)"
                )
            if isinstance(err, ssl.SSLError):
                return f"TLS handshake with {host} failed: {err.reason or err}"
            if isinstance(err, socket.gaierror):
                return f"host name {urlsplit(self.base).hostname} not resolved"
            if isinstance(err, ConnectionRefusedError):
                return f"connection refused by {host}"
            if isinstance(err, (http.client.RemoteDisconnected, ConnectionResetError)):
                return (
                    f"the connection was closed without an answer to {method} {self.address(path)}"
                )
        return _one_line(str(exc))


def _with_environment(verify: bool | str) -> bool | str:
    """The CA bundle requests would take from the environment when none is given."""
    if verify is True:
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return verify


def _unchanged(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _retryable(exc: requests.RequestException) -> bool:
    return isinstance(exc, requests.ConnectionError) and not isinstance(
        exc, (requests.Timeout, requests.exceptions.SSLError)
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps: requests wraps urllib3, which wraps the socket's
    or the TLS layer's own error, through causes, arguments and `reason`."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        yield err
        inner = [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
        todo.extend(e for e in inner if isinstance(e, BaseException))


def _host(base: str) -> str:
    parts = urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def json_body(resp: requests.Response) -> Any:
    """The answer's JSON; anything else (a proxy's login page, a web server's index) is a
    one-line error naming the URL, not a traceback."""
    try:
        return resp.json()
    except ValueError:
        raise _not_json(resp) from None


def refuse_html(resp: requests.Response) -> None:
    """An HTML page where Keycloak answers JSON or nothing: a proxy's login page answered a
    write, which Keycloak never saw."""
    if (resp.headers.get("Content-Type") or "").startswith("text/html"):
        raise _not_json(resp)


def _not_json(resp: requests.Response) -> KeycloakError:
    url = resp.url.split("?", 1)[0]  # query parameters may name users; the path suffices
    kind = resp.headers.get("Content-Type") or "no content type"
    return KeycloakError(
        f"the answer from {url} was not JSON (HTTP {resp.status_code}, {kind}): is --url "
        "Keycloak's address, or is a login page or proxy in front of it?"
    )
