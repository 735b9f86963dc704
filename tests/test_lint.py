import textwrap
from pathlib import Path

import pytest

from kcconf.errors import Location, SpecError
from kcconf.lint.findings import RULES, Finding, lint_document, lint_files
from kcconf.spec.yamlload import load_document
from tests.helpers import CLIENT_KEYS

ROOT = Path(__file__).resolve().parent.parent
RISKY = Path("tests/data/lint/risky.yaml")

# The fixes are written out here, not read from RULES, so that a changed fix fails a test.
FIX_KC000 = "(fix: write # kcconf-lint: ignore KC001 -- why this risk is acceptable here)"
FIX_KC001 = (
    "(fix: write fullScopeAllowed: false and map only the roles its tokens need under"
    " scopeMappings)"
)
FIX_KC002 = (
    "(fix: write fullScopeAllowed: false and map under scopeMappings.clientRoles only the"
    " realm-management roles its tokens need)"
)
FIX_KC003 = "(fix: list the exact redirect URIs the client uses, on hosts you control)"
FIX_KC004 = "(fix: list the exact callback URIs instead of every path of the host)"
FIX_KC005 = "(fix: use https; plain http is only fine for localhost and 127.0.0.1)"
FIX_KC006 = "(fix: write directAccessGrantsEnabled: false and log in with the code flow and PKCE)"
FIX_KC007 = "(fix: grant realm-management/impersonation only to the few users who need it, by name)"
FIX_KC008 = (
    "(fix: keep the secret out of the file: a ${vault.NAME} reference where Keycloak resolves"
    " one, or set it outside kcconf)"
)
KC006_STOREFRONT = (
    "public client 'storefront' enables direct access grants: anyone who knows its clientId"
    f" can trade a username and password for tokens {FIX_KC006}"
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Relative paths keep the findings short and exact: "spec.yaml:3:5: ...".
    monkeypatch.chdir(tmp_path)
    return Path()


def write(text: str, name: str = "spec.yaml") -> Path:
    path = Path(name)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lint(text: str, impersonation_limit: int = 3) -> list[str]:
    findings = lint_files([write(text)], impersonation_limit=impersonation_limit)
    return [str(finding) for finding in findings]


def users_with_impersonation(count: int) -> str:
    return "".join(
        f"  - username: mod{n}\n    clientRoles: {{realm-management: [impersonation]}}\n"
        for n in range(1, count + 1)
    )


# --- KC001 public client with full scope --------------------------------------------------------


def test_kc001_public_client_with_full_scope_written_or_left_to_the_default(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: spa
        publicClient: true
        fullScopeAllowed: true
      - clientId: mobile
        publicClient: true
    """
    assert lint(text) == [
        "spec.yaml:5:5: KC001 public client 'spa' has fullScopeAllowed: true, so its tokens"
        f" carry every role of the user {FIX_KC001}",
        "spec.yaml:7:5: KC001 public client 'mobile' does not write fullScopeAllowed"
        " (Keycloak's default is true), so its tokens carry every role of the user"
        f" {FIX_KC001}",
    ]


def test_kc001_not_for_a_limited_scope_or_a_confidential_client(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: spa
        publicClient: true
        fullScopeAllowed: false
      - clientId: backend
        publicClient: false
      - clientId: api
    """
    assert lint(text) == []


# --- KC002 realm-management roles through full scope --------------------------------------------


def test_kc002_full_scope_client_names_the_admin_users_and_their_roles(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: backend
        fullScopeAllowed: true
      - clientId: reports
        standardFlowEnabled: true
    users:
      - username: moderator
        clientRoles:
          realm-management: [impersonation]
      - username: alice
        clientRoles: {account: [view-profile]}
      - username: ops
        clientRoles:
          realm-management: [manage-users, view-users]
    """
    admins = "moderator (impersonation), ops (manage-users, view-users)"
    assert lint(text) == [
        "spec.yaml:4:5: KC002 client 'backend' has fullScopeAllowed: true, so its tokens carry"
        f" the realm-management roles of {admins} {FIX_KC002}",
        "spec.yaml:5:5: KC002 client 'reports' does not write fullScopeAllowed (Keycloak's"
        " default is true), so its tokens carry the realm-management roles of"
        f" {admins} {FIX_KC002}",
    ]


def test_kc002_not_without_admin_users_or_with_scope_limited(here: Path) -> None:
    limited = """\
    realm: {name: demo}
    clients:
      - clientId: backend
        fullScopeAllowed: false
        scopeMappings: {clientRoles: {realm-management: [impersonation]}}
      - clientId: resource-server
        bearerOnly: true
    users:
      - username: moderator
        clientRoles: {realm-management: [impersonation]}
    """
    no_admins = """\
    realm: {name: demo}
    clients:
      - clientId: backend
    users:
      - username: alice
        clientRoles: {realm-management: []}
    """
    assert lint(limited) == []
    assert lint(no_admins) == []


# --- KC003, KC004, KC005 redirect URIs ----------------------------------------------------------


def test_kc003_any_wildcard_but_a_trailing_path_one(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: web
        fullScopeAllowed: false
        redirectUris:
          - "*"
          - https://*.example.com/callback
          - https://app.example.com*
          - https://*
    """
    said = "is a wildcard beyond one host's path: codes and tokens may go to other hosts"
    assert lint(text) == [
        f"spec.yaml:6:9: KC003 client 'web' redirect URI '*' {said} {FIX_KC003}",
        "spec.yaml:7:9: KC003 client 'web' redirect URI 'https://*.example.com/callback'"
        f" {said} {FIX_KC003}",
        "spec.yaml:8:9: KC003 client 'web' redirect URI 'https://app.example.com*'"
        f" {said} {FIX_KC003}",
        f"spec.yaml:9:9: KC003 client 'web' redirect URI 'https://*' {said} {FIX_KC003}",
    ]


def test_kc004_a_trailing_path_wildcard_is_a_warning(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: web
        fullScopeAllowed: false
        redirectUris: [https://app.example.com/*, /*, https://app.example.com/callback]
    """
    findings = lint_files([write(text)])
    assert [str(finding) for finding in findings] == [
        "spec.yaml:5:20: KC004 client 'web' redirect URI 'https://app.example.com/*' accepts"
        f" every path of its host {FIX_KC004}",
        f"spec.yaml:5:47: KC004 client 'web' redirect URI '/*' accepts every path of its host"
        f" {FIX_KC004}",
    ]
    assert {finding.severity for finding in findings} == {"warning"}


def test_kc005_plain_http_off_localhost_also_through_root_url(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: web
        fullScopeAllowed: false
        rootUrl: http://app.example.com
        redirectUris:
          - http://app.example.com/callback
          - /callback
    """
    tail = f"codes and tokens travel unencrypted {FIX_KC005}"
    assert lint(text) == [
        "spec.yaml:7:9: KC005 client 'web' redirect URI 'http://app.example.com/callback' is"
        f" plain http: {tail}",
        "spec.yaml:8:9: KC005 client 'web' redirect URI '/callback' is plain http through"
        f" rootUrl 'http://app.example.com': {tail}",
    ]


def test_kc005_not_for_https_or_localhost(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: web
        fullScopeAllowed: false
        rootUrl: https://app.example.com
        redirectUris:
          - https://app.example.com/callback
          - /callback
          - http://localhost:3000/callback
          - http://127.0.0.1:8080/callback
          - HTTP://LOCALHOST/cb
          - com.example.app:/oauth2redirect
    """
    assert lint(text) == []


# --- KC006 direct access grants on a public client ----------------------------------------------


def test_kc006_password_grant_on_a_public_client(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: storefront
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: true
    """
    assert lint(text) == [f"spec.yaml:6:5: KC006 {KC006_STOREFRONT}"]


def test_kc006_not_for_a_confidential_client_or_with_the_grant_off(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      - clientId: backend
        publicClient: false
        fullScopeAllowed: false
        directAccessGrantsEnabled: true
      - clientId: storefront
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: false
    """
    assert lint(text) == []


# --- KC007 impersonation held by many -----------------------------------------------------------


def test_kc007_more_than_three_direct_holders_each_reported(here: Path) -> None:
    text = "realm: {name: demo}\nusers:\n" + users_with_impersonation(4)
    assert lint(text) == [
        f"spec.yaml:{line}:38: KC007 user 'mod{n}' holds realm-management/impersonation"
        f" directly, one of 4 users who do (more than 3) {FIX_KC007}"
        for n, line in zip(range(1, 5), (4, 6, 8, 10), strict=True)
    ]


def test_kc007_not_for_three_direct_holders_and_the_limit_is_an_option(here: Path) -> None:
    text = "realm: {name: demo}\nusers:\n" + users_with_impersonation(3)
    assert lint(text) == []
    assert lint(text, impersonation_limit=2)[0] == (
        "spec.yaml:4:38: KC007 user 'mod1' holds realm-management/impersonation directly,"
        f" one of 3 users who do (more than 2) {FIX_KC007}"
    )


def test_kc007_impersonation_in_the_default_roles_reaches_every_user(here: Path) -> None:
    text = """\
    realm: {name: Demo}
    roles:
      - name: default-roles-demo
        composites:
          realmRoles: [helpers]
          clientRoles:
            realm-management: [view-users, impersonation]
      - name: helpers
        composites: {clientRoles: {realm-management: [impersonation]}}
    """
    assert lint(text) == [
        "spec.yaml:7:40: KC007 realm role 'default-roles-demo' includes"
        " realm-management/impersonation, and every user of the realm gets default-roles-demo"
        f" {FIX_KC007}",
        "spec.yaml:9:51: KC007 realm role 'helpers' includes realm-management/impersonation"
        f" and is in default-roles-demo, which every user of the realm gets {FIX_KC007}",
    ]


def test_kc007_a_role_with_impersonation_held_by_many_through_composites(here: Path) -> None:
    text = """\
    realm: {name: demo}
    roles:
      - name: support
        composites: {clientRoles: {realm-management: [impersonation]}}
      - name: senior-support
        composites: {realmRoles: [support]}
      - name: small-team
        composites: {clientRoles: {realm-management: [impersonation]}}
    users:
      - {username: ann, realmRoles: [support]}
      - {username: bob, realmRoles: [senior-support]}
      - {username: cem, realmRoles: [support, senior-support]}
      - {username: dee, realmRoles: [senior-support, small-team]}
    """
    assert lint(text) == [
        "spec.yaml:4:51: KC007 realm role 'support' includes realm-management/impersonation"
        f" and 4 users hold it (more than 3): ann, bob, cem, dee {FIX_KC007}",
    ]


# --- KC008 secrets written literally ------------------------------------------------------------


def test_kc008_secret_looking_attributes_and_smtp_settings(here: Path) -> None:
    text = """\
    realm:
      name: demo
      attributes: {acme.apiKey: abc123def}
      smtpServer:
        host: smtp.example.com
        authTokenClientSecret: s3cr3t-value
    clients:
      - clientId: saml-app
        fullScopeAllowed: false
        attributes:
          saml.signing.private.key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
          Client.Credentials.Password: pa55word
    """
    tail = f"looks like a secret and its value is written in the file {FIX_KC008}"
    assert lint(text) == [
        f"spec.yaml:3:16: KC008 realm attribute 'acme.apiKey' {tail}",
        f"spec.yaml:6:5: KC008 smtpServer setting 'authTokenClientSecret' {tail}",
        f"spec.yaml:11:7: KC008 client 'saml-app' attribute 'saml.signing.private.key' {tail}",
        f"spec.yaml:12:7: KC008 client 'saml-app' attribute 'Client.Credentials.Password' {tail}",
    ]


def test_kc008_not_for_settings_about_tokens_flags_numbers_or_vault(here: Path) -> None:
    text = """\
    realm:
      name: demo
      attributes:
        actionTokenGeneratedByUserLifespan: "300"
        smtp.password: ${vault.smtp_password}
      smtpServer:
        authTokenUrl: https://login.example.com/token
        authTokenClientId: mailer
        password: {env: SMTP_PASSWORD}
    clients:
      - clientId: app
        fullScopeAllowed: false
        attributes:
          access.token.lifespan: "300"
          use.refresh.tokens: "true"
          tls.client.certificate.bound.access.tokens: false
          client.secret.creation.time: 1700000000
          access.token.signed.response.alg: RS256
          jwt.credential.certificate: MIIC-public-certificate
          jwt.credential.public.key: MIIB-public-key
    """
    assert lint(text) == []


# --- silencing ----------------------------------------------------------------------------------


SILENCED = """\
realm: {name: demo}
clients:
  # kcconf-lint: ignore KC006 -- the demo logs in with the password grant
  - clientId: storefront
    publicClient: true
    fullScopeAllowed: false
    directAccessGrantsEnabled: true
  - clientId: kiosk
    publicClient: true
    fullScopeAllowed: false
    directAccessGrantsEnabled: true  # kcconf-lint: ignore KC001, KC006 -- a locked-down kiosk
"""


def test_a_silence_with_a_reason_above_the_object_or_on_the_key_line(here: Path) -> None:
    assert lint(SILENCED) == []


def test_silenced_findings_are_returned_with_their_reason_on_request(here: Path) -> None:
    findings = lint_files([write(SILENCED)], show_silenced=True)
    assert [f.silenced_reason for f in findings] == [
        "the demo logs in with the password grant",
        "a locked-down kiosk",
    ]
    assert str(findings[0]) == (
        "spec.yaml:7:5: KC006 public client 'storefront' enables direct access grants: anyone"
        " who knows its clientId can trade a username and password for tokens"
        f" {FIX_KC006} [silenced: the demo logs in with the password grant]"
    )


def test_a_silence_without_a_reason_or_rule_silences_nothing_and_is_kc000(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      # kcconf-lint: ignore KC006
      - clientId: storefront
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: true  # kcconf-lint: ignore KC006 --
      # kcconf-lint: ignore -- everything is fine
      - clientId: backend
    """
    assert lint(text) == [
        "spec.yaml:3:3: KC000 silenced without a reason: '# kcconf-lint: ignore KC006'"
        f" silences nothing {FIX_KC000}",
        f"spec.yaml:7:5: KC006 {KC006_STOREFRONT}",
        "spec.yaml:7:38: KC000 silenced without a reason: '# kcconf-lint: ignore KC006 --'"
        f" silences nothing {FIX_KC000}",
        "spec.yaml:8:3: KC000 silenced without a rule id: '# kcconf-lint: ignore --"
        f" everything is fine' silences nothing {FIX_KC000}",
    ]


def test_findings_carry_the_key_path_they_were_found_at(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      # kcconf-lint: ignore KC006
      - clientId: storefront
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: true
        redirectUris: [https://app.example.com/*]
    """
    assert [(f.rule, f.keypath) for f in lint_files([write(text)])] == [
        ("KC000", ("clients", 0)),
        ("KC006", ("clients", 0, "directAccessGrantsEnabled")),
        ("KC004", ("clients", 0, "redirectUris", 0)),
    ]


def test_a_silence_applies_only_to_its_rules_and_its_object(here: Path) -> None:
    text = """\
    realm: {name: demo}
    clients:
      # kcconf-lint: ignore KC001 -- another rule than the one found

      - clientId: storefront
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: true
      - clientId: kiosk  # kcconf-lint: ignore KC006 -- only the kiosk is silenced
        publicClient: true
        fullScopeAllowed: false
        directAccessGrantsEnabled: true
    """
    assert lint(text) == [f"spec.yaml:8:5: KC006 {KC006_STOREFRONT}"]


# --- several files, load and schema problems ----------------------------------------------------


def test_several_findings_in_one_file_sorted_by_line_and_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    admins = "moderator (impersonation, view-users)"
    tail = f"looks like a secret and its value is written in the file {FIX_KC008}"
    wildcard = "is a wildcard beyond one host's path: codes and tokens may go to other hosts"
    assert [str(finding) for finding in lint_files([RISKY])] == [
        f"{RISKY}:6:5: KC008 realm attribute 'acme.api.key' {tail}",
        f"{RISKY}:10:5: KC008 smtpServer setting 'authTokenClientSecret' {tail}",
        f"{RISKY}:16:28: KC007 realm role 'default-roles-shop' includes"
        " realm-management/impersonation, and every user of the realm gets default-roles-shop"
        f" {FIX_KC007}",
        f"{RISKY}:19:5: KC002 client 'storefront' does not write fullScopeAllowed (Keycloak's"
        f" default is true), so its tokens carry the realm-management roles of {admins}"
        f" {FIX_KC002}",
        f"{RISKY}:20:5: KC001 public client 'storefront' does not write fullScopeAllowed"
        " (Keycloak's default is true), so its tokens carry every role of the user"
        f" {FIX_KC001}",
        f"{RISKY}:21:5: KC006 {KC006_STOREFRONT}",
        f"{RISKY}:23:9: KC003 client 'storefront' redirect URI '*' {wildcard} {FIX_KC003}",
        f"{RISKY}:24:9: KC003 client 'storefront' redirect URI 'https://*.example.com/callback'"
        f" {wildcard} {FIX_KC003}",
        f"{RISKY}:25:9: KC004 client 'storefront' redirect URI 'https://shop.example.com/*'"
        f" accepts every path of its host {FIX_KC004}",
        f"{RISKY}:26:9: KC005 client 'storefront' redirect URI"
        " 'http://shop.example.com/callback' is plain http: codes and tokens travel unencrypted"
        f" {FIX_KC005}",
        f"{RISKY}:30:5: KC002 client 'orders-api' has fullScopeAllowed: true, so its tokens"
        f" carry the realm-management roles of {admins} {FIX_KC002}",
        f"{RISKY}:33:7: KC008 client 'orders-api' attribute 'saml.signing.private.key' {tail}",
    ]


def test_findings_of_several_files_are_sorted_by_file(here: Path) -> None:
    spec = "realm: {name: demo}\nclients:\n  - {clientId: spa, publicClient: true}\n"
    b, a = write(spec, "b.yaml"), write(spec, "a.yaml")
    message = (
        "KC001 public client 'spa' does not write fullScopeAllowed (Keycloak's default is true),"
        f" so its tokens carry every role of the user {FIX_KC001}"
    )
    assert [str(f) for f in lint_files([b, a])] == [
        f"a.yaml:3:21: {message}",
        f"b.yaml:3:21: {message}",
    ]


def test_schema_and_load_problems_of_every_file_raise_spec_error(here: Path) -> None:
    bad_schema = write("realm: {name: demo}\nclients:\n  - clientID: app\n", "schema.yaml")
    bad_yaml = write("realm: [\n", "broken.yaml")
    fine = write("realm: {name: demo}\nclients:\n  - {clientId: spa, publicClient: true}\n")
    with pytest.raises(SpecError) as raised:
        lint_files([fine, bad_schema, bad_yaml])
    assert [str(problem) for problem in raised.value.problems] == [
        "broken.yaml:2:1: (top level): invalid YAML: expected the node content, but found"
        " '<stream end>' (while parsing a flow node that starts on line 2)",
        "schema.yaml:3:5: clients[0]: missing required key 'clientId'",
        "schema.yaml:3:5: clients[0].clientID: unknown key 'clientID' (did you mean"
        f" 'clientId'?); allowed keys: {CLIENT_KEYS}",
    ]


def test_references_to_roles_made_elsewhere_do_not_stop_the_lint(here: Path) -> None:
    text = """\
    realm: {name: demo}
    users:
      - username: ann
        realmRoles: [made-in-the-console]
    """
    assert lint(text) == []


# --- the API around the findings ----------------------------------------------------------------


def test_lint_document_reads_the_comments_from_the_file_itself(here: Path) -> None:
    doc = load_document(write(SILENCED))
    assert lint_document(doc) == []
    assert [f.rule for f in lint_document(doc, text="")] == ["KC006", "KC006"]


def test_a_finding_prints_as_file_line_column_rule_message_and_fix() -> None:
    finding = Finding("KC004", Location("a.yaml", 3, 7), ("clients", 0), "says why", "do this")
    assert str(finding) == "a.yaml:3:7: KC004 says why (fix: do this)"
    assert finding.severity == "warning"
    assert sorted(RULES) == [f"KC00{n}" for n in range(10)]
    assert [r.id for r in RULES.values() if r.severity == "warning"] == ["KC004"]


def test_the_example_realm_silences_its_password_grant_finding_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo logs the moderator in with the password grant on a public client, so KC006 is
    # real there; the file silences it with the reason, on the line above the key.
    monkeypatch.chdir(ROOT)
    example = Path("realms/minimal-token-impersonation.yaml")
    assert lint_files([example]) == []
    assert [str(finding) for finding in lint_files([example], show_silenced=True)] == [
        "realms/minimal-token-impersonation.yaml:23:5: KC006 public client 'our-public-client'"
        " enables direct access grants: anyone who knows its clientId can trade a username and"
        f" password for tokens {FIX_KC006} [silenced: the demo logs the moderator in with the"
        " password grant; use the code flow with PKCE in production]",
    ]
