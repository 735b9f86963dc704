"""Converting realm exports to specs, offline: old shapes mapped, output stable and valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kcconf.adopt.baseline import available, stored
from kcconf.adopt.convert import convert
from kcconf.adopt.render import render
from kcconf.adopt.report import Report
from kcconf.adopt.upgrade import upgrade, version
from kcconf.spec.validate import validate_files
from tests.helpers import ROOT, run_cli

EXPORTS = ROOT.parent / "shared" / "realm-exports"


def _exports() -> list[Path]:
    if not EXPORTS.is_dir():
        pytest.skip(f"no realm exports at {EXPORTS}")
    return sorted(EXPORTS.glob("*.json"))


def test_the_export_version_is_read_from_old_and_new_exports() -> None:
    assert version({"keycloakVersion": "3.4.1.Final-SNAPSHOT"}) == (3, 4, 1)
    assert version({"keycloakVersion": "25.0.6"}) == (25, 0, 6)
    assert version({}) is None


def test_default_roles_before_keycloak_13_become_the_default_role_composites() -> None:
    rep = {
        "realm": "Old",
        "defaultRoles": ["offline_access"],
        "clients": [{"clientId": "account", "defaultRoles": ["view-profile"]}],
        "users": [{"username": "a", "realmRoles": ["offline_access"]}],
    }
    report = Report()
    out = upgrade(rep, report)
    role = out["roles"]["realm"][0]
    assert role["name"] == "default-roles-old"
    assert role["composites"] == {
        "realm": ["offline_access"],
        "client": {"account": ["view-profile"]},
    }
    assert "defaultRoles" not in out["clients"][0]
    assert str(report.notes[0]).startswith("defaultRoles: Keycloak < 13 shape")


def test_client_templates_become_client_scopes_and_default_scopes() -> None:
    rep = {
        "realm": "r",
        "clientTemplates": [{"name": "tpl", "protocol": "openid-connect"}],
        "clients": [{"clientId": "app", "clientTemplate": "tpl"}],
    }
    out = upgrade(rep, Report())
    assert out["clientScopes"] == [{"name": "tpl", "protocol": "openid-connect"}]
    assert out["clients"][0]["defaultClientScopes"] == ["tpl"]


def test_before_keycloak_25_every_oidc_client_gets_the_basic_scope() -> None:
    rep = {
        "realm": "r",
        "keycloakVersion": "23.0.1",
        "defaultDefaultClientScopes": ["roles"],
        "clients": [
            {"clientId": "app", "protocol": "openid-connect", "defaultClientScopes": ["roles"]},
            {"clientId": "sp", "protocol": "saml", "defaultClientScopes": ["role_list"]},
        ],
    }
    out = upgrade(rep, Report())
    assert out["defaultDefaultClientScopes"] == ["roles", "basic"]
    assert out["clients"][0]["defaultClientScopes"] == ["roles", "basic"]
    assert out["clients"][1]["defaultClientScopes"] == ["role_list"]


def test_for_keycloak_24_an_old_export_gets_no_basic_scope() -> None:
    rep = {"realm": "r", "keycloakVersion": "23.0.1", "defaultDefaultClientScopes": ["roles"]}
    assert upgrade(rep, Report(), target="24.0.5")["defaultDefaultClientScopes"] == ["roles"]
    assert "basic" in upgrade(rep, Report(), target="25.0.6")["defaultDefaultClientScopes"]


def test_for_keycloak_24_the_basic_scope_of_a_newer_export_goes_everywhere() -> None:
    basic = {
        "name": "basic",
        "protocolMappers": [{"name": "sub", "protocolMapper": "oidc-sub-mapper"}],
    }
    rep = {
        "realm": "r",
        "keycloakVersion": "25.0.6",
        "clientScopes": [basic, {"name": "roles"}],
        "defaultDefaultClientScopes": ["basic", "roles"],
        "clients": [{"clientId": "app", "defaultClientScopes": ["basic", "roles"]}],
    }
    out = upgrade(rep, Report(), target="24.0.5")
    assert out["clientScopes"] == [{"name": "roles"}]
    assert out["defaultDefaultClientScopes"] == ["roles"]
    assert out["clients"][0]["defaultClientScopes"] == ["roles"]
    assert upgrade(rep, Report(), target="25.0.6")["clientScopes"] == rep["clientScopes"]


def test_realm_fields_keycloak_24_lacks_are_reported_not_written() -> None:
    baseline = stored("24.0.5")
    rep = baseline.for_realm("r").realm | {"organizationsEnabled": True}
    converted = convert(rep, baseline)
    assert converted.spec == {"realm": {"name": "r", "enabled": True}}
    assert [str(s) for s in converted.report.skipped] == [
        "organizationsEnabled: not a realm field of Keycloak 24.0.5"
    ]


def test_changes_to_a_client_the_server_keeps_read_only_are_reported_not_written() -> None:
    baseline = stored("26.7.5")
    assert baseline.readonly == {"realm-management"}
    rep = baseline.for_realm("r").realm
    for client in rep["clients"]:
        if client["clientId"] == "realm-management":
            client["description"] = "changed"
    converted = convert(rep, baseline)
    assert "clients" not in converted.spec
    assert [str(s) for s in converted.report.skipped] == [
        "clients[realm-management].description: Keycloak 26.7.5 does not let an admin change "
        "this client"
    ]


def test_a_new_realm_converts_to_its_name_and_enabled_alone() -> None:
    # `enabled` is always written: a realm created without it is disabled.
    for measured in available():
        baseline = stored(measured)
        spec = convert(baseline.for_realm("fresh").realm, baseline).spec
        assert spec == {"realm": {"name": "fresh", "enabled": True}}, measured


def _env_names(node: Any) -> set[str]:
    """Every variable a spec reads through `{env: NAME}`."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {str(node["env"])}
        return set().union(*(_env_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_env_names(v) for v in node))
    return set()


