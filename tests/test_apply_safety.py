"""An apply writes only what it was asked to, leaves nothing half-made, deletes within its
limits, and says what it did when it stops. Against a real Keycloak."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kcconf import cli as kcconf_cli
from kcconf.keycloak.admin import RealmAdmin
from kcconf.keycloak.oidc import password_grant
from tests.conftest import Target
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec

Kcconf = Callable[..., Run]

SPEC = """\
  accessTokenLifespan: 600
clients:
  - clientId: app
    description: first
    publicClient: true
"""


def _by_hand(index: RealmAdmin, client: dict[str, object], realm: dict[str, object]) -> None:
    """Changes made in the admin console: a client's and the realm's fields the spec omits."""
    index.forget()
    rep = index.clients()["app"]
    index.api.put(index.path("clients", str(rep["id"])), {**rep, **client})
    index.api.put(index.path(""), {**index.api.get(index.path("")), **realm})


def test_a_change_made_while_the_prompt_waits_is_not_reverted(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm, SPEC))
    spec.write_text(
        realm_spec(
            realm, SPEC.replace("600", "900").replace("description: first", "description: second")
        )
    )
    hand_client = {"consentRequired": True, "standardFlowEnabled": False, "name": "By hand"}
    hand_realm = {"bruteForceProtected": True, "displayName": "By hand"}
    # The console change lands while kcconf waits for the operator's "yes".
    monkeypatch.setattr(
        kcconf_cli,
        "confirm",
        lambda realms: _by_hand(index, hand_client, hand_realm),
    )
    applied = kcconf("apply", str(spec))
    assert applied.code == 0, applied.err
    index.forget()
    app = index.clients()["app"]
    assert {k: app[k] for k in hand_client} == hand_client
    assert app["description"] == "second"
    live = index.api.get(index.path(""))
    assert {k: live[k] for k in hand_realm} == hand_realm
    assert live["accessTokenLifespan"] == 900
    assert_in_sync(kcconf, spec)


def test_a_field_the_plan_changes_that_was_changed_meanwhile_stops_the_apply(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm, SPEC))
    spec.write_text(realm_spec(realm, SPEC.replace("description: first", "description: second")))
    monkeypatch.setattr(
        kcconf_cli, "confirm", lambda realms: _by_hand(index, {"description": "hand"}, {})
    )
    applied = kcconf("apply", str(spec))
    assert applied.code == 1
    assert (
        "error: client app changed in Keycloak since the plan was made (description); "
        "not overwriting it: plan again"
    ) in applied.err.splitlines()
    index.forget()
    assert index.clients()["app"]["description"] == "hand"


def test_a_user_whose_password_the_policy_refuses_is_not_created(
    kcconf: Kcconf,
    keycloak: Target,
    realm: str,
    index: RealmAdmin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "canary-1")
    body = (
        "  passwordPolicy: length(16)\n"
        "users:\n  - username: bob\n    email: bob@example.com\n    firstName: Bob\n"
        "    lastName: B\n    password: {env: BOB_PASSWORD}\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, body))
    refused = kcconf("apply", "--auto-approve", str(spec))
    assert refused.code == 1
    # Keycloak's words: 26.x "Invalid password: minimum length 16.", 24.0.5 "Password policy
    # not met" (docs/keycloak-facts.md 7.9).
    assert "Invalid password: minimum length 16." in refused.err or (
        "400 to POST" in refused.err and "Password policy not met" in refused.err
    )
    assert "Not done: nothing." in refused.err and "Stopped in: creating user bob" in refused.err
    index.forget()
    assert "bob" not in index.users()  # nothing half-made: no user without a password
    planned = kcconf("plan", str(spec))
    assert planned.code == 2 and "+ user bob\n" in planned.out
    monkeypatch.setenv("BOB_PASSWORD", "canary-long-enough-1")
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    token = password_grant(keycloak.url, realm, "admin-cli", "bob", "canary-long-enough-1")
    assert token.status == 200, token.body


def test_the_deletion_limit_counts_only_what_could_be_deleted(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    clients = "".join(f"  - clientId: app{i}\n" for i in range(7))
    spec = apply_spec(kcconf, tmp_path / "spec.yaml", realm_spec(realm, "clients:\n" + clients))
    spec.write_text(realm_spec(realm, "prune: {clients: created}\nclients:\n  - clientId: app0\n"))
    refused = kcconf("apply", "--auto-approve", str(spec))
    assert refused.code == 1
    # Six of the seven clients a prune could delete: Keycloak's six built-ins are not counted.
    assert (
        f"error: refusing to delete 6 of 7 clients (85.7%) in realm {realm}: more than 10 or "
        "50% of a kind; review the plan, then pass --allow-deletes or raise prune.limits in the "
        "spec"
    ) in refused.err.splitlines()
    assert kcconf("apply", "--auto-approve", "--allow-deletes", str(spec)).code == 0


def test_an_interrupted_apply_says_what_it_did_and_the_next_one_finishes(
    keycloak: Target, kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    users = "".join(f"  - username: user{i:02d}\n" for i in range(40))
    spec = tmp_path / "spec.yaml"
    spec.write_text(realm_spec(realm, "users:\n" + users))
    env = {**os.environ, **keycloak.env()}
    cmd = [sys.executable, "-m", "kcconf", "apply", "--auto-approve", str(spec)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # a real Ctrl-C, sent once a few users exist
        seen.append(line)
        if line.startswith("creating user user05"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    err = "".join(seen) + rest
    assert proc.returncode != 0
    report = next(ln for ln in err.splitlines() if ln.startswith("apply stopped after "))
    assert "Done: creating user user00; creating user user01" in report
    assert "Not done: " in report and "Run apply again: it plans what is left." in report
    assert "Traceback" not in err
    index.forget()
    assert 5 <= len(index.users()) < 40
    assert kcconf("apply", "--auto-approve", str(spec)).code == 0
    index.forget()
    assert len(index.users()) == 40
    assert_in_sync(kcconf, spec)
