#!/usr/bin/env bash
# Prints a gateway access token (a JWT) on stdout, from an OAuth2 client-credentials token
# endpoint: aigw's built-in issuer or any Cognito-compatible one. Usable as Claude Code's
# apiKeyHelper. Errors go to stderr with the endpoint's own error and its likely causes.
#
#   GATEWAY_TOKEN_ENDPOINT  e.g. http://localhost:8787/oauth2/token or
#                           https://<domain>.auth.<region>.amazoncognito.com/oauth2/token
#   GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET   the client's credentials
#   GATEWAY_SCOPE           optional; default: the client's scopes (aigw's issuer leaves out
#                           the admin scope unless it is asked for)
set -euo pipefail

fail() { printf 'get-gateway-token: %s\n' "$*" >&2; exit 1; }

endpoint=${GATEWAY_TOKEN_ENDPOINT:-}
client_id=${GATEWAY_CLIENT_ID:-}
client_secret=${GATEWAY_CLIENT_SECRET:-}
[[ -n "$endpoint" ]] || fail "GATEWAY_TOKEN_ENDPOINT is not set (the full token URL, ending in /oauth2/token)"
[[ -n "$client_id" ]] || fail "GATEWAY_CLIENT_ID is not set"
[[ -n "$client_secret" ]] || fail "GATEWAY_CLIENT_SECRET is not set"
command -v curl >/dev/null || fail "curl is required"
command -v python3 >/dev/null || fail "python3 is required"

form=(--data-urlencode "grant_type=client_credentials")
[[ -n "${GATEWAY_SCOPE:-}" ]] && form+=(--data-urlencode "scope=${GATEWAY_SCOPE}")

# The credentials go to curl on stdin (HTTP Basic), never on its command line where `ps` shows them.
body_file=$(mktemp)
trap 'rm -f "$body_file"' EXIT
curl_quote() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }
status=$(printf 'user = "%s:%s"\n' "$(curl_quote "$client_id")" "$(curl_quote "$client_secret")" |
  curl -sS --max-time 20 -K - -o "$body_file" -w '%{http_code}' \
    -H 'Content-Type: application/x-www-form-urlencoded' "${form[@]}" "$endpoint" 2>&1) ||
  fail "cannot reach $endpoint: $status
  likely causes: wrong GATEWAY_TOKEN_ENDPOINT, the gateway is down, or a VPN is required"

if [[ "$status" == "200" ]]; then
  token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("access_token",""))' "$body_file" 2>/dev/null || true)
  [[ -n "$token" ]] || fail "the endpoint answered 200 without an access_token (is GATEWAY_TOKEN_ENDPOINT the token URL?)"
  printf '%s\n' "$token"
  exit 0
fi

error=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(d.get("error", "") + ((": " + d["error_description"]) if d.get("error_description") else ""))
except Exception:
    pass' "$body_file")
[[ -n "$error" ]] || error="HTTP $status: $(head -c 300 "$body_file")"
printf 'get-gateway-token: token request failed (HTTP %s): {"error": "%s"}\n' "$status" "${error%%:*}" >&2
[[ "$error" == *:* ]] && printf '  detail: %s\n' "${error#*: }" >&2
case "$error" in
  invalid_grant*|unauthorized_client*)
    cat >&2 <<MSG
  likely causes:
    - wrong token endpoint: GATEWAY_TOKEN_ENDPOINT must be the full URL, e.g.
      https://<domain>.auth.<region>.amazoncognito.com/oauth2/token
    - wrong credentials: check GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET
    - wrong grant type: the app client must allow the client_credentials grant (ask the gateway admin)
MSG
    ;;
  invalid_client*)
    cat >&2 <<MSG
  likely causes:
    - wrong credentials: check GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET (was the secret rotated?)
    - the client was removed: ask the gateway admin
MSG
    ;;
  invalid_scope*)
    printf '  likely cause: GATEWAY_SCOPE (%s) is not allowed for this client; unset it or ask the admin\n' "${GATEWAY_SCOPE:-}" >&2
    ;;
  temporarily_unavailable*)
    printf '  likely cause: the token endpoint is busy; retry in a second\n' >&2
    ;;
  unsupported_grant_type*)
    printf '  likely cause: the endpoint does not allow client_credentials for this client (ask the gateway admin)\n' >&2
    ;;
  *)
    printf '  likely cause: GATEWAY_TOKEN_ENDPOINT (%s) is not an OAuth2 token endpoint\n' "$endpoint" >&2
    ;;
esac
exit 1
