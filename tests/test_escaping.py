"""Hostile names in plans: a clientId (or a realm, a role, a value) holding a newline, a code
fence, `<!--`, `-->`, `|`, ANSI escape sequences or bidi controls must not change the shape of
the pull-request comment or of the terminal's text. Every change and the summary line stay
visible, the plan's block is closed exactly once, nothing starts an HTML comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcconf.model.changes import Action, Change, FieldChange, RelationChange
from kcconf.model.objects import Address, Obj
from kcconf.output.escape import code_span, fence_for, html_text, printable
from kcconf.output.markdown import render_markdown
from kcconf.output.text import coloured, render_plan, render_plans
from kcconf.planning.plan import Plan
from tests.helpers import realm_spec, run_cli

FENCE_CLOSER = "x\n```\n<!-- the rest of this comment is hidden\n"
HIDDEN = Address("client", f"{FENCE_CLOSER}- client fake")
PIPE = Address("client", "a|b-->c` ``` `")
ANSI = Address("client", "ok\x1b[2K\r\x1b[32m+ client harmless\x1b[0m\x1b]0;title\x07")
BIDI = Address("realm-role", "admin\u202egnp.exe\u2066x\u2069\u200b")
REALM = "r`|\n<!--"

# Anything that may not reach a reviewer raw: controls (newline, ESC, BEL, CR), bidi controls.
RAW = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069]")


def hostile() -> Plan:
    """Deletes two clients, changes one, creates a role: all with hostile names and values."""
    changes = (
        Change(Action.DELETE, HIDDEN, (), (), None, Obj(HIDDEN)),
        Change(Action.DELETE, PIPE, (), (), None, Obj(PIPE)),
        Change(
            Action.UPDATE,
            ANSI,
            (
                FieldChange("description", "old\n```", "new\x1b[8m<!--"),
                FieldChange("attributes.k\ney", None, "v\u202ev"),
                FieldChange("redirectUris", ["https://a/\n```"], ["https://b/-->"]),
            ),
            (RelationChange("defaultClientScopes", ("s\n```\n<!--",), ("t\x1b[0m",)),),
            Obj(ANSI),
            Obj(ANSI),
        ),
        Change(Action.CREATE, BIDI, (), (), Obj(BIDI), None, renamed_from="old\n<!--"),
    )
    return Plan(REALM, changes)


HEADERS = [
    "- client x\\n```\\n<!-- the rest of this comment is hidden\\n- client fake",
    "- client a|b-->c` ``` `",
    "~ client ok\\x1b[2K\\r\\x1b[32m+ client harmless\\x1b[0m\\x1b]0;title\\x07",
    "+ realm-role admin\\u202egnp.exe\\u2066x\\u2069\\u200b (renamed from old\\n<!--)",
]
SUMMARY = "Plan: 1 to add, 1 to change, 2 to delete."
TEXT = "\n".join(
    [
        *HEADERS[:3],
        '    description: "old\\n```" -> "new\\u001b[8m<!--"',
        '    attributes.k\\ney: (unset) -> "v\\u202ev"',
        "    redirectUris: - https://a/\\n```, + https://b/-->",
        "    default scopes: - t\\x1b[0m, + s\\n```\\n<!--",
        HEADERS[3],
        SUMMARY,
        "",
    ]
)


def test_the_text_plan_shows_hostile_names_escaped_on_their_own_lines() -> None:
    assert render_plan(hostile()) == TEXT
    assert not RAW.search(render_plans([hostile(), Plan("p\x1b[2J", ())]).replace("\n", " "))


def test_colour_is_the_only_escape_sequence_in_a_coloured_plan() -> None:
    text = render_plan(hostile(), coloured)
    ours = re.compile(r"\x1b\[\d+m")  # click.style's colour and reset
    assert len(ours.findall(text)) == 2 * len(HEADERS)
    assert "\x1b" not in ours.sub("", text)
    assert ours.sub("", text) == TEXT


def outside_code(markdown: str) -> str:
    """The comment without its fenced blocks and code spans: what GitHub reads as markdown."""
    kept, fence = [], None
    for line in markdown.split("\n"):
        opening = re.match(r" {0,3}(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and re.fullmatch(rf" {{0,3}}{fence}`*\s*", line):
            fence = None
        elif fence is None:
            kept.append(line)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", "\n".join(kept))


def test_the_markdown_comment_keeps_its_shape() -> None:
    plans = [hostile(), Plan("second", ())]
    comment = render_markdown(plans)
    assert not RAW.search(comment.replace("\n", " "))
    lines = comment.split("\n")
    # Each realm's block opens once and closes once, and nothing inside closes it earlier.
    fence_lines = [(n, ln) for n, ln in enumerate(lines) if re.match(r" {0,3}(`{3,}|~{3,})", ln)]
    assert [ln for _, ln in fence_lines] == ["````diff", "````", "```diff", "```"]
    (start, _), (end, _) = fence_lines[:2]
    assert lines[start + 1 : end] == TEXT.rstrip("\n").split("\n")  # every change, the summary
    assert lines[end + 2] == "</details>"
    assert lines.count("</details>") == 2
    # Nothing outside code can open or close an HTML comment or a tag of a name's making.
    markdown = outside_code(comment)
    assert "<!--" not in markdown and "-->" not in markdown
    tags = ["<details>", "<summary>", "<code>", "</code>", "</summary>", "</details>"]
    assert re.findall(r"<[^>]*>", markdown) == tags * 2
    # The table has one row per realm, each of four cells.
    rows = [ln for ln in lines if ln.startswith("| ") and "---" not in ln]
    assert [len(re.findall(r"(?<!\\)\|", row)) for row in rows] == [5, 5, 5]
    # Deletions: one line each, both visible before the sections.
    deletions = [ln for ln in lines if ln.startswith("- :warning: ")]
    assert deletions == [
        "- :warning: ````client x\\n```\\n<!-- the rest of this comment is hidden"
        "\\n- client fake```` in realm ``r`|\\n<!--``",
        "- :warning: ```` client a|b-->c` ``` ` ```` in realm ``r`|\\n<!--``",
    ]


def test_the_realm_name_in_the_summary_html_is_text() -> None:
    comment = render_markdown([hostile()])
    summary = next(ln for ln in comment.split("\n") if ln.startswith("<details>"))
    assert summary == (
        "<details><summary>Realm <code>r`|\\n&lt;!--</code>: 4 object(s) change</summary>"
    )
    assert "| ``r`\\|\\n<!--`` | 1 | 1 | 2 |" in comment


def test_printable_escapes_controls_and_bidi_and_keeps_the_rest() -> None:
    assert printable("a\nb\tc\r\x1b[0m\x07\x7f\x85") == "a\\nb\\tc\\r\\x1b[0m\\x07\\x7f\\x85"
    assert printable("\u202e\u2066\u2069\u200f\u061c\u2028\ufeff") == (
        "\\u202e\\u2066\\u2069\\u200f\\u061c\\u2028\\ufeff"
    )
    assert printable("Éva's client-ü 名前 <x> | `y`") == "Éva's client-ü 名前 <x> | `y`"


@pytest.mark.parametrize(
    ("name", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`x", "`` `x ``"),
        ("a``b`", "``` a``b` ```"),
    ],
)
def test_a_code_span_holds_any_backticks(name: str, span: str) -> None:
    assert code_span(name) == span


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("a ``` b") == "````"
    assert fence_for("`````") == "``````"
    assert html_text('<!-- "&" -->\n') == "&lt;!-- &quot;&amp;&quot; --&gt;\\n"


def test_an_error_naming_a_hostile_name_is_one_printable_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spec problems go through main()'s error handler: one line each, escaped."""
    monkeypatch.setenv("KCCONF_URL", "http://127.0.0.1:1")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        realm_spec(
            "r",
            'clients:\n  - clientId: "a\\nerror: forged\\u001b[2J"\n'
            '  - clientId: "a\\nerror: forged\\u001b[2J"\n',
        )
    )
    run = run_cli("plan", str(spec))
    assert run.code == 1
    lines = run.err.splitlines()
    # Both names are refused (control characters), each on one line of its own: no line the
    # spec forged, no raw escape sequence.
    assert [ln.split(": ", 2)[1].rsplit(":", 2)[1] for ln in lines] == ["5", "6"]
    assert all(ln.startswith(f"error: {spec}:") for ln in lines)
    assert "\x1b" not in run.err and not any(ln.startswith("error: forged") for ln in lines)


def test_a_lint_finding_naming_a_hostile_client_is_one_printable_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        realm_spec(
            "r",
            'clients:\n  - clientId: "app\\nspec.yaml:1:1: KC000 forged\\u001b[2J"\n'
            "    publicClient: true\n    fullScopeAllowed: false\n"
            "    directAccessGrantsEnabled: true\n",
        )
    )
    # Such a name is refused before any rule runs (a name with control characters), in one
    # line: the spec cannot forge a finding line.
    run = run_cli("lint", str(spec))
    assert (run.code, run.out) == (1, "")
    (line,) = run.err.splitlines()
    assert line.startswith(f"error: {spec}:5:5: clients[0].clientId: ") and "\x1b" not in line
