"""Test fixtures: one real Keycloak per test run, one realm per test.

The server is started by kcconf's own harness (KCCONF_KEYCLOAK_VERSION, default the pinned
version), or KCCONF_TEST_URL points at one already running (with KCCONF_TEST_USERNAME and
KCCONF_TEST_PASSWORD, default admin/admin). When no server can be had, integration tests skip
with the reason; with --require-keycloak or CI=true they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kcconf.errors import KcconfError, KeycloakError
from kcconf.keycloak import sandbox
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.rest import Api, Credentials
from tests import slapd
from tests.helpers import CANARY, Run, run_cli

# The test servers' admin password is a canary too: kcconf must never print its login password.
ADMIN_PASSWORD = f"{CANARY}admin-{uuid.uuid4().hex[:8]}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-keycloak",
        action="store_true",
        help="fail, rather than skip, integration tests when no Keycloak is available",
    )


@dataclass(frozen=True)
class Target:
    url: str
    username: str
    password: str
    version: str

    def env(self) -> dict[str, str]:
        return {
            "KCCONF_URL": self.url,
            "KCCONF_USERNAME": self.username,
            "KCCONF_PASSWORD": self.password,
        }

    def api(self) -> Api:
        return Api(Credentials(self.url, username=self.username, password=self.password))


def _unavailable(config: pytest.Config, reason: str, server: str = "Keycloak") -> None:
    message = f"no {server} for integration tests: {reason}"
    if config.getoption("--require-keycloak") or os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def keycloak(request: pytest.FixtureRequest) -> Iterator[Target]:
    url = os.environ.get("KCCONF_TEST_URL")
    if url:
        user = os.environ.get("KCCONF_TEST_USERNAME", "admin")
        password = os.environ.get("KCCONF_TEST_PASSWORD", "admin")
        try:
            info = Api(Credentials(url, username=user, password=password)).server_info()
        except KcconfError as exc:
            _unavailable(request.config, f"KCCONF_TEST_URL={url}: {exc}")
        yield Target(url, user, password, str(info["systemInfo"]["version"]))
        return
    version = os.environ.get("KCCONF_KEYCLOAK_VERSION", sandbox.DEFAULT_VERSION)
    try:
        server = sandbox.start(version, admin_password=ADMIN_PASSWORD)
    except KcconfError as exc:
        _unavailable(request.config, f"could not start Keycloak {version}: {exc}")
    try:
        yield Target(server.url, server.admin_user, server.admin_password, version)
    finally:
        sandbox.stop(server)


@pytest.fixture(scope="session")
def ldap_server(request: pytest.FixtureRequest) -> Iterator[slapd.Slapd]:
    """A seeded OpenLDAP server of this run's own (tests/slapd.py), for user federation."""
    try:
        server = slapd.start(password=f"{CANARY}ldap-{uuid.uuid4().hex[:8]}")
    except slapd.SlapdError as exc:
        _unavailable(request.config, str(exc), "OpenLDAP")
    try:
        yield server
    finally:
        slapd.stop(server)


@pytest.fixture
def realm(keycloak: Target, request: pytest.FixtureRequest) -> Iterator[str]:
    """A realm name of this test's own, deleted afterwards if the test created it."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    name = f"t-{slug}-{uuid.uuid4().hex[:6]}"
    yield name
    with contextlib.suppress(KeycloakError):
        keycloak.api().delete(name)


@pytest.fixture
def index(keycloak: Target, realm: str) -> RealmAdmin:
    """A fresh admin connection to the test's realm, with its own request counts."""
    return RealmAdmin(keycloak.api(), realm)


@pytest.fixture
def kcconf(keycloak: Target, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run the kcconf command line in-process against the test server."""
    for key, value in keycloak.env().items():
        monkeypatch.setenv(key, value)
    return run_cli


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need the server carry the `integration` mark, so `-m integration` selects them."""
    for item in items:
        if any(f.startswith("keycloak") for f in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def _variant(request: pytest.FixtureRequest, features: str) -> Iterator[Target]:
    """A second server of the same version with other features, for the readiness tests."""
    if os.environ.get("KCCONF_TEST_URL"):
        pytest.skip("needs a Keycloak started with other features; KCCONF_TEST_URL's is fixed")
    version = os.environ.get("KCCONF_KEYCLOAK_VERSION", sandbox.DEFAULT_VERSION)
    try:
        server = sandbox.start(version, features=features, admin_password=ADMIN_PASSWORD)
    except KcconfError as exc:
        _unavailable(request.config, f"could not start Keycloak {version} ({features}): {exc}")
    try:
        yield Target(server.url, server.admin_user, server.admin_password, version)
    finally:
        sandbox.stop(server)


@pytest.fixture(scope="session")
def keycloak_without_token_exchange(request: pytest.FixtureRequest) -> Iterator[Target]:
    yield from _variant(request, "admin-fine-grained-authz:v1")


@pytest.fixture(scope="session")
def keycloak_without_fgap_v1(request: pytest.FixtureRequest) -> Iterator[Target]:
    yield from _variant(request, "token-exchange")


@pytest.fixture
def offline_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No KCCONF_ server settings from the caller's shell, and the test's own directory as the
    working one, so messages name files by exact relative paths."""
    for key in list(os.environ):
        if key.startswith("KCCONF_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
