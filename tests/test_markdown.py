"""The plan as a pull-request comment: whole comments, exactly as a reviewer reads them."""

from __future__ import annotations

from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj, Secret
from kcconf.output.markdown import render_markdown
from kcconf.planning.plan import Plan

LEGACY = Address("client", "legacy")
APP = Address("client", "app")
AUDITOR = Address("realm-role", "auditor")


def alpha() -> Plan:
    """Deletes a client and a role, changes another client (a secret and a relation)."""
    app_live = Obj(APP, {"description": "Old", "secret": Secret("app-secret-old")})
    app = Obj(APP, {"description": "New", "secret": Secret("app-secret-new")})
    changes = (
        Change(Action.DELETE, AUDITOR, (), (), None, Obj(AUDITOR)),
        Change(Action.DELETE, LEGACY, (), (), None, Obj(LEGACY)),
        Change(
            Action.UPDATE,
            APP,
            (
                FieldChange("description", "Old", "New"),
                FieldChange("secret", app_live.fields["secret"], app.fields["secret"], True),
            ),
            (RelationChange("optionalClientScopes", ("audit",), ("roles",)),),
            app,
            app_live,
        ),
    )
    return Plan("alpha", changes, unmanaged={"user": 3})


def beta() -> Plan:
    """Creates one client scope."""
    scope = Address("client-scope", "audit")
    want = Obj(scope, {"protocol": "openid-connect"})
    change = Change(
        Action.CREATE, scope, (FieldChange("protocol", None, "openid-connect"),), (), want, None
    )
    return Plan("beta", (change,))


ALPHA_SECTION = (
    "<details><summary>Realm <code>alpha</code>: 3 object(s) change</summary>\n"
    "\n"
    "```diff\n"
    "- realm-role auditor\n"
    "- client legacy\n"
    "~ client app\n"
    '    description: "Old" -> "New"\n'
    "    secret: (sensitive) changed\n"
    "    optional scopes: - roles, + audit\n"
    "Plan: 0 to add, 1 to change, 2 to delete.\n"
    "Unmanaged, left alone: 3 users.\n"
    "```\n"
    "\n"
    "</details>\n"
)
DELETIONS = (
    "**Deletions** (these objects will be removed from Keycloak):\n"
    "\n"
    "- :warning: `realm-role auditor` in realm `alpha`\n"
    "- :warning: `client legacy` in realm `alpha`\n"
)


def test_one_realm_with_deletions_calls_them_out_before_the_realm_section() -> None:
    assert render_markdown([alpha()]) == (
        "### kcconf plan\n"
        "\n"
        "| realm | add | change | delete |\n"
        "|---|---:|---:|---:|\n"
        "| `alpha` | 0 | 1 | 2 |\n"
        "\n" + DELETIONS + "\n" + ALPHA_SECTION
    )


def test_two_realms_have_a_row_each_and_a_total_line() -> None:
    assert render_markdown([alpha(), beta()]) == (
        "### kcconf plan\n"
        "\n"
        "| realm | add | change | delete |\n"
        "|---|---:|---:|---:|\n"
        "| `alpha` | 0 | 1 | 2 |\n"
        "| `beta` | 1 | 0 | 0 |\n"
        "\n"
        "Total: 1 to add, 1 to change, 2 to delete in 2 realms.\n"
        "\n" + DELETIONS + "\n" + ALPHA_SECTION + "\n"
        "<details><summary>Realm <code>beta</code>: 1 object(s) change</summary>\n"
        "\n"
        "```diff\n"
        "+ client-scope audit\n"
        '    protocol: "openid-connect"\n'
        "Plan: 1 to add, 0 to change, 0 to delete.\n"
        "```\n"
        "\n"
        "</details>\n"
    )


def test_no_changes_has_no_deletions_block() -> None:
    assert render_markdown([Plan("alpha", ())]) == (
        "### kcconf plan\n"
        "\n"
        "| realm | add | change | delete |\n"
        "|---|---:|---:|---:|\n"
        "| `alpha` | 0 | 0 | 0 |\n"
        "\n"
        "<details><summary>Realm <code>alpha</code>: no changes</summary>\n"
        "\n"
        "```diff\n"
        "No changes: realm alpha matches the spec.\n"
        "```\n"
        "\n"
        "</details>\n"
    )


def test_no_secret_value_appears_in_the_comment() -> None:
    text = render_markdown([alpha(), beta()])
    assert "app-secret-old" not in text
    assert "app-secret-new" not in text
