"""Connecting to Keycloak safely: behind a path prefix, over TLS, with a time-out, with the
real cause of every failure in one line, and with secrets read from files or stdin.

Every server here is real: the test Keycloak, a loopback reverse proxy in front of it
(tests/proxy.py), or a socket that accepts and never answers.
"""

from __future__ import annotations

import io
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import password_grant
from kcconf.keycloak.rest import Api, Credentials
from tests.conftest import Target
from tests.helpers import Run, assert_in_sync, example, realm_spec, requests_of, run_cli
from tests.proxy import HungServer, RunningProxy, hung_server, prefix_proxy

# kcconf's own HTTP client (proxies, TLS, time-outs, retries) is what these prove: .ci/run runs
# them on the pinned version only, like the property-based tests.
pytestmark = pytest.mark.client

Kcconf = Callable[..., Run]
PASSWORDS = {"MODERATOR_PASSWORD": "canary-conn-mod", "ALICE_PASSWORD": "canary-conn-alice"}
INSECURE_WARNING = (
    "warning: --insecure: the TLS certificate of Keycloak is not checked; anyone on the "
    "network path can read the admin credentials and change the realm"
)


def _story(realm: str, version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example realm under the test's realm name: users, a client, token checks."""
    for key, value in PASSWORDS.items():
        monkeypatch.setenv(key, value)
    text = example("realms/minimal-token-impersonation.yaml", version).read_text()
    spec = tmp_path / "story.yaml"
    spec.write_text(text.replace("\n  name: minimal-token\n", f"\n  name: {realm}\n"))
    return spec


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """A valid spec for tests that never reach a realm."""
    path = tmp_path / "spec.yaml"
    path.write_text(realm_spec("anything"))
    return path


@pytest.fixture
def own(realm: str, tmp_path: Path) -> Path:
    """A spec of the test's own realm, with nothing but the realm."""
    path = tmp_path / "own.yaml"
    path.write_text(realm_spec(realm))
    return path


def _through(monkeypatch: pytest.MonkeyPatch, proxy: RunningProxy) -> None:
    monkeypatch.setenv("KCCONF_URL", proxy.url)


def _outside_prefix(proxy: RunningProxy, prefix: str) -> list[tuple[str, str]]:
    return [(m, p) for m, p in proxy.options.seen if not p.startswith(prefix + "/")]


# 6. Wrong server: the URL's path is kept.


def test_plan_apply_and_token_checks_work_behind_a_path_prefix(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = _story(realm, keycloak.version, tmp_path, monkeypatch)
    with prefix_proxy(keycloak.url, "/staging") as proxy:
        _through(monkeypatch, proxy)
        planned = kcconf("plan", str(spec))
        assert planned.code == 2, planned.err
        assert planned.out.startswith(f"+ realm {realm}\n"), planned.out
        applied = kcconf("apply", "--auto-approve", str(spec))
        assert applied.code == 0, applied.err
        assert applied.out.endswith("Checks: 6 passed, 0 failed.\n"), applied.out
        checked = kcconf("check", str(spec))
        assert (checked.code, checked.out.splitlines()[-1]) == (0, "Checks: 6 passed, 0 failed.")
        shown = kcconf(
            "token", "--realm", realm, "--client", "our-public-client", "--user", "moderator"
        )
        assert shown.code == 0, shown.err
        assert shown.out.splitlines()[2] == "  realm-management roles: impersonation"
        assert_in_sync(kcconf, spec)
        # The token endpoint works through the prefix too; the issuer lacks the prefix
        # (docs/keycloak-facts.md 15.2).
        moderator = password_grant(
            proxy.url, realm, "our-public-client", "moderator", PASSWORDS["MODERATOR_PASSWORD"]
        )
        host = proxy.url.split("/")[2]
        assert moderator.claims["iss"] == f"http://{host}/realms/{realm}"
        # Every request went through the prefix; the proxy answers 404 anywhere else.
        assert proxy.options.seen
        assert _outside_prefix(proxy, "/staging") == []


def test_a_prefix_of_two_segments_is_kept_with_or_without_a_trailing_slash(
    kcconf: Kcconf, keycloak: Target, realm: str, own: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with prefix_proxy(keycloak.url, "/a/b") as proxy:
        for url in (proxy.url, proxy.url + "/"):
            monkeypatch.setenv("KCCONF_URL", url)
            planned = kcconf("plan", str(own))
            assert planned.code == 2, planned.err
            assert planned.out.startswith(f"+ realm {realm}\n")
        assert _outside_prefix(proxy, "/a/b") == []


def test_a_url_kcconf_cannot_use_is_a_one_line_error(kcconf: Kcconf, spec: Path) -> None:
    for url, why in [
        ("sso.example.com", "it must start with http:// or https://"),
        ("https://admin:pw@sso.example.com", "it must not hold credentials"),
        ("https://sso.example.com/auth?x=1", "it must not have a query or fragment"),
    ]:
        result = kcconf("plan", str(spec), "--url", url)
        assert (result.code, result.err) == (1, f"error: cannot use --url {url!r}: {why}\n")


# 11c. The real cause of a failure, in one line.


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_connection_refused_and_an_unknown_host_name_the_cause(kcconf: Kcconf, spec: Path) -> None:
    port = _closed_port()
    refused = kcconf("plan", str(spec), "--url", f"http://127.0.0.1:{port}")
    assert (refused.code, refused.err) == (
        1,
        f"error: cannot reach Keycloak at http://127.0.0.1:{port}: "
        f"connection refused by 127.0.0.1:{port}\n",
    )
    unknown = kcconf("plan", str(spec), "--url", "https://no-such-host.invalid")
    assert (unknown.code, unknown.err) == (
        1,
        "error: cannot reach Keycloak at https://no-such-host.invalid: "
        "host name no-such-host.invalid not resolved\n",
    )


def test_a_login_page_in_front_of_keycloak_is_a_one_line_error(
    kcconf: Kcconf, keycloak: Target, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with prefix_proxy(keycloak.url, login_page=frozenset({"GET", "POST"})) as proxy:
        _through(monkeypatch, proxy)
        result = kcconf("plan", str(spec))
    token_url = f"{proxy.url}/realms/master/protocol/openid-connect/token"
    assert (result.code, result.err) == (
        1,
        f"error: the answer from {token_url} was not JSON (HTTP 200, text/html;charset=utf-8): "
        "is --url Keycloak's address, or is a login page or proxy in front of it?\n",
    )


def test_a_login_page_answering_a_write_is_an_error_not_a_success(
    kcconf: Kcconf, keycloak: Target, realm: str, own: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kcconf("apply", "--auto-approve", str(own)).code == 0
    own.write_text(realm_spec(realm, "").replace("enabled: true", "enabled: false"))
    with prefix_proxy(keycloak.url, login_page=frozenset({"PUT"})) as proxy:
        _through(monkeypatch, proxy)
        applied = kcconf("apply", "--auto-approve", "--quiet", str(own))
    assert applied.code == 1
    assert applied.err == (
        f"error: the answer from {proxy.url}/admin/realms/{realm} was not JSON (HTTP 200, "
        "text/html;charset=utf-8): is --url Keycloak's address, or is a login page or proxy "
        "in front of it?\n"
    )


@pytest.fixture
def hung() -> Iterator[HungServer]:
    with hung_server() as server:
        yield server


def test_a_hung_server_fails_after_the_timeout_and_the_login_post_is_not_retried(
    kcconf: Kcconf, hung: HungServer, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCCONF_TIMEOUT", "2")
    url = f"http://127.0.0.1:{hung.port}"
    started = time.monotonic()
    result = kcconf("plan", str(spec), "--url", url)
    elapsed = time.monotonic() - started
    assert (result.code, result.err) == (
        1,
        f"error: cannot reach Keycloak at {url}: no answer within 2 s "
        "(timed out after 2 s; --timeout or KCCONF_TIMEOUT sets the limit)\n",
    )
    assert hung.accepted == 1  # the login is a POST: sent once, never repeated
    assert elapsed < 10  # one time-out of 2 s, not 2 x 60 s as before


def test_the_timeout_option_overrides_the_environment(
    kcconf: Kcconf, hung: HungServer, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCCONF_TIMEOUT", "600")
    result = kcconf("plan", str(spec), "--url", f"http://127.0.0.1:{hung.port}", "--timeout", "1")
    assert result.code == 1
    assert result.err.endswith(
        "no answer within 1 s (timed out after 1 s; --timeout or KCCONF_TIMEOUT sets the limit)\n"
    )


def test_a_dropped_connection_is_retried_for_get_but_never_for_post(
    kcconf: Kcconf, keycloak: Target, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with prefix_proxy(keycloak.url, drop={"POST": 1}) as proxy:
        _through(monkeypatch, proxy)
        login = kcconf("plan", str(spec))
        posts = [p for m, p in proxy.options.seen if m == "POST"]
    assert (login.code, login.err) == (
        1,
        f"error: cannot reach Keycloak at {proxy.url}: the connection was closed without an "
        f"answer to POST {proxy.url}/realms/master/protocol/openid-connect/token\n",
    )
    assert posts == ["/prefix/realms/master/protocol/openid-connect/token"]
    with prefix_proxy(keycloak.url, drop={"GET": 1}) as proxy:
        _through(monkeypatch, proxy)
        planned = kcconf("plan", str(spec))
        gets = [p for m, p in proxy.options.seen if m == "GET"]
    assert planned.code == 2, planned.err
    assert gets[0] == gets[1]  # the dropped GET, sent again
    assert requests_of(planned.err) == {"GET": len(gets) - 1}  # counted once


# 11c. TLS: a certificate kcconf cannot verify, --ca-bundle, --insecure.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
    command += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_proxy(keycloak: Target, certificate: tuple[Path, Path]) -> Iterator[RunningProxy]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with prefix_proxy(keycloak.url, context=context) as proxy:
        yield proxy


def test_an_untrusted_certificate_names_the_cause_and_the_host(
    kcconf: Kcconf, tls_proxy: RunningProxy, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _through(monkeypatch, tls_proxy)
    result = kcconf("plan", str(spec))
    host = tls_proxy.url.split("/")[2]
    assert (result.code, result.err) == (
        1,
        f"error: cannot reach Keycloak at {tls_proxy.url}: certificate verify failed for {host}: "
        "self-signed certificate (pass --ca-bundle FILE with the certificate of the CA that "
        "signed it)\n",
    )


def test_a_ca_bundle_trusts_the_certificate(
    kcconf: Kcconf,
    tls_proxy: RunningProxy,
    certificate: tuple[Path, Path],
    realm: str,
    own: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _through(monkeypatch, tls_proxy)
    planned = kcconf("plan", str(own), "--ca-bundle", str(certificate[0]))
    assert planned.code == 2, planned.err
    assert planned.out.startswith(f"+ realm {realm}\n")
    monkeypatch.setenv("KCCONF_CA_BUNDLE", str(certificate[0]))
    applied = kcconf("apply", "--auto-approve", str(own))
    assert applied.code == 0, applied.err
    assert "warning" not in applied.err
    assert_in_sync(kcconf, own)


def test_insecure_connects_and_warns_loudly_on_every_run(
    kcconf: Kcconf,
    tls_proxy: RunningProxy,
    realm: str,
    own: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _through(monkeypatch, tls_proxy)
    for _ in range(2):
        planned = kcconf("plan", "--quiet", str(own), "--insecure")
        assert planned.code == 2, planned.err
        assert planned.err == INSECURE_WARNING + "\n"


def test_insecure_and_a_ca_bundle_together_are_refused(
    kcconf: Kcconf, certificate: tuple[Path, Path], spec: Path
) -> None:
    result = kcconf(
        "plan",
        str(spec),
        "--url",
        "https://localhost:9",
        "--insecure",
        "--ca-bundle",
        str(certificate[0]),
    )
    assert (result.code, result.err) == (
        1,
        "error: --insecure and --ca-bundle contradict each other: give one\n",
    )


# 11c. Secrets kept out of `ps`: files and stdin.


def test_the_password_from_a_file_or_stdin(
    kcconf: Kcconf, keycloak: Target, own: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KCCONF_PASSWORD")
    secret = tmp_path / "password"
    secret.write_text(keycloak.password + "\n")  # as `echo pw > file` writes it
    from_file = kcconf("plan", str(own), "--password-file", str(secret))
    assert from_file.code == 2, from_file.err
    monkeypatch.setenv("KCCONF_PASSWORD_FILE", str(secret))
    assert kcconf("plan", str(own)).code == 2
    monkeypatch.delenv("KCCONF_PASSWORD_FILE")
    monkeypatch.setattr("sys.stdin", io.StringIO(keycloak.password + "\n"))
    from_stdin = kcconf("plan", str(own), "--password-stdin")
    assert from_stdin.code == 2, from_stdin.err


def test_a_client_secret_from_a_file(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = "{clientId: kcconf-bot, serviceAccountsEnabled: true, secret: {env: BOT_SECRET}}"
    monkeypatch.setenv("BOT_SECRET", "canary-conn-bot-secret")
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, f"clients:\n  - {bot}\n"))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    _make_realm_admin(index, "kcconf-bot")
    for key in ("KCCONF_USERNAME", "KCCONF_PASSWORD"):
        monkeypatch.delenv(key)
    secret = tmp_path / "secret"
    secret.write_text("canary-conn-bot-secret\n")
    login = ["--auth-realm", realm, "--client-id", "kcconf-bot"]
    planned = kcconf("plan", str(spec), *login, "--client-secret-file", str(secret))
    assert (planned.code, planned.out) == (0, f"No changes: realm {realm} matches the spec.\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("canary-conn-bot-secret\n"))
    piped = kcconf("plan", str(spec), *login, "--client-secret-stdin")
    assert piped.code == 0, piped.err


def _make_realm_admin(index: RealmAdmin, client_id: str) -> None:
    """Give a client's service account realm-admin in its own realm, so it may run kcconf."""
    client = index.path("clients", index.client_uuid(client_id))
    user = index.api.get(f"{client}/service-account-user")["id"]
    grants = index.path("users", user, "role-mappings", "clients")
    role = index.role("realm-management/realm-admin")
    index.api.post(f"{grants}/{index.client_uuid('realm-management')}", [role])


@pytest.mark.parametrize(
    ("args", "env", "err"),
    [
        (
            ["--password", "x", "--password-file", "{file}"],
            {},
            "error: give the password one way: --password, --password-file (KCCONF_PASSWORD_FILE)"
            " or --password-stdin, not several\n",
        ),
        (
            ["--password-stdin", "--client-secret-stdin"],
            {},
            "error: --password-stdin and --client-secret-stdin cannot both read stdin\n",
        ),
        (
            ["--password-file", "{missing}"],
            {},
            "error: cannot read the password file {missing}: No such file or directory\n",
        ),
        (
            [],
            {"KCCONF_PASSWORD_FILE": "{missing}"},
            "error: cannot read the password file {missing}: No such file or directory\n",
        ),
        (
            ["--password-file", "{empty}"],
            {},
            "error: the password file {empty} is empty\n",
        ),
    ],
)
def test_secret_sources_that_cannot_work_are_one_line_errors(
    args: list[str],
    env: dict[str, str],
    err: str,
    spec: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = {"file": tmp_path / "pw", "missing": tmp_path / "missing", "empty": tmp_path / "empty"}
    names["file"].write_text("canary-conn-pw\n")
    names["empty"].write_text("\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(**names))
    monkeypatch.setenv("KCCONF_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("KCCONF_USERNAME", "admin")
    monkeypatch.delenv("KCCONF_PASSWORD", raising=False)
    result = run_cli("plan", str(spec), *(a.format(**names) for a in args))
    assert (result.code, result.err) == (1, err.format(**names))


# The login kcconf keeps: a token renewed before it expires, for a user and a service account.


def test_a_token_is_renewed_before_it_expires(
    kcconf: Kcconf, keycloak: Target, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_PASSWORD", "canary-conn-ops")
    monkeypatch.setenv("BOT_SECRET", "canary-conn-bot-renew")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"realm:\n  name: {realm}\n  enabled: true\n  accessTokenLifespan: 2\n"
        "clients:\n  - {clientId: bot, serviceAccountsEnabled: true, secret: {env: BOT_SECRET}}\n"
        "users:\n  - username: ops\n    password: {env: OPS_PASSWORD}\n"
        "    firstName: O\n    lastName: Ps\n    email: ops@example.com\n"
        "    clientRoles: {realm-management: [realm-admin]}\n"
    )
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    _make_realm_admin(RealmAdmin(keycloak.api(), realm), "bot")
    logins = [
        {"username": "ops", "password": "canary-conn-ops"},
        {"client_id": "bot", "client_secret": "canary-conn-bot-renew"},
    ]
    for login in logins:
        with prefix_proxy(keycloak.url) as proxy:
            api = Api(Credentials(proxy.url, auth_realm=realm, **login))
            api.login()
            assert api.get(realm)["accessTokenLifespan"] == 2
            time.sleep(2)  # the token's lifetime: a request now needs a new one
            assert api.get(realm)["accessTokenLifespan"] == 2
        token = f"/prefix/realms/{realm}/protocol/openid-connect/token"
        assert proxy.options.seen == [
            ("POST", token),
            ("GET", f"/prefix/admin/realms/{realm}"),
            ("POST", token),  # renewed before the request, not after a 401
            ("GET", f"/prefix/admin/realms/{realm}"),
        ]
