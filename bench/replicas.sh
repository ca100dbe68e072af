#!/usr/bin/env bash
# Replicas benchmark (issue 12): one aigw on SQLite, then 1, 2 and 3 aigw replicas sharing one
# redis-server, each setup behind the same nginx load balancer, all proxying to one fixed-JSON
# origin (nginx). wrk through the balancer at 64 connections: requests/s, p50, p99, and Redis
# commands per request (INFO's total_commands_processed over the run). Every aigw checks a team
# budget and team, client and IP limits (far above what wrk sends) and settles every answer:
# the shared state is exercised on every request. It reports; it does not test.
#
#   bash bench/replicas.sh            (make bench installs wrk and nginx-light; redis-server:
#                                      scripts/install-deps.sh --test)
# Environment: BENCH_DURATION (default 10s), BENCH_WARMUP (2s), AIGW_BIN (default: make
# release), BENCH_FLUSH (state.flush_interval, default 100ms).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
FLUSH=${BENCH_FLUSH:-100ms}
die() { echo "bench: $*" >&2; exit 1; }
for tool in wrk nginx redis-server redis-cli curl python3; do
  command -v $tool >/dev/null || die "$tool is missing"
done
if [[ -n "${AIGW_BIN:-}" ]]; then aigw_bin=$(realpath "$AIGW_BIN"); else
  make --no-print-directory release >/dev/null || die "make release failed"
  aigw_bin=$PWD/build/release/aigw
fi

work=$(mktemp -d /tmp/aigw-replicas.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # PORT
  for _ in $(seq 200); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  return 1
}
start_nginx() {  # NAME HTTP-BLOCK-BODY PORT -> pid in $nginx_pid
  local d=$work/$1
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fcgi; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  keepalive_requests 1000000;
  $2
}
CONF
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" </dev/null >/dev/null 2>&1 &
  nginx_pid=$!
  pids+=("$nginx_pid")
  wait_http "$3" || { cat "$d/error.log" >&2; die "nginx $1 did not start"; }
}

answer='{"id":"chatcmpl-bench","object":"chat.completion","created":1741570283,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":24,"total_tokens":43}}'
origin_port=$(free_port)
start_nginx origin "server { listen 127.0.0.1:$origin_port;
  location / { default_type application/json; return 200 '$answer'; } }" "$origin_port"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly yes \
  --daemonize no --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

start_replica() {  # NAME BACKEND -> its port in $replica_port
  local d=$work/$1 state
  mkdir -p "$d"
  replica_port=$(free_port)
  if [[ "$2" == redis ]]; then
    state="{ backend: redis, url: \"redis://127.0.0.1:$redis_port/0\", flush_interval: $FLUSH }"
  else
    state="{ backend: sqlite, flush_interval: $FLUSH }"
  fi
  cat >"$d/aigw.yaml" <<YAML
listen: 127.0.0.1:$replica_port
log: { access_log: false }
server: { max_in_flight: 100000, drain_timeout: 2s }
auth: { enabled: false }
state: $state
providers:
  bench: { dialect: openai, base_url: http://127.0.0.1:$origin_port/v1, api_key: sk-bench }
teams:
  default: { budget: { tokens: 1000000000000, period: monthly },
             limits: { requests_per_minute: 1000000000, tokens_per_minute: 1000000000000 } }
limits: { ip: { requests: 1000000000, window: 1m }, client: { requests_per_minute: 1000000000 } }
YAML
  (cd "$d" && exec "$aigw_bin" serve --config "$d/aigw.yaml" --threads 1 </dev/null >/dev/null 2>"$d/stderr") &
  pids+=($!)
  wait_http "$replica_port" || { cat "$d/stderr" >&2; die "aigw $1 did not start"; }
}

rows=()
run_setup() {  # LABEL BACKEND N
  local ports=() upstreams="" lb_port i f="$work/wrk-$1.txt" before after
  redis-cli -p "$redis_port" flushall >/dev/null
  for i in $(seq "$3"); do
    start_replica "${1// /-}-$i" "$2"
    ports+=("$replica_port")
    upstreams+="server 127.0.0.1:$replica_port; "
  done
  lb_port=$(free_port)
  start_nginx "lb-${1// /-}" "upstream aigw { $upstreams keepalive 128; }
    server { listen 127.0.0.1:$lb_port; location / { proxy_pass http://aigw;
      proxy_http_version 1.1; proxy_set_header Connection \"\"; } }" "$lb_port"
  local url="http://127.0.0.1:$lb_port/v1/chat/completions"
  wrk -t2 -c64 -d"$WARMUP" -s bench/post.lua "$url" >/dev/null
  before=$(redis-cli -p "$redis_port" info stats | awk -F: '/total_commands_processed/{print $2+0}')
  wrk -t2 -c64 -d"$DURATION" --timeout 5s --latency -s bench/post.lua "$url" >"$f"
  after=$(redis-cli -p "$redis_port" info stats | awk -F: '/total_commands_processed/{print $2+0}')
  rows+=("$(python3 - "$f" "$1" "$((after - before))" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text); p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
ops = int(sys.argv[3]) / max(total, 1)
print(f"| {sys.argv[2]} | {rps:,.0f} | {ms(*p50.groups()):.2f} ms | {ms(*p99.groups()):.2f} ms | {ops:.3f} | {non2xx.group(1) if non2xx else 0} |")
PY
)")
  # Stop this setup's replicas and balancer before the next one.
  for i in $(seq $(( ${#pids[@]} - $3 - 1 )) $(( ${#pids[@]} - 1 ))); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  sleep 1
}

run_setup "sqlite x1" sqlite 1
run_setup "redis x1" redis 1
run_setup "redis x2" redis 2
run_setup "redis x3" redis 3

echo
echo "aigw $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c64 -d$DURATION through nginx;"
echo "each replica --threads 1; state.flush_interval $FLUSH; budget, team/client/IP limits on."
echo
echo "| setup | req/s | p50 | p99 | Redis commands / request | non-2xx |"
echo "|---|--:|--:|--:|--:|--:|"
printf '%s\n' "${rows[@]}"
