"""The user profile against a real Keycloak: declared attributes and their settings managed key by
key, the unmanaged-attribute policy, and the example that matters: a spec that manages user
attributes applies cleanly, and kcconf's ownership marker survives so `prune: {users: created}`
works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin
from tests.helpers import Run, apply_spec, assert_in_sync, realm_spec

Kcconf = Callable[..., Run]

PROFILE = """\
userProfile:
  unmanagedAttributePolicy: {policy}
  attributes:
    - name: department
      displayName: Department
      validations: {{length: {{max: {max}}}}}
      permissions: {{view: [admin, user], edit: [admin]}}
"""
USERS = """\
prune: {users: created}
users:
  - username: dana
    email: dana@example.com
    firstName: Dana
    lastName: Scully
    attributes: {department: [x-files], badge: ["1013"]}
"""


def attribute(admin: RealmAdmin, name: str) -> dict[str, Any] | None:
    profile = ep.user_profile(admin)
    return next((a for a in profile["attributes"] if a["name"] == name), None)


def test_a_spec_managing_user_attributes_applies_cleanly(
    kcconf: Kcconf, realm: str, index: RealmAdmin, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    apply_spec(kcconf, path, realm_spec(realm, PROFILE.format(policy="ENABLED", max=20) + USERS))
    declared = attribute(index, "department")
    assert declared is not None and declared["validations"] == {"length": {"max": 20}}
    assert ep.user_profile(index)["unmanagedAttributePolicy"] == "ENABLED"
    (dana,) = index.api.get(index.path("users"), username="dana", exact="true")
    # Declared (department), unmanaged but kept (badge), and kcconf's marker: all survive.
    assert dana["attributes"]["department"] == ["x-files"]
    assert dana["attributes"]["badge"] == ["1013"]
    assert dana["attributes"]["kcconf.managed"] == ["true"]
    assert_in_sync(kcconf, path)

    # Only written keys are compared: Keycloak's `multivalued: false` is no change. One key
    # changed is one line; the policy moves from ENABLED to ADMIN_EDIT.
    path.write_text(realm_spec(realm, PROFILE.format(policy="ADMIN_EDIT", max=40) + USERS))
    planned = kcconf("plan", str(path))
    assert (planned.code, planned.out) == (
        2,
        f"~ user-profile {realm}\n"
        '    unmanagedAttributePolicy: "ENABLED" -> "ADMIN_EDIT"\n'
        '    attributes[department].validations: length: {"max": 20} -> {"max": 40}\n'
        "Plan: 0 to add, 1 to change, 0 to delete.\n",
    )
    assert kcconf("apply", "--auto-approve", str(path)).code == 0
    declared = attribute(index, "department")
    assert declared is not None and declared["validations"] == {"length": {"max": 40}}
    assert attribute(index, "email") is not None  # attributes not written are left alone
    assert_in_sync(kcconf, path)

    # The user kcconf made carries its marker, so a `created` prune finds it.
    path.write_text(
        realm_spec(
            realm,
            PROFILE.format(policy="ADMIN_EDIT", max=40) + "prune: {users: created}\nusers: []\n",
        )
    )
    planned = kcconf("plan", str(path))
    assert planned.out.startswith("- user dana\n"), planned.out


def test_without_a_policy_unmanaged_attributes_are_dropped(
    kcconf: Kcconf, realm: str, tmp_path: Path
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(realm_spec(realm, PROFILE.format(policy="DISABLED", max=20) + USERS))
    applied = kcconf("apply", "--auto-approve", str(path))
    # Keycloak keeps only declared attributes: badge is dropped, and apply says so.
    assert applied.code == 1
    assert "apply finished but the realm still differs from the spec: user dana" in applied.err
