"""Names Keycloak creates in every new realm (checked against Keycloak 26).

A spec may refer to these without declaring them, so reference checks accept them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Client scopes: RealmManager.setupClientScopes / DefaultClientScopes and the organization feature.
BUILTIN_CLIENT_SCOPES: frozenset[str] = frozenset(
    {
        "basic",
        "roles",
        "web-origins",
        "acr",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
        "microprofile-jwt",
        "organization",
        "service_account",
        "saml_organization",
        "role_list",
        "AuthnContextClassRef",  # 26.7 (SAML); seen on 26.7.3
    }
)

# Realm roles: RealmManager.setupOfflineTokens (offline_access) and setupAuthorizationServices.
BUILTIN_REALM_ROLES: frozenset[str] = frozenset({"offline_access", "uma_authorization"})

# Client roles: AdminRoles (realm-management), AccountRoles (account), Constants.READ_TOKEN_ROLE.
BUILTIN_CLIENT_ROLES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "realm-management": frozenset(
            {
                "realm-admin",
                "create-client",
                "impersonation",
                "manage-authorization",
                "manage-clients",
                "manage-events",
                "manage-identity-providers",
                "manage-realm",
                "manage-users",
                "query-clients",
                "query-groups",
                "query-realms",
                "query-users",
                "view-authorization",
                "view-clients",
                "view-events",
                "view-identity-providers",
                "view-realm",
                "view-users",
            }
        ),
        "account": frozenset(
            {
                "delete-account",
                "manage-account",
                "manage-account-links",
                "manage-consent",
                "view-applications",
                "view-consent",
                "view-groups",
                "view-profile",
            }
        ),
        "broker": frozenset({"read-token"}),
        "account-console": frozenset(),
        "admin-cli": frozenset(),
        "security-admin-console": frozenset(),
    }
)

# Clients: RealmManager.setDefaultsForNewRealm (realm admin, account, broker, consoles, CLI).
BUILTIN_CLIENTS: frozenset[str] = frozenset(BUILTIN_CLIENT_ROLES)


def default_roles_name(realm: str) -> str:
    """The realm's default role; Keycloak lowercases the realm name (RealmManager)."""
    return f"default-roles-{realm.lower()}"


def builtin_realm_roles(realm: str) -> frozenset[str]:
    """Every realm role Keycloak creates in the realm called `realm`."""
    return BUILTIN_REALM_ROLES | {default_roles_name(realm)}
