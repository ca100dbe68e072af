#!/usr/bin/env bash
# Checks a gateway the way the troubleshooting page uses it:
#   check-health.sh --url URL                 the gateway answers / with 200
#   ... --token T  (or TOKEN=...)              also decode the token (client, team, scopes,
#                                              minutes left) and make one authenticated call
#   ... --providers                            also send a max_tokens=1 request through each
#                                              configured provider, one line per provider
# Exits non-zero when any check fails.
set -uo pipefail

url=${GATEWAY_URL:-}
token=${TOKEN:-}
check_providers=0
timeout=${CHECK_HEALTH_TIMEOUT:-30}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url=${2:-}; shift 2 ;;
    --token) token=${2:-}; shift 2 ;;
    --providers) check_providers=1; shift ;;
    --timeout) timeout=${2:-30}; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "check-health: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$url" ]] || { echo "check-health: give --url URL (or set GATEWAY_URL)" >&2; exit 2; }
url=${url%/}
failures=0
body=$(mktemp)
trap 'rm -f "$body"' EXIT
ok() { printf 'ok    %s\n' "$*"; }
bad() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }

# 1. The gateway answers its health check (the load balancer's: path /).
out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time "$timeout" "$url/" 2>&1)
code=${out%% *}
if [[ "$code" == "200" ]]; then
  ok "gateway  $url/ answered 200 in $(awk -v t="${out#* }" 'BEGIN{printf "%d", t*1000}')ms"
elif [[ "$code" == "000" ]]; then
  bad "gateway  no answer from $url/: the URL is wrong, the gateway is down, or a VPN is required"
elif [[ "$code" == "503" ]]; then
  bad "gateway  $url/ answered 503: no healthy gateway behind the load balancer, or it is overloaded"
else
  bad "gateway  $url/ answered $code (expected 200): is $url the gateway's URL?"
fi

# 2. The token: what it says, and whether the gateway takes it.
if [[ -n "$token" ]]; then
  info=$(python3 - "$token" <<'PY'
import base64, json, sys, time
try:
    part = sys.argv[1].split(".")[1]
    c = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
except Exception:
    print("MALFORMED"); sys.exit(0)
client = c.get("client_id") or c.get("sub") or "?"
team = c.get("team") or c.get("custom:team") or "-"
scopes = c.get("scope") or " ".join(c.get("scp", [])) or "-"
left = int(c.get("exp", 0)) - int(time.time())
print(f"{left}\t{client}\t{team}\t{scopes}")
PY
)
  if [[ "$info" == "MALFORMED" ]]; then
    bad "token    is not a well-formed JWT (three base64url parts)"
  else
    IFS=$'\t' read -r left client team scopes <<<"$info"
    if (( left > 0 )); then
      ok "token    client=$client team=$team scopes=\"$scopes\" expires in $((left / 60)) minutes"
    else
      bad "token    client=$client team=$team expired $(( -left / 60 )) minutes ago: run TOKEN=\$(./scripts/get-gateway-token.sh)"
    fi
  fi
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time "$timeout" -H "Authorization: Bearer $token" "$url/v1/providers" 2>/dev/null)
  message=$(python3 -c 'import json,sys
try:
    d=json.load(open(sys.argv[1])); e=d.get("error")
    print(e.get("message","") if isinstance(e,dict) else (e or ""))
except Exception: pass' "$body")
  case "$code" in
    200) ok "auth     the gateway accepted the token" ;;
    401) bad "auth     401: $message" ;;
    403) bad "auth     403: $message" ;;
    *) bad "auth     authenticated call answered $code: $message" ;;
  esac
fi

# 3. Each provider, with the smallest request it accepts.
if (( check_providers )); then
  auth=()
  [[ -n "$token" ]] && auth=(-H "Authorization: Bearer $token")
  list=$(curl -s --max-time "$timeout" "${auth[@]}" "$url/v1/providers")
  rows=$(python3 -c 'import json,sys
try:
    for p in json.loads(sys.argv[1])["data"]:
        print(p["name"], p["dialect"], p.get("probe_model") or "-")
except Exception:
    sys.exit(1)' "$list") || { bad "providers cannot list providers: $list"; rows=""; }
  while read -r name dialect model; do
    [[ -n "$name" ]] || continue
    if [[ "$dialect" == "anthropic" ]]; then
      path=/v1/messages
      data="{\"model\":\"$model\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
    else
      path=/v1/chat/completions
      data="{\"model\":\"$model\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
    fi
    out=$(curl -s -o "$body" -w '%{http_code} %{time_total}' --max-time "$timeout" "${auth[@]}" \
      -H "x-portkey-provider: $name" -H 'Content-Type: application/json' -d "$data" "$url$path" 2>/dev/null)
    code=${out%% *}
    ms=$(awk -v t="${out#* }" 'BEGIN{printf "%d", t*1000}')
    if [[ "$code" == "200" ]]; then
      ok "provider $name  200  ${ms}ms  model=$model"
    else
      err=$(python3 -c 'import json,sys
try:
    d=json.load(open(sys.argv[1])); e=d.get("error")
    print(e.get("message","") if isinstance(e,dict) else (e or ""))
except Exception: pass' "$body" 2>/dev/null)
      bad "provider $name  $code  ${ms}ms  ${err:-no answer}"
    fi
  done <<<"$rows"
fi

exit $(( failures > 0 ))
