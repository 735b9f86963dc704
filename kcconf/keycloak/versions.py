"""Keycloak version strings ("26.5.6", "26.7.0-SNAPSHOT") compared as numbers."""

from __future__ import annotations


def version_tuple(text: str) -> tuple[int, ...]:
    """The numeric major, minor and patch of a version; non-numeric parts are dropped."""
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def since_text(since: tuple[int, ...]) -> str:
    return ".".join(map(str, since))
