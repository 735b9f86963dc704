"""Demo step: the moderator's token through our-public-client, then impersonating alice.

Prints what a reader needs to see: the roles in the moderator's token, Keycloak's answer to the
token exchange, and the roles in alice's exchanged token.
"""

from __future__ import annotations

import json
import os
import sys

from kcconf.keycloak.oidc import Answer, impersonate, password_grant

CLIENT = "our-public-client"


def roles(claims: dict[str, object]) -> str:
    shown = {k: claims[k] for k in ("realm_access", "resource_access") if k in claims}
    return json.dumps(shown) if shown else "no roles at all"


def main(url: str, realm: str) -> int:
    moderator = password_grant(url, realm, CLIENT, "moderator", os.environ["MODERATOR_PASSWORD"])
    if moderator.status != 200:
        print(f"  moderator could not log in: {moderator.status} {moderator.body}")
        return 1
    print(f"  moderator's access token: {roles(moderator.claims)}")
    answer: Answer = impersonate(url, realm, CLIENT, moderator.token, "alice")
    if answer.status != 200:
        print(f"  token exchange as alice: {answer.status} {json.dumps(answer.body)}")
        return 0
    claims = answer.claims
    print(
        f"  token exchange as alice: 200, token for {claims.get('sub')} "
        f"(alice's id), {roles(claims)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
