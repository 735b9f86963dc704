"""The example realm and the demo's "before" shape have a variant for Keycloak 24 (no `basic`
client scope); the variants must stay the same realm otherwise."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, example, for_server, without_basic

EXAMPLES = ("realms/minimal-token-impersonation.yaml", "demo/minimal-token-before.yaml")


def _body(text: str) -> str:
    """The text after the variant's own leading comment block."""
    return text[text.index("\n#\n") + 3 :]


@pytest.mark.parametrize("relative", EXAMPLES)
def test_the_keycloak_24_variant_is_the_example_without_basic(relative: str) -> None:
    main = (ROOT / relative).read_text()
    variant = example(relative, "24.0.5")
    assert variant != ROOT / relative
    assert _body(variant.read_text()) == without_basic(main)
    assert "basic" not in without_basic(main)


def test_newer_servers_get_the_example_itself() -> None:
    for version in ("25.0.6", "26.5.6", "26.7.5"):
        assert example(EXAMPLES[0], version) == ROOT / EXAMPLES[0]


def test_without_basic_drops_it_from_flow_lists_only() -> None:
    text = "a: [basic, roles]\nb: [roles, basic]\nc: [basic]\nd: [x, basic, y]\nbasic: 1\n"
    assert without_basic(text) == "a: [roles]\nb: [roles]\nc: []\nd: [x, y]\nbasic: 1\n"
    assert for_server(text, "26.5.6") == text
