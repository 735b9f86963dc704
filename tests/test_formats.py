"""Plans for pipelines and reviewers, against a real Keycloak: the three formats of one plan
with a create, an update and a delete; saved plans applied exactly or refused when stale; many
realms in one report; and no planted secret in any output."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from kcconf.cli import session
from kcconf.errors import KeycloakError
from kcconf.keycloak.admin import RealmAdmin
from tests.conftest import Target
from tests.helpers import ROOT, Run, assert_no_canary, realm_spec

Kcconf = Callable[..., Run]

BEFORE = """\
clients:
  - clientId: keep
  - clientId: change-me
    description: Old words
  - clientId: drop-me
"""
AFTER = """\
prune: {clients: created}
clients:
  - clientId: keep
  - clientId: change-me
    description: New words
    redirectUris: [https://app.example.com/*]
  - clientId: new-one
    publicClient: true
"""


@pytest.fixture
def changed(kcconf: Kcconf, realm: str, tmp_path: Path) -> Path:
    """A realm made from BEFORE, and a spec (AFTER) that adds, changes and deletes a client."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, BEFORE))
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    spec.write_text(realm_spec(realm, AFTER))
    return spec


def test_the_text_plan(kcconf: Kcconf, changed: Path) -> None:
    planned = kcconf("plan", str(changed))
    assert (planned.code, planned.out) == (
        2,
        "- client drop-me\n"
        "~ client change-me\n"
        '    description: "Old words" -> "New words"\n'
        "    redirectUris: + https://app.example.com/*\n"
        "+ client new-one\n"
        "    publicClient: true\n"
        "note: client drop-me is deleted and new-one created: if that is a rename, write "
        "renamedFrom on the new one to keep its id, secret and mappings\n"
        "Plan: 1 to add, 1 to change, 1 to delete.\n",
    )


def test_the_json_plan_follows_its_schema(kcconf: Kcconf, changed: Path, realm: str) -> None:
    planned = kcconf("plan", "--format", "json", str(changed))
    assert planned.code == 2
    doc = json.loads(planned.out)  # stdout holds the document alone; progress went to stderr
    schema = json.loads((ROOT / "docs" / "plan-format.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["summary"] == {"add": 1, "change": 1, "delete": 1}
    (only,) = doc["realms"]
    assert (only["realm"], only["exists"], only["unmanaged"]) == (realm, True, {})
    assert only["notes"] == [
        "client drop-me is deleted and new-one created: if that is a rename, write renamedFrom "
        "on the new one to keep its id, secret and mappings"
    ]
    assert [(c["address"], c["action"]) for c in only["changes"]] == [
        ("client drop-me", "delete"),
        ("client change-me", "update"),
        ("client new-one", "create"),
    ]
    assert only["changes"][1]["fields"][0] == {
        "name": "description",
        "sensitive": False,
        "before": "Old words",
        "after": "New words",
    }


def test_the_markdown_plan(kcconf: Kcconf, changed: Path, realm: str) -> None:
    planned = kcconf("plan", "--format", "markdown", str(changed))
    assert (planned.code, planned.out) == (
        2,
        "### kcconf plan\n\n"
        "| realm | add | change | delete |\n"
        "|---|---:|---:|---:|\n"
        f"| `{realm}` | 1 | 1 | 1 |\n\n"
        "**Deletions** (these objects will be removed from Keycloak):\n\n"
        f"- :warning: `client drop-me` in realm `{realm}`\n\n"
        f"<details><summary>Realm <code>{realm}</code>: 3 object(s) change</summary>\n\n"
        "```diff\n"
        "- client drop-me\n"
        "~ client change-me\n"
        '    description: "Old words" -> "New words"\n'
        "    redirectUris: + https://app.example.com/*\n"
        "+ client new-one\n"
        "    publicClient: true\n"
        "note: client drop-me is deleted and new-one created: if that is a rename, write "
        "renamedFrom on the new one to keep its id, secret and mappings\n"
        "Plan: 1 to add, 1 to change, 1 to delete.\n"
        "```\n\n"
        "</details>\n",
    )


def test_a_saved_plan_is_applied_exactly(
    kcconf: Kcconf, changed: Path, index: RealmAdmin, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert kcconf("plan", "--out", str(saved), str(changed)).code == 2
    applied = kcconf("apply", str(saved))  # no --auto-approve: the saved plan was reviewed
    assert applied.code == 0, applied.err
    assert set(index.clients()) >= {"keep", "change-me", "new-one"}
    assert "drop-me" not in index.clients()
    assert kcconf("plan", str(changed)).code == 0


def test_a_saved_plan_is_refused_when_the_realm_changed_since(
    kcconf: Kcconf, changed: Path, index: RealmAdmin, tmp_path: Path, realm: str
) -> None:
    saved = tmp_path / "plan.json"
    assert kcconf("plan", "--out", str(saved), str(changed)).code == 2
    change_me = index.clients()["change-me"]
    index.api.put(index.path("clients", change_me["id"]), {**change_me, "description": "Edited"})
    refused = kcconf("apply", str(saved))
    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        f"error: not applying the saved plan: changed in Keycloak since it was made: "
        f"client change-me in realm {realm}; make a new plan"
    )
    index.forget()
    assert "drop-me" in index.clients()  # nothing was applied
    assert "new-one" not in index.clients()


def test_a_saved_plan_is_refused_when_a_spec_changed_since(
    kcconf: Kcconf, changed: Path, index: RealmAdmin, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert kcconf("plan", "--out", str(saved), str(changed)).code == 2
    changed.write_text(changed.read_text().replace("New words", "Newer words"))
    refused = kcconf("apply", str(saved))
    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        f"error: not applying the saved plan: spec file(s) changed since it was made: "
        f"{changed}; make a new plan"
    )
    assert "drop-me" in index.clients()


def test_apply_refuses_without_a_terminal_or_auto_approve(
    kcconf: Kcconf, changed: Path, index: RealmAdmin
) -> None:
    refused = kcconf("apply", str(changed))
    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        "error: not applying: no terminal to confirm on; review the plan and pass --auto-approve"
    )
    assert "drop-me" in index.clients()


def test_many_realms_in_one_report(
    kcconf: Kcconf, realm: str, keycloak: Target, tmp_path: Path
) -> None:
    other = f"{realm}-b"
    folder = tmp_path / "realms"
    (folder / "team").mkdir(parents=True)
    (folder / "a.yaml").write_text(realm_spec(realm, "clients:\n  - clientId: one\n"))
    (folder / "team" / "b.yml").write_text(realm_spec(other, "clients:\n  - clientId: two\n"))
    try:
        planned = kcconf("plan", "--quiet", str(folder))
        assert (planned.code, planned.err) == (2, "")
        assert planned.out.startswith(f"Realm {realm}:\n+ realm {realm}\n")
        assert f"\nRealm {other}:\n+ realm {other}\n" in planned.out
        assert planned.out.endswith("Total: 4 to add, 0 to change, 0 to delete in 2 realms.\n")
        one = kcconf("apply", "--auto-approve", "--realm", other, str(folder))
        assert one.code == 0
        after = kcconf("plan", str(folder))
        assert "No changes: realm " + other in after.out
        assert f"+ realm {realm}" in after.out
    finally:
        with contextlib.suppress(KeycloakError):
            keycloak.api().delete(other)


def test_planted_secrets_appear_in_no_output(
    kcconf: Kcconf, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET", "canary-app-secret-1")
    monkeypatch.setenv("ANN_PASSWORD", "canary-ann-password")
    monkeypatch.setenv("SMTP_PASSWORD", "canary-smtp-password")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        realm_spec(
            realm,
            (
                "  smtpServer: {host: localhost, port: '25', from: kc@example.com, auth: 'true',"
                " user: kc, password: {env: SMTP_PASSWORD}}\n"
                "clients:\n  - clientId: app\n    publicClient: false\n"
                "    secret: {env: APP_SECRET}\n"
                "users:\n  - username: ann\n    password: {env: ANN_PASSWORD}\n"
            ),
        )
    )
    for fmt in ("text", "json", "markdown"):
        assert kcconf("plan", "--format", fmt, str(spec)).code == 2
    created = kcconf("apply", "--auto-approve", str(spec))
    assert "    secret: (sensitive)\n" in created.out
    assert "    smtpServer.password: (sensitive)\n" in created.out
    monkeypatch.setenv("APP_SECRET", "canary-app-secret-2")
    saved = tmp_path / "plan.json"
    assert kcconf("plan", "--format", "json", "--out", str(saved), str(spec)).code == 2
    assert_no_canary("the saved plan", saved.read_text())

    # A bug that put a secret into an exception is still scrubbed from the report.
    def leak(*_args: object) -> None:
        raise RuntimeError("boom canary-app-secret-2")

    monkeypatch.setattr(session, "apply_plan", leak)
    crashed = kcconf("apply", "--auto-approve", str(spec))
    assert crashed.code == 3
    assert "RuntimeError: boom (sensitive)" in crashed.err


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, holding what the person types."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code"), [("no\n", 1), ("yes\n", 0)])
def test_apply_asks_on_a_terminal_and_applies_only_on_yes(
    kcconf: Kcconf,
    changed: Path,
    index: RealmAdmin,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    asked = kcconf("apply", str(changed))
    assert asked.code == code, asked.err
    assert "Apply these changes to realm " in asked.out + asked.err
    index.forget()
    assert ("drop-me" in index.clients()) is (answer == "no\n")
