"""Name rules a JSON Schema cannot state: how long a realm name is once Keycloak writes it into a
URL, and the username rules of Keycloak's default user profile, which a spec may replace.

Each rule was measured against a real Keycloak (docs/keycloak-facts.md section 14). Only names
the schema accepted are judged here, so one bad name gets one message.
"""

from __future__ import annotations

import re
from typing import Any

from kcconf.errors import KeyPath
from kcconf.spec.checker import SpecChecker

# Keycloak stores the account console's redirect URI, /realms/<name, percent-encoded>/account/*,
# in a column of 255 characters: 18 of them are the fixed parts.
REALM_URL_ROOM = 237
# Left as they are in that URI: the unreserved characters of RFC 3986 and the apostrophe.
_UNENCODED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'")

# The default user profile's username validators: length 3-255 and "username-prohibited-
# characters" (HTML, quotes, URL delimiters, white space and control characters).
USERNAME_MIN = 3
_USERNAME_REFUSED = re.compile(
    "[<>&\"'$%!#?§,;:*~/\\\\|^=\\[\\]{}()`\\u0000-\\u0020\\u007f\\u0085\\u00a0\\u1680\\u180e"
    "\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
_USER_PROFILE_ATTRIBUTES = ("userProfile", "attributes")


def realm_url_length(name: str) -> int:
    """The length of `name` in Keycloak's URL of the realm: 3 characters for each UTF-8 byte
    of a percent-encoded character. Keycloak counts 6, not 12, for a character beyond the BMP
    (an emoji), but refuses a run of 32 of them on 26.7.5 for a reason not found: 12 is safe."""
    return sum(1 if char in _UNENCODED else 3 * len(char.encode("utf-8")) for char in name)


def check_names(checker: SpecChecker) -> None:
    _check_realm_name(checker)
    _check_usernames(checker)


def _check_realm_name(checker: SpecChecker) -> None:
    path: KeyPath = ("realm", "name")
    name = checker.get(path)
    if not isinstance(name, str) or path in checker.tainted:
        return
    length = realm_url_length(name)
    if length > REALM_URL_ROOM:
        checker.report(
            path,
            f"too long for Keycloak once percent-encoded in the realm's URL ({length} characters"
            f" of at most {REALM_URL_ROOM}; a character other than A-Z a-z 0-9 - . _ ~ ' takes"
            " 3 for each of its UTF-8 bytes)",
        )


def _check_usernames(checker: SpecChecker) -> None:
    """A spec whose user profile declares `username` sets its own validators: then only the
    column's 255 characters (in the schema) are sure."""
    if _declares_username(checker):
        return
    for item_path, user in checker.items(("users",)):
        path = (*item_path, "username")
        name: Any = user.get("username")
        if not isinstance(name, str) or path in checker.tainted:
            continue
        refused = _USERNAME_REFUSED.search(name)
        if refused:
            checker.report(
                path,
                f"Keycloak refuses {refused.group()!r} in a username (its default user profile"
                " refuses white space, control characters and < > & \" ' $ % ! # ? § , ; : * ~"
                " / \\ | ^ = [ ] { } ( ) `)",
            )
        elif len(name) < USERNAME_MIN:
            checker.report(path, f"shorter than {USERNAME_MIN} characters: Keycloak refuses it")


def _declares_username(checker: SpecChecker) -> bool:
    return any(
        attribute.get("name") == "username"
        for _, attribute in checker.items(_USER_PROFILE_ATTRIBUTES)
    )
