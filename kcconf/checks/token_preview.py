"""What an access token will contain, asked of Keycloak itself (evaluate-scopes).

Keycloak builds the token it would issue to a user through a client, with the client's scopes,
mappers and role scope applied, without anyone logging in (docs/keycloak-facts.md 9.1).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from kcconf.keycloak import endpoints as ep
from kcconf.keycloak.admin import RealmAdmin

# An RS256 signature over a 2048-bit key is 256 bytes: 342 characters of base64url.
SIGNATURE_CHARS = 342
# Keycloak's JOSE header, as it writes it, with its 43-character key id.
HEADER = '{"alg":"RS256","typ" : "JWT","kid" : "' + "x" * 43 + '"}'


@dataclass(frozen=True)
class TokenPreview:
    realm: str
    client: str
    user: str
    claims: dict[str, Any]

    @property
    def realm_roles(self) -> list[str]:
        return sorted((self.claims.get("realm_access") or {}).get("roles") or [])

    @property
    def client_roles(self) -> dict[str, list[str]]:
        access = self.claims.get("resource_access") or {}
        return {c: sorted(v.get("roles") or []) for c, v in sorted(access.items())}

    @property
    def roles(self) -> set[str]:
        """Every role the token carries, as `name` (realm) or `client/name`."""
        found = set(self.realm_roles)
        found |= {f"{c}/{r}" for c, roles in self.client_roles.items() for r in roles}
        return found

    @property
    def size(self) -> int:
        """The length of the signed JWT: header, payload and RS256 signature, base64url."""
        payload = json.dumps(self.claims, separators=(",", ":"), ensure_ascii=False)
        return len(_b64(HEADER)) + 1 + len(_b64(payload)) + 1 + SIGNATURE_CHARS


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def preview(
    admin: RealmAdmin, client_id: str, username: str, scope: str = "", audience: str = ""
) -> TokenPreview:
    params = {"userId": admin.user_id(username.lower())}
    if scope:
        params["scope"] = scope
    if audience:
        params["audience"] = audience
    claims = ep.example_access_token(admin, admin.client_uuid(client_id), **params)
    return TokenPreview(admin.realm, client_id, username, dict(claims))


def render_preview(token: TokenPreview) -> str:
    lines = [
        f"Access token for user {token.user} through client {token.client} (realm {token.realm})",
        f"  realm roles: {', '.join(token.realm_roles) or '(none)'}",
    ]
    lines += [f"  {c} roles: {', '.join(r) or '(none)'}" for c, r in token.client_roles.items()]
    if not token.client_roles:
        lines.append("  client roles: (none)")
    lines.append(f"  size: {token.size} bytes as a signed JWT (RS256)")
    lines.append(json.dumps(token.claims, indent=2, ensure_ascii=False))
    return "\n".join(lines) + "\n"
