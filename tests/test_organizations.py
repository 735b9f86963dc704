"""Organizations against a real Keycloak: created with domains, attributes, a linked identity
provider and members, updated, removed only under prune; refused before any write where the
realm has organizations off, and on a server older than Keycloak 26."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.versions import version_tuple
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec

Kcconf = Callable[..., Run]

BASE = """\
identityProviders:
  - alias: acme-sso
    providerId: github
    config: {clientId: acme}
  - alias: other-sso
    providerId: github
    config: {clientId: other}
users:
  - username: ann
    email: ann@acme.test
  - username: ben
    email: ben@acme.test
"""


def spec(realm: str, orgs: str, enabled: str = "  organizationsEnabled: true\n") -> str:
    return realm_spec(realm, "").rstrip("\n") + "\n" + enabled + BASE + orgs


ACME = """\
organizations:
  - alias: acme
    name: Acme Inc
    description: first
    redirectUrl: http://127.0.0.1:1/acme
    domains:
      - name: acme.test
      - name: acme.example
        verified: true
    attributes: {tier: gold}
    identityProviders: [acme-sso]
    members: [ann]
  - alias: temp
"""
ACME_2 = """\
organizations:
  - alias: acme
    name: Acme Corporation
    enabled: false
    domains:
      - name: acme.test
        verified: true
    attributes: {tier: [gold, platinum]}
    identityProviders: [other-sso]
    members: [ann, ben]
"""


def orgs(admin: RealmAdmin) -> dict[str, Any]:
    admin.forget()
    return admin.collection(ep.ORGANIZATIONS)


def test_organizations_are_created_updated_and_pruned(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    if version_tuple(keycloak.version) < (26,):
        path.write_text(spec(realm, ACME))
        refused = kcconf("apply", "--auto-approve", str(path))
        assert refused.code != 0
        assert f"this server runs {keycloak.version}" in refused.err, refused.err
        assert "organizations need Keycloak 26 or later" in refused.err, refused.err
        assert realm not in {r["realm"] for r in keycloak.api().get("")}  # nothing written
        return
    path.write_text(spec(realm, ACME))
    planned = kcconf("plan", str(path))
    assert "+ organization acme\n" in planned.out, planned.out
    apply_spec(kcconf, path, path.read_text())
    acme = orgs(index)["acme"]
    assert acme["name"] == "Acme Inc"
    assert sorted((d["name"], d["verified"]) for d in acme["domains"]) == [
        ("acme.example", True),
        ("acme.test", False),
    ]
    assert acme["attributes"]["tier"] == ["gold"]
    links = ep.ORGANIZATION_IDPS.list(index, acme["id"])
    assert [idp["alias"] for idp in links] == ["acme-sso"]
    assert [m["username"] for m in ep.ORGANIZATION_MEMBERS.list(index, acme["id"])] == ["ann"]
    assert_in_sync(kcconf, path)

    # Changed in place; `temp` dropped without prune stays, then goes under prune.
    path.write_text(spec(realm, ACME_2))
    planned = kcconf("plan", str(path))
    assert '    name: "Acme Inc" -> "Acme Corporation"\n' in planned.out, planned.out
    assert "- organization" not in planned.out, planned.out
    apply_spec(kcconf, path, path.read_text())
    acme = orgs(index)["acme"]
    assert (acme["name"], acme["enabled"]) == ("Acme Corporation", False)
    assert [(d["name"], d["verified"]) for d in acme["domains"]] == [("acme.test", True)]
    assert sorted(acme["attributes"]["tier"]) == ["gold", "platinum"]
    links = ep.ORGANIZATION_IDPS.list(index, acme["id"])
    assert [idp["alias"] for idp in links] == ["other-sso"]
    members = ep.ORGANIZATION_MEMBERS.list(index, acme["id"])
    assert sorted(m["username"] for m in members) == ["ann", "ben"]
    assert "temp" in orgs(index)
    assert_in_sync(kcconf, path)

    pruned = "prune:\n  organizations: created\n" + spec(realm, ACME_2)
    path.write_text(pruned)
    planned = kcconf("plan", str(path))
    assert "- organization temp\n" in planned.out, planned.out
    apply_spec(kcconf, path, pruned)
    assert set(orgs(index)) == {"acme"}
    assert_in_sync(kcconf, path)

    # Exported (the partial export has no organizations: kcconf reads them), it changes nothing.
    exported = tmp_path / "exported.yaml"
    done = kcconf("export", "--realm", realm, "--users", "all", "-o", str(exported))
    assert done.code == 0, done.err
    text = exported.read_text()
    assert "organizations:\n- alias: acme\n  name: Acme Corporation\n" in text, text
    assert "  members:\n  - ann\n  - ben\n" in text, text
    assert_in_sync(kcconf, exported)


def test_organizations_on_a_realm_that_has_them_off_are_refused(
    kcconf: Kcconf, keycloak: Target, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm))
    path.write_text(spec(realm, "organizations:\n  - alias: acme\n", enabled=""))
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code != 0
    if version_tuple(keycloak.version) < (26,):
        assert f"this server runs {keycloak.version}" in refused.err, refused.err
    else:
        assert "write realm.organizationsEnabled: true" in refused.err, refused.err
    index.forget()
    assert "ann" not in index.users()  # refused before anything was written
