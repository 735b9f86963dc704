"""Colour in the text plan, several realms at once, and when the command line asks for colour."""

from __future__ import annotations

import io
import sys

import pytest

from kcconf.cli import session
from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj
from kcconf.output.text import coloured, plain, render_plans
from kcconf.planning.plan import Plan

GREEN, YELLOW, RED, RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"

LEGACY = Address("client", "legacy")
APP = Address("client", "app")
BOB = Address("user", "bob")


def alpha() -> Plan:
    live_app = Obj(APP, {"description": "Old"}, {"defaultClientScopes": frozenset({"basic"})})
    want_app = Obj(APP, {"description": "New"}, {"defaultClientScopes": frozenset({"roles"})})
    want_bob = Obj(BOB, {"email": "bob@example.com"})
    changes = (
        Change(Action.DELETE, LEGACY, (), (), None, Obj(LEGACY)),
        Change(
            Action.UPDATE,
            APP,
            (FieldChange("description", "Old", "New"),),
            (RelationChange("defaultClientScopes", ("roles",), ("basic",)),),
            want_app,
            live_app,
        ),
        Change(
            Action.CREATE, BOB, (FieldChange("email", None, "bob@example.com"),), (), want_bob, None
        ),
    )
    return Plan("alpha", changes)


def beta() -> Plan:
    role = Address("realm-role", "auditor")
    want = Obj(role, {"description": "Audits"})
    change = Change(
        Action.CREATE, role, (FieldChange("description", None, "Audits"),), (), want, None
    )
    return Plan("beta", (change,))


def test_each_header_line_is_coloured_by_its_action_and_nothing_else() -> None:
    assert render_plans([alpha()], coloured) == (
        f"{RED}- client legacy{RESET}\n"
        f"{YELLOW}~ client app{RESET}\n"
        '    description: "Old" -> "New"\n'
        "    default scopes: - basic, + roles\n"
        f"{GREEN}+ user bob{RESET}\n"
        '    email: "bob@example.com"\n'
        "Plan: 1 to add, 1 to change, 1 to delete.\n"
    )


def test_without_colour_the_words_are_the_same() -> None:
    text = render_plans([alpha()], plain)
    assert "\x1b" not in text
    no_escapes = render_plans([alpha()], coloured)
    for code in (GREEN, YELLOW, RED, RESET):
        no_escapes = no_escapes.replace(code, "")
    assert no_escapes == text


def test_several_realms_have_headings_and_a_total() -> None:
    assert render_plans([alpha(), beta()], coloured) == (
        "Realm alpha:\n"
        f"{RED}- client legacy{RESET}\n"
        f"{YELLOW}~ client app{RESET}\n"
        '    description: "Old" -> "New"\n'
        "    default scopes: - basic, + roles\n"
        f"{GREEN}+ user bob{RESET}\n"
        '    email: "bob@example.com"\n'
        "Plan: 1 to add, 1 to change, 1 to delete.\n"
        "\n"
        "Realm beta:\n"
        f"{GREEN}+ realm-role auditor{RESET}\n"
        '    description: "Audits"\n'
        "Plan: 1 to add, 0 to change, 0 to delete.\n"
        "\n"
        "Total: 2 to add, 1 to change, 1 to delete in 2 realms.\n"
    )


def test_several_realms_in_sync() -> None:
    assert render_plans([Plan("alpha", ()), Plan("beta", ())], coloured) == (
        "Realm alpha:\n"
        "No changes: realm alpha matches the spec.\n"
        "\n"
        "Realm beta:\n"
        "No changes: realm beta matches the spec.\n"
        "\n"
        "Total: 0 to add, 0 to change, 0 to delete in 2 realms.\n"
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_paint_is_coloured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert session.paint() is coloured


def test_paint_is_plain_when_no_color_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert session.paint() is plain


def test_an_empty_no_color_does_not_turn_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # no-color.org: only a NO_COLOR that is present and not empty disables colour.
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert session.paint() is coloured


def test_paint_is_plain_when_stdout_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert session.paint() is plain
