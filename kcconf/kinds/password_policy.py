"""Keycloak's password policy string as rules: `length(12) and digits(1)` <-> {length: "12",
digits: "1"}. The realm compares the policy as a whole (a written policy is exact), and the plan
names the rules that change rather than showing two long strings."""

from __future__ import annotations

import re
from collections.abc import Mapping

RULE = re.compile(r"^\s*([\w-]+)\s*(?:\((.*)\))?\s*$")


def parse(policy: str) -> dict[str, str]:
    """Rules by name, each with its argument ("" when the rule takes none)."""
    rules: dict[str, str] = {}
    for part in filter(str.strip, re.split(r"\s+and\s+", policy)):
        match = RULE.match(part)
        name, argument = (match.group(1), match.group(2) or "") if match else (part.strip(), "")
        rules[name] = argument
    return rules


def render(rules: Mapping[str, str]) -> str:
    """The policy string Keycloak takes, rules in name order."""
    return " and ".join(f"{n}({a})" if a else n for n, a in sorted(rules.items()))
