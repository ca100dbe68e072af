#!/usr/bin/env bash
# The caching wrapper ("Shell Wrapper Pattern"): reuses a cached gateway token until it is
# within a margin of its expiry, then fetches a fresh one with get-gateway-token.sh.
#
#   with-gateway-token.sh                 print the token (use as Claude Code's apiKeyHelper)
#   with-gateway-token.sh opencode ...    run an agent with OPENAI_API_KEY and
#                                         ANTHROPIC_AUTH_TOKEN set to a fresh token
#
#   GATEWAY_TOKEN_MARGIN   seconds before expiry that count as expired (default 300)
#   GATEWAY_TOKEN_CACHE    cache directory (default ${XDG_CACHE_HOME:-~/.cache}/aigw)
# plus the GATEWAY_* variables of get-gateway-token.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
margin=${GATEWAY_TOKEN_MARGIN:-300}
cache_dir=${GATEWAY_TOKEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aigw}
key=$(printf '%s|%s|%s' "${GATEWAY_TOKEN_ENDPOINT:-}" "${GATEWAY_CLIENT_ID:-}" "${GATEWAY_SCOPE:-}" | sha256sum | cut -c1-16)
cache_file="$cache_dir/token-$key"

# Seconds until the token's exp claim (negative when expired, very negative when unreadable).
seconds_left() {
  python3 - "$1" <<'PY' 2>/dev/null || echo -999999
import base64, json, sys, time
part = sys.argv[1].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
print(int(claims["exp"]) - int(time.time()))
PY
}

token=""
if [[ -r "$cache_file" ]]; then
  token=$(<"$cache_file")
  if (( $(seconds_left "$token") <= margin )); then token=""; fi
fi
if [[ -z "$token" ]]; then
  token=$("$here/get-gateway-token.sh")
  (umask 077 && mkdir -p "$cache_dir" && printf '%s' "$token" >"$cache_file.tmp" && mv "$cache_file.tmp" "$cache_file")
fi

if [[ $# -eq 0 ]]; then
  printf '%s\n' "$token"
  exit 0
fi
export OPENAI_API_KEY="$token" ANTHROPIC_AUTH_TOKEN="$token" GATEWAY_TOKEN="$token"
exec "$@"
