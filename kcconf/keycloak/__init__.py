"""Reaching Keycloak: the admin REST layer, the realm's admin client, real token grants and
the local sandbox server."""
