"""Key providers against a real Keycloak: a rotation in three steps (a new key with a higher
priority signs, the old one passive still verifies, then pruned), an imported RSA key from the
environment that never shows, and the refusal of a plan that leaves the realm no signing key."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import yaml

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.adopt.render import render
from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import password_grant
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec, run_cli

Kcconf = Callable[..., Run]
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"
# A client of the test's own: admin-cli's tokens are lightweight on 26.7, which userinfo refuses.
USER = (
    "clients:\n  - clientId: tokens\n    publicClient: true\n    directAccessGrantsEnabled: true\n"
    "users:\n  - username: bob\n    email: bob@example.com\n    emailVerified: true\n"
    "    firstName: Bob\n    lastName: Builder\n    password: {env: BOB_PASSWORD}\n"
)


def spec(realm: str, keys: str, prune: bool = False) -> str:
    pruning = "prune:\n  keys: all\n" if prune else ""
    return realm_spec(realm, f"{pruning}{USER}keys:\n{keys}")


def kid_of_token(url: str, realm: str) -> str:
    """The kid in the header of a token the realm issues now (password grant)."""
    answer = password_grant(url, realm, "tokens", "bob", "canary-bob-password-1")
    assert answer.status == 200, answer.body
    header = answer.token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def openid_token(url: str, realm: str) -> str:
    """An access token for bob with the openid scope, so the userinfo endpoint takes it."""
    endpoint = f"{url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token"
    data = {"grant_type": "password", "client_id": "tokens", "scope": "openid"}
    data |= {"username": "bob", "password": "canary-bob-password-1"}
    return str(requests.post(endpoint, data=data, timeout=30).json()["access_token"])


def verifies(url: str, realm: str, token: str) -> bool:
    """Whether Keycloak still accepts the token: userinfo checks its signature by its kid."""
    endpoint = f"{url.rstrip('/')}/realms/{realm}/protocol/openid-connect/userinfo"
    answer = requests.get(endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code in (200, 401), answer.text[:300]
    return answer.status_code == 200


def keys_by_provider(admin: RealmAdmin) -> dict[str, dict[str, str]]:
    """Provider name -> {algorithm: kid, status: ...} of the realm's keys (GET keys)."""
    admin.forget()
    names = {r["id"]: r["name"] for r in ep.components(KEY_PROVIDER).list(admin)}
    found: dict[str, dict[str, str]] = {}
    for key in admin.api.get(admin.path("keys"))["keys"]:
        found[names[key["providerId"]]] = {"kid": key["kid"], "status": key["status"]}
    return found


def builtins(admin: RealmAdmin, leave_out: str) -> str:
    """The realm's own generated providers (their names differ by version), as spec items."""
    reps = ep.components(KEY_PROVIDER).list(admin)
    return "".join(
        f"  - name: {r['name']}\n    providerId: {r['providerId']}\n"
        for r in reps
        if r["name"] != leave_out and r["name"] not in {"rsa-2026", "imported"}
    )


NEW = "  - name: rsa-2026\n    providerId: rsa-generated\n    priority: 200\n"


