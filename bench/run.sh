#!/usr/bin/env bash
# Side-by-side proxy benchmark on loopback, in one run: a fast fake upstream (an nginx that
# answers a fixed chat completion), then wrk straight to it, through nginx proxy_pass with
# upstream keepalive (the practical ceiling for a proxy), and through aigw (auth on, a real
# token). Prints requests/s and p50/p99 at 1 and 64 connections, aigw's RSS, and the ratios.
# Everything shares this machine's cores: compare ratios, not absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-8s}
WARMUP=${BENCH_WARMUP:-2s}
make release >/dev/null
for tool in wrk nginx curl; do command -v $tool >/dev/null || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 1; }; done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "bench: port $1 never answered" >&2; exit 1; }

origin=$(free_port); proxy=$(free_port); gateway=$(free_port)
answer='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today? This is a fixed answer from the benchmark upstream."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":18,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_bench"}'
nginx_conf() {  # name workers body
  mkdir -p "$work/$1"
  cat >"$work/$1/nginx.conf" <<CONF
daemon off;
worker_processes $2;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/$1/body; proxy_temp_path $work/$1/proxy;
  fastcgi_temp_path $work/$1/fcgi; uwsgi_temp_path $work/$1/uwsgi; scgi_temp_path $work/$1/scgi;
  keepalive_requests 1000000;
  $3
}
CONF
  nginx -p "$work/$1" -c "$work/$1/nginx.conf" & pids+=($!)
}
nginx_conf origin 1 "server { listen 127.0.0.1:$origin; location / { default_type application/json; return 200 '$answer'; } }"
nginx_conf proxy "$(nproc)" "upstream origin { server 127.0.0.1:$origin; keepalive 64; }
  server { listen 127.0.0.1:$proxy; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"

cat >"$work/aigw.yaml" <<CONF
listen: 127.0.0.1:$gateway
log: { access_log: ${BENCH_ACCESS_LOG:-false} }
server: { max_in_flight: 100000 }
limits: { ip: { requests: 0 } }   # wrk is one IP sending far more than 2,000 requests per 5 minutes
providers:
  bench: { dialect: openai, base_url: http://127.0.0.1:$origin/v1, api_key: sk-bench }
auth:
  builtin_issuer: { keys_dir: $work/keys }
  clients:
    - { client_id: bench, team: bench, client_secret: bench-secret }
CONF
(cd "$work" && exec "$OLDPWD/build/release/aigw" serve --config "$work/aigw.yaml" >/dev/null 2>"$work/aigw.err") & aigw_pid=$!; pids+=($aigw_pid)
wait_port "$origin"; wait_port "$proxy"; wait_port "$gateway"
idle_rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$aigw_pid/status")
BENCH_TOKEN=$(GATEWAY_TOKEN_ENDPOINT=http://127.0.0.1:$gateway/oauth2/token GATEWAY_CLIENT_ID=bench \
  GATEWAY_CLIENT_SECRET=bench-secret scripts/get-gateway-token.sh)
export BENCH_TOKEN

# run NAME PORT CONNECTIONS THREADS -> "rps p50_us p99_us non2xx"
run() {
  wrk -t"$4" -c"$3" -d"$WARMUP" -s bench/post.lua "http://127.0.0.1:$2/v1/chat/completions" >/dev/null
  wrk -t"$4" -c"$3" -d"$DURATION" --latency -s bench/post.lua "http://127.0.0.1:$2/v1/chat/completions" >"$work/$1.txt"
  python3 - "$work/$1.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def us(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 1, "ms": 1000, "s": 1e6}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
print(f"{rps:.0f} {us('50%'):.0f} {us('99%'):.0f} {bad.group(1) if bad else 0}")
PY
}

declare -A R
for target in direct:$origin nginx:$proxy aigw:$gateway; do
  name=${target%%:*}; port=${target#*:}
  R[$name-1]=$(run "$name-1" "$port" 1 1)
  R[$name-64]=$(run "$name-64" "$port" 64 2)
done
peak_rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$aigw_pid/status")

field() { echo "${R[$1]}" | cut -d' ' -f"$2"; }
echo
echo "| target | conns | req/s | p50 (µs) | p99 (µs) | non-2xx |"
echo "|---|---|---|---|---|---|"
for name in direct nginx aigw; do for c in 1 64; do
  echo "| $name | $c | $(field $name-$c 1) | $(field $name-$c 2) | $(field $name-$c 3) | $(field $name-$c 4) |"
done; done
echo
python3 - "$(field aigw-64 1)" "$(field nginx-64 1)" "$(field direct-1 2)" "$(field nginx-1 2)" "$(field aigw-1 2)" "$idle_rss_kb" "$peak_rss_kb" <<'PY'
import sys
aigw64, nginx64, d1, n1, a1, idle, peak = map(float, sys.argv[1:])
ratio = aigw64 / nginx64 if nginx64 else 0
print(f"throughput at 64 connections, aigw/nginx: {ratio:.2f}   (target >= 0.90: {'met' if ratio >= 0.9 else 'missed'})")
print(f"added p50 at 1 connection over direct: nginx {n1 - d1:.0f} us, aigw {a1 - d1:.0f} us   (target <= 50 us: {'met' if a1 - d1 <= 50 else 'missed'})")
print(f"aigw RSS: idle {idle/1024:.1f} MiB (target <= 20: {'met' if idle/1024 <= 20 else 'missed'}), peak {peak/1024:.1f} MiB")
PY
