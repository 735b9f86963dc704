"""Checks of a realm's tokens: the token preview, token assertions and impersonation readiness."""
