"""Loopback servers the connection tests put between kcconf and the real test Keycloak.

`PrefixProxy` is a small reverse proxy, as an operator would run one in front of Keycloak:
`/prefix/...` is forwarded to Keycloak's `/...`, over plain HTTP or TLS. Anything outside the
prefix gets 404, so a client that drops the URL's path fails loudly. It can instead answer every
request with an HTML login page, as a single-sign-on proxy does, or drop a request's
connection without answering, as a proxy does when its upstream restarts. `HungServer` accepts
connections and never answers. Neither imitates Keycloak: the proxy forwards to the real one.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers that describe one hop, not the message (RFC 9110 7.6.1), plus the length, which the
# proxy sets itself after reading the whole body.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}

LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body>...</body></html>\n"
)


@dataclass
class ProxyOptions:
    """How the proxy forwards: `host_header` "client" passes the client's Host header on (nginx's
    `proxy_set_header Host $host`), "upstream" sends Keycloak's own host and port
    (nginx's default); `forwarded` adds X-Forwarded-Host/Proto/Port/Prefix."""

    upstream: str
    prefix: str = "/prefix"
    host_header: str = "client"
    forwarded: bool = False
    login_page: frozenset[str] = frozenset()  # methods answered with an HTML login page
    drop: dict[str, int] = field(default_factory=dict)  # per method: connections to drop
    seen: list[tuple[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _forward(self) -> None:
        opts = self.server.options
        opts.seen.append((self.command, self.path))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if opts.drop.get(self.command):
            opts.drop[self.command] -= 1
            self.close_connection = True  # closed without a word, as a crashed upstream does
            return
        if self.command in opts.login_page:
            self._answer(200, [("Content-Type", "text/html;charset=utf-8")], LOGIN_PAGE)
            return
        if not self.path.startswith(opts.prefix + "/"):
            self._answer(404, [("Content-Type", "text/plain")], b"not under the prefix\n")
            return
        status, headers, payload = self._upstream(self.path[len(opts.prefix) :], body)
        self._answer(status, headers, payload)

    def _upstream(self, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        opts = self.server.options
        target = urlsplit(opts.upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if opts.host_header == "upstream":
            headers["Host"] = target.netloc
        if opts.forwarded:
            host, _, port = (self.headers.get("Host") or "").partition(":")
            headers["X-Forwarded-Host"] = host
            headers["X-Forwarded-Port"] = port or str(self.server.server_address[1])
            headers["X-Forwarded-Proto"] = "https" if self.server.tls else "http"
            headers["X-Forwarded-Prefix"] = opts.prefix
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        try:
            conn.request(self.command, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            return resp.status, kept, resp.read()
        finally:
            conn.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, options: ProxyOptions, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.options = options
        self.tls = context is not None
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)


@dataclass(frozen=True)
class RunningProxy:
    url: str  # the proxy's base URL, prefix included: what kcconf is given as --url
    options: ProxyOptions


@contextmanager
def prefix_proxy(
    upstream: str,
    prefix: str = "/prefix",
    context: ssl.SSLContext | None = None,
    name: str = "localhost",
    **options: object,
) -> Iterator[RunningProxy]:
    """A running proxy in front of `upstream`, stopped afterwards; `name` is the host name its URL
    uses (a certificate is issued to a name)."""
    opts = ProxyOptions(upstream, prefix, **options)  # type: ignore[arg-type]
    server = _ProxyServer(opts, context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    try:
        yield RunningProxy(f"{scheme}://{name}:{server.server_address[1]}{prefix}", opts)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class HungServer:
    """A listening socket that accepts connections and never answers; counts connections."""

    port: int
    accepted: int = 0


@contextmanager
def hung_server() -> Iterator[HungServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    hung = HungServer(listener.getsockname()[1])
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # kept open, never read nor answered
            hung.accepted += 1

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield hung
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
