"""kcconf's own login credentials never reach its output, even when a careless server or proxy
echoes the token request in an error page (the exit-3 report, KeycloakError messages).

The careless server here is a few lines of http.server on loopback that answers every request
with the request's form body: not a fake Keycloak, just the echo kcconf must survive. The
normal path runs against the real Keycloak."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from kcconf.errors import KeycloakError
from kcconf.keycloak.admin import RealmAdmin
from kcconf.model.objects import redact, remember
from tests.helpers import Run, apply_spec, realm_spec, run_cli

Kcconf = Callable[..., Run]

# Characters that the form body, JSON and HTML each encode differently.
LOGIN_PASSWORD = "canary-login p&ss<1>"
LOGIN_SECRET = "canary-login-client-secret/+="


class Echo(BaseHTTPRequestHandler):
    """Answers with the request it got: the raw form body, the form as Python sees it, and the
    decoded values HTML-escaped, with the status and content type the test asks for."""

    status = 200
    as_json = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        echoed = f"{self.path}\n{body}\n{parse_qs(body)!r}\n"
        echoed += "".join(f"<dd>{html.escape(v[0])}</dd>" for v in parse_qs(body).values())
        if self.as_json:
            page = json.dumps({"error": "invalid_request", "error_description": echoed})
        else:
            page = f"<html><body><h1>Request failed</h1><pre>{echoed}</pre></body></html>"
        data = page.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json" if self.as_json else "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read kcconf
        pass


@pytest.fixture
def careless(request: pytest.FixtureRequest) -> Iterator[str]:
    """A loopback server that echoes each request; its URL. `request.param`: (status, json)."""
    status, as_json = request.param
    handler = type("Handler", (Echo,), {"status": status, "as_json": as_json})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


ECHOES = [
    pytest.param((200, False), id="200-html-page"),  # not a token: "was not JSON"
    pytest.param((400, True), id="400-json-error-description"),  # Keycloak's own error shape
    pytest.param((502, False), id="502-proxy-page"),
]


@pytest.mark.parametrize("careless", ECHOES, indirect=True)
def test_an_echoed_password_login_is_scrubbed(
    careless: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCCONF_URL", careless)
    monkeypatch.setenv("KCCONF_USERNAME", "admin")
    monkeypatch.setenv("KCCONF_PASSWORD", LOGIN_PASSWORD)
    for key in ("KCCONF_CLIENT_ID", "KCCONF_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec("echo"))
    run = run_cli("plan", str(spec))  # fails the test if a canary- value is printed
    assert run.code in (1, 3), run.err
    assert run.out == ""
    assert "canary" not in run.err and "p&ss" not in run.err and "p%26ss" not in run.err


@pytest.mark.parametrize("careless", ECHOES[1:2], indirect=True)
def test_a_password_read_from_a_file_is_scrubbed_too(
    careless: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("KCCONF_PASSWORD", "KCCONF_CLIENT_ID", "KCCONF_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    secret = tmp_path / "password"
    secret.write_text("canary-from-file p&ss\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec("echo"))
    args = ("--url", careless, "--username", "admin", "--password-file", str(secret))
    run = run_cli("plan", *args, str(spec))  # fails the test if a canary- value is printed
    assert run.code == 1, run.err
    assert "password=(sensitive)" in run.err  # the echo came through, scrubbed


# Only Keycloak's own error shape reaches the output: a page that is not JSON is reported by
# its URL and content type alone.
@pytest.mark.parametrize("careless", ECHOES[1:2], indirect=True)
def test_the_echo_reaches_the_output_scrubbed(
    careless: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The echo does come through (so the test above is not passing for want of it)."""
    monkeypatch.delenv("KCCONF_USERNAME", raising=False)
    monkeypatch.delenv("KCCONF_PASSWORD", raising=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec("echo"))
    args = ("--url", careless, "--client-id", "kcconf-bot", "--client-secret", LOGIN_SECRET)
    run = run_cli("plan", *args, str(spec))
    assert run.code in (1, 3), run.err
    assert "client_id=kcconf-bot" in run.err  # the echoed form body is in the message
    assert "client_secret=(sensitive)" in run.err
    assert "(sensitive)</dd>" in run.err  # the decoded value, scrubbed as a known value


def test_a_short_login_password_is_scrubbed_where_it_stands_as_a_credential() -> None:
    echoed = "grant_type=password&username=admin&password=admin&client_id=admin-cli"
    assert redact(echoed) == (
        "grant_type=password&username=admin&password=(sensitive)&client_id=admin-cli"
    )
    assert redact('{"client_secret": "abc\\"d", \'refresh_token\': \'xyz\'}') == (
        '{"client_secret": "(sensitive)", \'refresh_token\': "(sensitive)"}'
    )
    assert redact("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln") == (
        "Authorization: Bearer (sensitive)"
    )
    # ...and not where it is one of kcconf's own words.
    assert redact("admin API requests: GET 3") == "admin API requests: GET 3"


def test_a_known_secret_is_scrubbed_in_its_encoded_forms() -> None:
    remember("canary-enc p&ss<2>\u00e9")
    shown = [
        "canary-enc p&ss<2>\u00e9",
        "canary-enc+p%26ss%3C2%3E%C3%A9",
        "canary-enc%20p%26ss%3C2%3E%C3%A9",
        "canary-enc p&amp;ss&lt;2&gt;\u00e9",
        "canary-enc p&ss<2>\\u00e9",
        "canary-enc p&ss<2>\\xc3\\xa9",
    ]
    assert [redact(s) for s in shown] == ["(sensitive)"] * len(shown)


def test_a_keycloak_error_message_is_scrubbed_when_made() -> None:
    remember("canary-in-an-error-1")
    error = KeycloakError("Keycloak answered 400: client_secret=x&secret=canary-in-an-error-1", 400)
    assert str(error) == "Keycloak answered 400: client_secret=(sensitive)&secret=(sensitive)"


def test_a_service_account_login_on_the_command_line_is_never_printed(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The normal path on the real Keycloak: a good and a bad client secret given as options."""
    monkeypatch.setenv("BOT_SECRET", "canary-bot-secret-1")
    bot = (
        "clients:\n  - clientId: kcconf-bot\n    publicClient: false\n"
        "    serviceAccountsEnabled: true\n    secret: {env: BOT_SECRET}\n"
    )
    spec = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm, bot))
    bot_uuid = index.clients()["kcconf-bot"]["id"]
    user = index.api.get(index.path("clients", bot_uuid, "service-account-user"))
    management = index.client_uuid("realm-management")
    index.api.post(
        index.path("users", user["id"], "role-mappings", "clients", management),
        [index.role("realm-management/realm-admin")],
    )
    for key in ("KCCONF_USERNAME", "KCCONF_PASSWORD"):
        monkeypatch.delenv(key)
    login = ("--auth-realm", realm, "--client-id", "kcconf-bot", "--client-secret")
    good = kcconf("plan", *login, "canary-bot-secret-1", str(spec))
    assert good.code == 0, good.err
    assert good.out.startswith(f"No changes: realm {realm} matches the spec.")
    bad = kcconf("plan", *login, "canary-wrong-secret-1", str(spec))
    assert bad.code == 1
    assert bad.err.splitlines()[-1].startswith("error: cannot log in to Keycloak at ")
    assert redact("canary-bot-secret-1 canary-wrong-secret-1") == "(sensitive) (sensitive)"