def test_a_key_is_rotated_in_three_steps(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob-password-1")
    url = index.api.url
    path = tmp_path / "spec.yaml"
    old = "  - name: rsa-generated\n    providerId: rsa-generated\n"
    apply_spec(kcconf, path, spec(realm, old))
    first = keys_by_provider(index)["rsa-generated"]["kid"]
    assert kid_of_token(url, realm) == first
    signed_by_old = openid_token(url, realm)
    assert_in_sync(kcconf, path)

    # (a) A new key with a higher priority signs the new tokens.
    path.write_text(spec(realm, old + NEW + "    config:\n      keySize: 4096\n"))
    planned = kcconf("plan", str(path))
    assert "+ key-provider rsa-2026\n" in planned.out, planned.out
    apply_spec(kcconf, path, path.read_text())
    keys = keys_by_provider(index)
    assert kid_of_token(url, realm) == keys["rsa-2026"]["kid"] != first
    assert keys["rsa-generated"]["status"] == "ACTIVE"
    assert verifies(url, realm, signed_by_old)
    assert_in_sync(kcconf, path)

    # (b) The old one passive: it still verifies (listed PASSIVE) but no longer signs.
    passive = old + "    active: false\n" + NEW + "    config:\n      keySize: 4096\n"
    path.write_text(spec(realm, passive))
    planned = kcconf("plan", str(path))
    assert "~ key-provider rsa-generated\n    active: true -> false\n" in planned.out, planned.out
    apply_spec(kcconf, path, passive and path.read_text())
    keys = keys_by_provider(index)
    assert (keys["rsa-generated"]["kid"], keys["rsa-generated"]["status"]) == (first, "PASSIVE")
    assert kid_of_token(url, realm) == keys["rsa-2026"]["kid"]
    assert verifies(url, realm, signed_by_old)  # passive: still verifies
    assert_in_sync(kcconf, path)

    # A plan that would leave no active RS256 key is refused before anything is written.
    path.write_text(
        spec(realm, passive.replace("priority: 200\n", "priority: 200\n    active: false\n"))
    )
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code != 0 and "default signature algorithm RS256" in refused.err, refused.err
    assert keys_by_provider(index)["rsa-2026"]["status"] == "ACTIVE"
    # So is a default signature algorithm that no key signs with.
    es256 = spec(realm, passive).replace(
        "  enabled: true\n", "  enabled: true\n  defaultSignatureAlgorithm: ES256\n", 1
    )
    path.write_text(es256)
    refused = kcconf("plan", str(path))
    assert refused.code == 1 and "default signature algorithm ES256" in refused.err, refused.err

    # (c) The old key removed: pruned, the other generated keys declared and kept.
    rest = builtins(index, "rsa-generated") + NEW + "    config:\n      keySize: 4096\n"
    path.write_text(spec(realm, rest, prune=True))
    planned = kcconf("plan", str(path))
    assert (
        "- key-provider rsa-generated\n" in planned.out
        and "Plan: 0 to add, 0 to change, 1 to delete." in planned.out
    ), planned.out
    apply_spec(kcconf, path, path.read_text())
    keys = keys_by_provider(index)
    assert "rsa-generated" not in keys and first not in {k["kid"] for k in keys.values()}
    assert not verifies(url, realm, signed_by_old)  # removed: its tokens are refused
    assert kid_of_token(url, realm) == keys["rsa-2026"]["kid"]
    assert_in_sync(kcconf, path)

    # A provider cannot change in place (Keycloak would take it): refused, the key kept.
    path.write_text(spec(realm, rest.replace("providerId: rsa-generated", "providerId: rsa")))
    refused = kcconf("plan", str(path))
    assert refused.code == 1 and "a provider cannot change" in refused.err, refused.err


def test_an_imported_key_comes_from_the_environment_and_never_shows(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = subprocess.run(
        ["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True
    ).stdout
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob-password-1")
    monkeypatch.setenv("IMPORTED_KEY", pem)
    body = pem.splitlines()[5]  # a line of the key's own material
    item = (
        "  - name: imported\n    providerId: rsa\n    priority: {p}\n"
        "    config:\n      privateKey: {{env: IMPORTED_KEY}}\n"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(spec(realm, item.format(p=300)))
    applied = kcconf("apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    assert body not in applied.out + applied.err and "(sensitive)" in applied.out
    kid = keys_by_provider(index)["imported"]["kid"]
    assert kid_of_token(index.api.url, realm) == kid
    assert_in_sync(kcconf, path)  # Keycloak answers the key masked: no perpetual change

    # A change of another setting keeps the key (it goes back masked).
    path.write_text(spec(realm, item.format(p=250)))
    planned = kcconf("plan", str(path))
    assert planned.out.startswith("~ key-provider imported\n    priority: 300 -> 250\n"), (
        planned.out
    )
    apply_spec(kcconf, path, path.read_text())
    assert keys_by_provider(index)["imported"]["kid"] == kid == kid_of_token(index.api.url, realm)
    assert_in_sync(kcconf, path)

    # Export writes the imported key with its private key from the environment, and leaves the
    # generated keys of a new realm out; the exported spec is in sync with the realm.
    exported = tmp_path / "exported.yaml"
    done = kcconf("export", "--realm", realm, "-o", str(exported))
    assert done.code == 0, done.err
    written = yaml.safe_load(exported.read_text())
    live = {r["name"]: r for r in ep.components(KEY_PROVIDER).list(index)}
    certificate = live["imported"]["config"]["certificate"][0]
    assert written["keys"] == [
        {
            "name": "imported",
            "providerId": "rsa",
            "priority": 250,
            "config": {
                "certificate": certificate,
                "privateKey": {"env": "KEY_IMPORTED_PRIVATEKEY"},
            },
        }
    ]
    assert body not in exported.read_text()
    monkeypatch.setenv("KEY_IMPORTED_PRIVATEKEY", pem)
    planned = kcconf("plan", str(exported))
    assert planned.out.startswith("No changes"), planned.out


def test_a_private_key_written_in_the_spec_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec(
            "r",
            "keys:\n  - name: imported\n    providerId: rsa\n"
            "    config:\n      privateKey: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        )
    )
    result = run_cli("validate", str(path))
    assert result.code != 0
    assert f"{path}:8" in result.out + result.err, result.out + result.err
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in result.out + result.err


def test_convert_writes_the_keys_that_differ_from_a_new_realm_and_no_key_material() -> None:
    baseline = stored()
    rep = copy.deepcopy(baseline.for_realm("r").realm)
    providers = rep["components"][KEY_PROVIDER]
    generated = next(c for c in providers if c["name"] == "rsa-generated")
    generated["config"] |= {"active": ["false"], "privateKey": ["MIIgenerated"]}
    providers += [
        {
            "name": "hmac-generated",
            "providerId": "hmac-generated",
            "config": {"priority": ["100"], "algorithm": ["HS256"], "secret": ["hmac-material"]},
        },
        {
            "name": "imported",
            "providerId": "rsa",
            "config": {"priority": ["300"], "privateKey": ["MIIimported"], "certificate": ["MIIc"]},
        },
    ]
    converted = convert(rep, baseline)
    assert converted.spec["keys"] == [
        {
            "name": "hmac-generated",
            "providerId": "hmac-generated",
            "algorithm": "HS256",
            "priority": 100,
        },
        {
            "name": "imported",
            "providerId": "rsa",
            "priority": 300,
            "config": {"certificate": "MIIc", "privateKey": {"env": "KEY_IMPORTED_PRIVATEKEY"}},
        },
        {"name": "rsa-generated", "providerId": "rsa-generated", "active": False},
    ]
    text = render(converted.spec, "convert", baseline.version)
    assert "MIIimported" not in text and "hmac-material" not in text and "MIIgenerated" not in text
    skipped = [str(s) for s in converted.report.skipped]
    assert any(s.startswith(f"components[{KEY_PROVIDER}][hmac-generated].config:") for s in skipped)