@pytest.mark.parametrize("path", _exports(), ids=lambda p: p.stem[:40])
def test_every_export_converts_to_a_valid_stable_spec_without_secrets(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = stored()
    rep = json.loads(path.read_text())
    first = render(convert(rep, baseline).spec, "convert", baseline.version)
    assert render(convert(rep, baseline).spec, "convert", baseline.version) == first
    written = tmp_path / f"{path.stem}.yaml"
    written.write_text(first)
    for name in _env_names(yaml.safe_load(first)):  # validate reads them, as plan does
        monkeypatch.setenv(name, f"canary-{name.lower()}-value")
    assert [str(p) for p in validate_files([written])] == []
    spec = yaml.safe_load(first)
    assert spec["realm"]["name"] == rep["realm"]
    secrets = [c["secret"] for c in spec.get("clients") or [] if "secret" in c]
    secrets += [u["password"] for u in spec.get("users") or [] if "password" in u]
    assert all(set(s) == {"env"} for s in secrets), secrets


def test_convert_lists_what_it_cannot_express_and_strict_refuses(tmp_path: Path) -> None:
    path = next(p for p in _exports() if "servlet-saml" in p.name)
    out = tmp_path / "spec.yaml"
    done = run_cli("convert", str(path), "-o", str(out))
    assert done.code == 0, done.err
    assert (
        "not expressible: clients[servlet-saml-service-provider].attributes."
        "saml.signing.private.key: a private key" in done.err
    )
    assert "the spec reads these environment variables: USER_ALICE_PASSWORD" in done.err
    assert "saml.signing.private.key" not in out.read_text()
    strict = run_cli("convert", "--strict", str(path))
    assert strict.code == 1
    assert strict.err.splitlines()[-1] == "error: 3 path(s) not expressible (--strict)"
    assert strict.out == ""
