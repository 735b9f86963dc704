#!/usr/bin/env bash
# The story in one command: the broken "before" shape, Keycloak's 403, kcconf's plan of the fix,
# apply, and the exchange answering 200 with a minimal token.
#
# Against a throwaway local Keycloak (started and stopped here), or against your own when
# KCCONF_URL (and KCCONF_USERNAME/KCCONF_PASSWORD or KCCONF_CLIENT_ID/KCCONF_CLIENT_SECRET) is
# set; there it creates or updates the realm `minimal-token`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export MODERATOR_PASSWORD=${MODERATOR_PASSWORD:-demo-moderator-pw}
export ALICE_PASSWORD=${ALICE_PASSWORD:-demo-alice-pw}
REALM=minimal-token

step() { printf '\n==> %s\n' "$*"; }

if [ -z "${KCCONF_URL:-}" ]; then
  step "Starting a local Keycloak ${KCCONF_KEYCLOAK_VERSION:-26.5.6} (downloaded through Maven on first use)"
  eval "$("$BIN/kcconf" sandbox start)"
  trap '"$BIN/kcconf" sandbox stop' EXIT
fi
echo "Keycloak: $KCCONF_URL"

# Keycloak 24 has no `basic` client scope (built in from 25): use the examples' variants.
SERVER=$("$BIN/kcconf" version | sed -n 's/^Keycloak \([0-9][0-9.]*\) at .*/\1/p')
BEFORE=demo/minimal-token-before.yaml
FIXED=realms/minimal-token-impersonation.yaml
if [ "${SERVER%%.*}" -lt 25 ] 2>/dev/null; then
  BEFORE=demo/keycloak-24/minimal-token-before.yaml
  FIXED=realms/keycloak-24/minimal-token-impersonation.yaml
fi
echo "Keycloak version: ${SERVER:-unknown}"

step "kcconf apply $BEFORE   (roles optional, full scope on)"
# --reset-passwords: a realm left by an earlier run (or on your Keycloak) gets these passwords.
"$BIN/kcconf" apply --auto-approve --reset-passwords "$BEFORE"

step "The moderator impersonates alice by token exchange (requested_subject=alice)"
"$BIN/python" demo/exchange.py "$KCCONF_URL" "$REALM"

step "kcconf plan $FIXED   (exit 2: changes pending)"
set +e
"$BIN/kcconf" plan "$FIXED"
code=$?
set -e
echo "(plan exited $code)"
[ "$code" -eq 2 ] || [ "$code" -eq 0 ] || exit "$code"

step "kcconf apply $FIXED"
"$BIN/kcconf" apply --auto-approve "$FIXED"

step "kcconf token: the moderator's access token, as Keycloak would issue it"
"$BIN/kcconf" token --realm "$REALM" --client our-public-client --user moderator | head -4

step "The same exchange, now with the minimal token"
"$BIN/python" demo/exchange.py "$KCCONF_URL" "$REALM"

step "kcconf plan again: nothing to do (exit 0)"
"$BIN/kcconf" plan "$FIXED"

step "kcconf check: the spec's token and impersonation promises, against the live realm"
"$BIN/kcconf" check "$FIXED"
