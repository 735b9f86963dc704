"""Real tokens from a real Keycloak: the password grant and legacy token exchange.

Used by the demo and the acceptance test to show what a realm's shape means for its tokens.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kcconf.keycloak.transport import Transport

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def token(self) -> str:
        return str(self.body["access_token"])

    @property
    def claims(self) -> dict[str, Any]:
        return decode(self.token)


def decode(token: str) -> dict[str, Any]:
    """The payload of a JWT (no signature check: the test talks to the issuer directly)."""
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


def _token(url: str, realm: str, data: dict[str, str]) -> Answer:
    """A grant at the realm's token endpoint, reached as kcconf reaches the admin API (the
    URL's path kept, one attempt: a POST is never sent twice)."""
    path = f"realms/{quote(realm, safe='')}/protocol/openid-connect/token"
    resp = Transport(url).send("POST", path, data=data)
    try:
        body = resp.json()
    except ValueError:
        body = {"error": resp.text[:200]}
    return Answer(resp.status_code, body if isinstance(body, dict) else {"error": str(body)})


def password_grant(
    url: str, realm: str, client_id: str, username: str, password: str, secret: str = ""
) -> Answer:
    data = {"grant_type": "password", "client_id": client_id, "username": username}
    data["password"] = password
    if secret:  # a confidential client authenticates itself
        data["client_secret"] = secret
    return _token(url, realm, data)


def exchange(
    url: str, realm: str, client_id: str, subject_token: str, secret: str = "", audience: str = ""
) -> Answer:
    """Legacy token exchange for a token of another client (`audience`), which that client's
    token-exchange permission must allow."""
    data = {
        "grant_type": EXCHANGE,
        "client_id": client_id,
        "subject_token": subject_token,
        "requested_token_type": ACCESS_TOKEN,
    }
    if secret:
        data["client_secret"] = secret
    if audience:
        data["audience"] = audience
    return _token(url, realm, data)


def impersonate(url: str, realm: str, client_id: str, subject_token: str, target: str) -> Answer:
    """Legacy token exchange with requested_subject: the token holder becomes `target`."""
    return _token(
        url,
        realm,
        {
            "grant_type": EXCHANGE,
            "client_id": client_id,
            "subject_token": subject_token,
            "requested_subject": target,
            "requested_token_type": ACCESS_TOKEN,
        },
    )
