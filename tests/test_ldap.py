"""User federation against a real Keycloak and a real OpenLDAP (tests/slapd.py): an LDAP
provider and its mappers created, users synced and logging in with their LDAP passwords, the
provider changed in place keeping its users, a changed providerId refused, a deletion that would
take users along counted and refused without --allow-deletes, the bind credential never shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kcconf.adopt.baseline import stored
from kcconf.adopt.convert import convert
from kcconf.adopt.render import render
from kcconf.errors import KeycloakError
from kcconf.keycloak import oidc
from kcconf.keycloak.admin import RealmAdmin
from tests import slapd
from tests.conftest import Target
from tests.helpers import CANARY, Run, apply_spec, assert_in_sync, realm_spec, run_cli

Kcconf = Callable[..., Run]
SECRET_ENV = "TEST_LDAP_BIND"


def spec(
    realm: str, server: slapd.Slapd, extra_config: str = "", provider: str = "ldap", tail: str = ""
) -> str:
    return realm_spec(
        realm,
        "clients:\n"
        "  - clientId: cli\n    publicClient: true\n    directAccessGrantsEnabled: true\n"
        "userFederation:\n"
        "  - name: corp-ldap\n"
        f"    providerId: {provider}\n"
        f"    bindCredential: {{env: {SECRET_ENV}}}\n"
        "    config:\n"
        "      enabled: true\n"
        "      vendor: other\n"
        f"      connectionUrl: {server.url}\n"
        f"      usersDn: {slapd.PEOPLE}\n"
        f"      bindDn: {server.bind_dn}\n"
        "      authType: simple\n"
        "      editMode: READ_ONLY\n"
        "      usernameLDAPAttribute: uid\n"
        "      rdnLDAPAttribute: uid\n"
        "      uuidLDAPAttribute: entryUUID\n"
        "      userObjectClasses: inetOrgPerson, organizationalPerson\n"
        "      importEnabled: true\n"
        "      batchSizeForSync: 1000\n"
        f"{extra_config}"
        "    mappers:\n"
        # Keycloak makes `first name` (from cn) with the provider: the spec's one, from
        # givenName, updates it in place.
        "      - name: first name\n"
        "        providerId: user-attribute-ldap-mapper\n"
        "        config:\n"
        "          ldap.attribute: givenName\n"
        "          user.model.attribute: firstName\n"
        "          read.only: true\n"
        "          always.read.value.from.ldap: true\n"
        "          is.mandatory.in.ldap: true\n"
        "      - name: developers\n"
        "        providerId: group-ldap-mapper\n"
        "        config:\n"
        f"          groups.dn: {slapd.GROUPS}\n"
        "          group.name.ldap.attribute: cn\n"
        "          group.object.classes: groupOfNames\n"
        "          membership.ldap.attribute: member\n"
        "          membership.attribute.type: DN\n"
        "          mode: READ_ONLY\n"
        "          preserve.group.inheritance: false\n"
        f"{tail}",
    )


def provider_of(admin: RealmAdmin, name: str = "corp-ldap") -> dict[str, Any]:
    found = [c for c in providers(admin) if c["providerId"] == "ldap"]
    assert [c["name"] for c in found] == [name]
    return dict(found[0])


def providers(admin: RealmAdmin) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = admin.api.get(
        admin.path("components"), type="org.keycloak.storage.UserStorageProvider"
    )
    return found


def full_sync(admin: RealmAdmin, provider_id: str) -> dict[str, Any]:
    result: dict[str, Any] = admin.api.post_json(
        admin.path(f"user-storage/{provider_id}/sync?action=triggerFullSync")
    )
    assert result["failed"] == 0, result
    return result


def binds(admin: RealmAdmin, provider_id: str, bind_dn: str) -> bool:
    """Whether the provider's stored credential binds as `bind_dn` (Keycloak's connection test,
    which takes the stored credential when sent the masked one)."""
    provider = admin.api.get(admin.path("components", provider_id))
    body = {
        "action": "testAuthentication",
        "componentId": provider_id,
        "connectionUrl": provider["config"]["connectionUrl"][0],
        "bindDn": bind_dn,
        "bindCredential": "**********",
        "authType": "simple",
    }
    try:
        admin.api.post_json(admin.path("testLDAPConnection"), body)
    except KeycloakError:
        return False
    return True


def ldap_users(admin: RealmAdmin, provider_id: str) -> dict[str, dict[str, Any]]:
    users = admin.api.get(admin.path("users"), briefRepresentation="false", max=100)
    return {u["username"]: u for u in users if u.get("federationLink") == provider_id}


def test_ldap_federation_syncs_users_and_changes_in_place(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    ldap_server: slapd.Slapd,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, ldap_server.bind_password)
    path = tmp_path / "spec.yaml"
    path.write_text(spec(realm, ldap_server))
    planned = kcconf("plan", str(path))
    assert "+ user-federation corp-ldap\n" in planned.out
    assert "    config.bindCredential: (sensitive)\n" in planned.out
    apply_spec(kcconf, path, spec(realm, ldap_server))
    provider = provider_of(index)
    assert provider["config"]["bindCredential"] == ["**********"]
    assert provider["config"]["batchSizeForSync"] == ["1000"]
    synced = full_sync(index, provider["id"])
    assert synced["added"] + synced["updated"] == 3, synced

    users = ldap_users(index, provider["id"])
    assert sorted(users) == sorted(slapd.PEOPLE_SEED)
    assert users["alice"]["firstName"] == "Alice"  # the spec's first name mapper: givenName
    login = oidc.password_grant(keycloak.url, realm, "cli", "alice", "alice-ldap-pw")
    assert login.status == 200, login.body
    assert login.claims["preferred_username"] == "alice"
    wrong = oidc.password_grant(keycloak.url, realm, "cli", "alice", "not-her-password")
    # 401 up to 26.5, 400 on 26.7 (docs/keycloak-facts.md 20.7); invalid_grant on both.
    assert (wrong.status in (400, 401), wrong.body.get("error")) == (True, "invalid_grant")
    assert_in_sync(kcconf, path)

    # A config key changed in place: same provider, same users; the masked credential sent
    # back keeps the stored one, so the next sync still binds.
    changed = spec(realm, ldap_server, extra_config="      pagination: false\n")
    path.write_text(changed)
    planned = kcconf("plan", str(path))
    assert planned.code == 2
    assert planned.out.startswith(
        '~ user-federation corp-ldap\n    config.pagination: (unset) -> "false"\n'
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    ), planned.out
    apply_spec(kcconf, path, changed)
    assert provider_of(index)["id"] == provider["id"]
    assert full_sync(index, provider["id"])["updated"] == 3
    assert {n: u["id"] for n, u in ldap_users(index, provider["id"]).items()} == {
        n: u["id"] for n, u in users.items()
    }
    assert_in_sync(kcconf, path)

    # Keycloak shows the credential masked, so no plan sees it rotated: --reset-passwords
    # sends it. Here the provider moves to another account in the same write; only the new
    # credential binds as that account.
    rotated_spec = changed.replace(f"bindDn: {ldap_server.bind_dn}", f"bindDn: {slapd.READER_DN}")
    path.write_text(rotated_spec)
    assert binds(index, provider["id"], ldap_server.bind_dn)
    monkeypatch.setenv(SECRET_ENV, ldap_server.reader_password)
    rotated = kcconf("apply", "--auto-approve", "--reset-passwords", str(path))
    assert rotated.code == 0, rotated.err
    assert rotated.out.startswith(
        "~ user-federation corp-ldap\n"
        f'    config.bindDn: "{ldap_server.bind_dn}" -> "{slapd.READER_DN}"\n'
        "    config.bindCredential: (sensitive) changed\n"
    ), rotated.out
    assert binds(index, provider["id"], slapd.READER_DN)
    assert full_sync(index, provider["id"])["updated"] == 3
    assert_in_sync(kcconf, path)

    # Users imported from the provider are its own: a prune of users leaves them alone.
    path.write_text(rotated_spec + "prune:\n  users: all\n")
    planned = kcconf("plan", str(path))
    assert planned.out.startswith("No changes: realm "), planned.out

    # A changed providerId would be a new provider: refused at plan time, users counted.
    path.write_text(rotated_spec.replace("providerId: ldap", "providerId: kerberos"))
    refused = kcconf("plan", str(path))
    assert refused.code == 1
    assert "user federation 'corp-ldap' holds 3 user(s) imported from it" in refused.err
    assert "changing providerId from 'ldap' to 'kerberos'" in refused.err

    # Dropping a mapper under prune: all deletes it; dropping the provider needs its users
    # counted in the plan and --allow-deletes.
    gone = realm_spec(realm, "prune:\n  userFederation: all\n")
    path.write_text(gone)
    planned = kcconf("plan", str(path))
    assert "- user-federation corp-ldap\n" in planned.out
    assert (
        "note: user-federation corp-ldap holds 3 user(s) imported from it: Keycloak deletes "
        "them with it\n" in planned.out
    )
    refused = kcconf("apply", "--auto-approve", str(path))
    assert refused.code == 1
    assert "refusing to delete" in refused.err and "holds 3 user(s)" in refused.err
    assert provider_of(index)["id"] == provider["id"]
    deleted = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))
    assert deleted.code == 0, deleted.err
    left = index.api.get(index.path("users"), briefRepresentation="true", max=100)
    assert not {u["username"] for u in left} & set(slapd.PEOPLE_SEED)  # deleted, not unlinked
    assert_in_sync(kcconf, path)


def test_federation_mappers_are_exact_under_prune_all(
    kcconf: Kcconf,
    realm: str,
    index: RealmAdmin,
    ldap_server: slapd.Slapd,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, ldap_server.bind_password)
    path = apply_spec(kcconf, tmp_path / "spec.yaml", spec(realm, ldap_server))
    provider = provider_of(index)

    def mappers() -> set[str]:
        found = index.api.get(
            index.path("components"),
            type="org.keycloak.storage.ldap.mappers.LDAPStorageMapper",
            parent=provider["id"],
        )
        return {m["name"] for m in found}

    assert {"first name", "developers", "username", "email"} <= mappers()
    # Keycloak's other default mappers are left alone until prune says all. (Without its
    # username mapper a provider breaks the realm's user list: the spec keeps that one.)
    username = (
        "      - name: username\n        providerId: user-attribute-ldap-mapper\n"
        "        config: {ldap.attribute: uid, user.model.attribute: username}\n"
    )
    # A Kerberos provider beside it (Keycloak reaches no KDC to create one).
    kerberos = (
        "  - name: corp-kerberos\n    providerId: kerberos\n    config:\n"
        "      kerberosRealm: EXAMPLE.ORG\n"
        "      serverPrincipal: HTTP/sso.example.org@EXAMPLE.ORG\n"
        "      keyTab: /etc/krb5.keytab\n      allowPasswordAuthentication: false\n"
    )
    prune = "prune:\n  userFederationMappers: all\n"
    exact = spec(realm, ldap_server, tail=username + kerberos + prune)
    path.write_text(exact)
    planned = kcconf("plan", str(path))
    assert "- user-federation corp-ldap / user-federation-mapper email\n" in planned.out
    applied = kcconf("apply", "--auto-approve", "--allow-deletes", str(path))
    assert applied.code == 0, applied.err
    assert mappers() == {"first name", "developers", "username"}
    assert provider_of(index)["id"] == provider["id"]
    made = {c["name"]: c for c in providers(index)}["corp-kerberos"]
    assert made["config"]["kerberosRealm"] == ["EXAMPLE.ORG"]
    assert made["config"]["allowPasswordAuthentication"] == ["false"]
    assert_in_sync(kcconf, path)

    # A mapper's providerId is not changed in place either.
    path.write_text(
        exact.replace(
            "name: developers\n        providerId: group-ldap-mapper",
            "name: developers\n        providerId: role-ldap-mapper",
        )
    )
    refused = kcconf("plan", str(path))
    assert refused.code == 1
    assert (
        "user-federation corp-ldap / user-federation-mapper developers: changing providerId "
        "from 'group-ldap-mapper' to 'role-ldap-mapper' is not done in place" in refused.err
    )

    # A rename is made in place: same provider, same mappers.
    renamed = exact.replace(
        "  - name: corp-ldap\n", "  - name: corp-directory\n    renamedFrom: [corp-ldap]\n"
    )
    path.write_text(renamed)
    planned = kcconf("plan", str(path))
    assert planned.out.startswith(
        "~ user-federation corp-directory (renamed from corp-ldap)\n"
        '    name: "corp-ldap" -> "corp-directory"\n'
        "Plan: 0 to add, 1 to change, 0 to delete.\n"
    ), planned.out
    apply_spec(kcconf, path, renamed)
    assert provider_of(index, "corp-directory")["id"] == provider["id"]
    assert mappers() == {"first name", "developers", "username"}
    assert_in_sync(kcconf, path)


def test_the_bind_credential_comes_only_from_the_environment(
    tmp_path: Path, offline_here: None
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        realm_spec(
            "r",
            "userFederation:\n  - name: corp\n    providerId: ldap\n"
            "    config:\n      bindCredential: hunter2-in-the-file\n",
        )
    )
    checked = run_cli("validate", str(path))
    assert checked.code == 1
    assert "spec.yaml:8:7:" in checked.out + checked.err
    assert "write bindCredential: {env: NAME} beside config" in checked.out + checked.err
    assert "hunter2" not in checked.out + checked.err


def test_convert_writes_federation_with_mappers_and_leaves_its_users_to_it() -> None:
    baseline = stored()
    storage = "org.keycloak.storage.UserStorageProvider"
    mapper_type = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
    nested = {"name": "email", "providerId": "user-attribute-ldap-mapper", "config": {}}
    config = {"ldap.attribute": ["mail"], "user.model.attribute": ["email"]}
    export = {
        **baseline.for_realm("corp").realm,
        "components": {
            storage: [
                {
                    "id": "p1",
                    "name": "corp-ldap",
                    "providerId": "ldap",
                    "subComponents": {mapper_type: [{**nested, "config": config}]},
                    "config": {
                        "bindCredential": [f"{CANARY}bind"],
                        "lastSync": ["1745440869"],
                        "userObjectClasses": ["inetOrgPerson", "person"],
                        "pagination": ["false"],
                    },
                }
            ],
            mapper_type: [
                {"name": "groups", "providerId": "group-ldap-mapper", "parentId": "p1"},
                {"name": "elsewhere", "providerId": "group-ldap-mapper", "parentId": "p2"},
            ],
        },
        "users": [
            {"username": "alice", "federationLink": "p1", "enabled": True},
            {"username": "local", "enabled": True},
        ],
    }
    converted = convert(export, baseline)
    text = render(converted.spec, "convert", baseline.version)
    assert CANARY not in text
    assert converted.spec["userFederation"] == [
        {
            "name": "corp-ldap",
            "providerId": "ldap",
            "bindCredential": {"env": "FEDERATION_CORP_LDAP_BINDCREDENTIAL"},
            "config": {"pagination": "false", "userObjectClasses": ["inetOrgPerson", "person"]},
            "mappers": [
                {
                    "name": "email",
                    "providerId": "user-attribute-ldap-mapper",
                    "config": {"ldap.attribute": "mail", "user.model.attribute": "email"},
                },
                {"name": "groups", "providerId": "group-ldap-mapper"},
            ],
        }
    ]
    assert [u["username"] for u in converted.spec["users"]] == ["local"]
    skipped = {s.path: s.why for s in converted.report.skipped}
    assert "imported from user federation corp-ldap" in skipped["users[alice]"]
    orphan = f"components[{mapper_type}][elsewhere]"
    assert skipped.pop(orphan) == "a user federation mapper of no provider in the export"
    assert not any(p.startswith("components[") for p in skipped), skipped
