#!/usr/bin/env bash
# Side-by-side proxy benchmark on loopback, in one run (`make bench`; see bench/README.md).
#
#   origin    an nginx that answers POST /v1/chat/completions with a fixed chat.completion
#   direct    wrk -> origin
#   nginx     wrk -> nginx proxy_pass (upstream keepalive) -> origin: the practical ceiling
#   aigw      wrk -> aigw (access log off) -> origin; usage still settled to the ledger
#   aigw+budget  the same with a team budget, team and client rate limits (all far above
#             the load, so every check runs and none refuses)
#   aigw+log  aigw with the access log on (its stdout to /dev/null)
#   aigw+route  the aigw process, each request routed by an x-portkey-config (a fallback with
#             retries whose first target serves): what routing adds per request
#   aigw+metrics  aigw+budget with the Prometheus listener on (metrics.listen): what counting
#             every request costs
# and the streaming table: the origin also serves a fixed 200-chunk SSE answer in two dialects,
#   passthrough  an OpenAI chat stream (usage at the end: the caller asks stream_options.include_usage)
#                proxied by nginx, and by aigw to a chat caller from an openai-dialect provider
#   translated   an Anthropic Messages stream proxied by nginx, and by aigw to the same chat
#                caller from an anthropic-dialect provider (aigw translates every event)
#   (aigw+stream: the aigw+budget configuration, its own process so the RSS figures stay apart)
#
# Each at 1 connection (1 wrk thread) and 64 connections (2 threads): requests/s, p50, p99 and
# the CPU the server under test spent per request; aigw's idle and peak RSS; the ratios against
# the targets of the issue. It reports, it does not test: a missed target still exits 0; only a
# failure to run (a server that does not start, does not proxy, or dies) exits non-zero.
#
# Environment:
#   BENCH_DURATION  each measured run (default 10s)     BENCH_WARMUP  before each (default 2s)
#   BENCH_ROUNDS    rounds of every run, interleaved; the table shows medians (default 1)
#   BENCH_AUTH      token (default): auth on, a real token from aigw's built-in issuer;
#                   off: `auth: { enabled: false }` (no token checks)
#   TOKEN           a bearer token to send instead of asking the built-in issuer
#   BENCH_WAIT_FOR_COMMIT  true (default) or false: state.wait_for_commit of every aigw (true: each
#                   answer's usage is written to its thread's journal before the answer ends)
#   AIGW_BIN        an aigw binary to use as is (default: `make release`, build/release/aigw)
#   BENCH_TABLES    all (default), json (the fixed-JSON table only) or stream (streaming only)
#   BENCH_PERF      a directory: `perf record -g` each aigw target's measured runs at 1 connection
#                   into DIR/perf-KEY-ROUND.data (needs perf; skews the numbers of those runs)
#   BENCH_PERF_CONNS  the connection count whose runs BENCH_PERF records (1 or 64; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-1}
AUTH=${BENCH_AUTH:-token}
WAIT_FOR_COMMIT=${BENCH_WAIT_FOR_COMMIT:-true}
TABLES=${BENCH_TABLES:-all}
PERF_DIR=${BENCH_PERF:-}
die() { echo "bench: $*" >&2; exit 1; }
case "$AUTH" in token|off) ;; *) die "BENCH_AUTH must be token or off" ;; esac
case "$TABLES" in all|json|stream) ;; *) die "BENCH_TABLES must be all, json or stream" ;; esac
json_table=false; stream_table=false
[[ "$TABLES" != stream ]] && json_table=true
[[ "$TABLES" != json ]] && stream_table=true
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
for tool in wrk nginx curl python3; do
  command -v $tool >/dev/null || die "$tool is missing (make bench installs wrk and nginx-light)"
done
if [[ -n "$PERF_DIR" ]]; then
  command -v perf >/dev/null || die "BENCH_PERF needs perf (Debian: linux-perf)"
  mkdir -p "$PERF_DIR" && PERF_DIR=$(realpath "$PERF_DIR")
fi

if [[ -n "${AIGW_BIN:-}" ]]; then
  aigw_bin=$(realpath "$AIGW_BIN")
else
  make --no-print-directory release >/dev/null || die "make release failed"
  aigw_bin=$PWD/build/release/aigw
fi
[[ -x "$aigw_bin" ]] || die "no aigw binary at $aigw_bin"

# --- processes and cleanup ---------------------------------------------------------------
work=$(mktemp -d /tmp/aigw-bench.XXXXXX)
chmod 755 "$work"   # nginx workers started by root run as nobody
pids=()
stop() {  # PID...: SIGTERM, then SIGKILL after 5 s
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
cleanup() { stop "${pids[@]}"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Share of the CPUs other processes used over one second: a busy machine skews everything.
busy=$(python3 - <<'PY'
import time
def sample():
    v = list(map(int, open("/proc/stat").readline().split()[1:]))
    return sum(v), v[3] + v[4]
t0, i0 = sample(); time.sleep(1); t1, i1 = sample()
print(round(100 * (1 - (i1 - i0) / max(t1 - t0, 1))))
PY
)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # PORT PID: until GET / answers (true), or the process died / 10 s passed (false)
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.05
  done
  return 1
}

# --- origin and nginx proxy ------------------------------------------------------------
# A realistic non-streamed chat completion (~700 bytes, with usage). No ' or $ in it: it sits
# in an nginx single-quoted string.
answer_id=chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG
answer='{"id":"'$answer_id'","object":"chat.completion","created":1741570283,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today? Ask me about your code, a design question or an error message.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":24,"total_tokens":43,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf"}'

# The streamed answers: 200 content deltas each, one event per `data:` line and blank line, as
# static files under $work/www/stream/ (too long for an nginx `return`). openai: a chat stream
# with `stream_options.include_usage` (usage in a last chunk, then [DONE]); anthropic: a
# Messages stream, message_start … content_block_delta ×200 … message_delta with usage,
# message_stop. The origin serves them to POST (405 turned into a GET of the same file).
STREAM_DELTAS=200
mkdir -p "$work/www/stream/openai/v1/chat" "$work/www/stream/anthropic/v1"
python3 - "$work/www/stream" "$STREAM_DELTAS" <<'PY'
import json, sys
root, n = sys.argv[1], int(sys.argv[2])
words = [" token%d" % i for i in range(n)]
dump = lambda o: json.dumps(o, separators=(",", ":"))
head = {"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk", "created": 1741570283,
        "model": "gpt-4o-2024-08-06", "service_tier": "default", "system_fingerprint": "fp_f9f4fb6dbf"}
chunk = lambda delta, finish=None: dict(head, choices=[{"index": 0, "delta": delta, "logprobs": None,
                                                        "finish_reason": finish}], usage=None)
events = [chunk({"role": "assistant", "content": "", "refusal": None})]
events += [chunk({"content": w}) for w in words]
events.append(chunk({}, "stop"))
events.append(dict(head, choices=[], usage={"prompt_tokens": 19, "completion_tokens": n, "total_tokens": 19 + n,
                                            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                                            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                                          "accepted_prediction_tokens": 0,
                                                                          "rejected_prediction_tokens": 0}}))
with open(f"{root}/openai/v1/chat/completions", "w") as f:
    f.write("".join(f"data: {dump(e)}\n\n" for e in events) + "data: [DONE]\n\n")
msg = {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
       "content": [], "stop_reason": None, "stop_sequence": None,
       "usage": {"input_tokens": 19, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}
events = [("message_start", {"type": "message_start", "message": msg}),
          ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
          ("ping", {"type": "ping"})]
events += [("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}})
           for w in words]
events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
           ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                              "usage": {"output_tokens": n}}),
           ("message_stop", {"type": "message_stop"})]
with open(f"{root}/anthropic/v1/messages", "w") as f:
    f.write("".join(f"event: {e}\ndata: {dump(d)}\n\n" for e, d in events))
PY

start_nginx() {  # NAME WORKERS HTTP-BLOCK-BODY -> the master's pid in $nginx_pid
  local d=$work/$1
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $2;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fcgi; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  $3
}
CONF
  nginx -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || die "the $1 nginx config is rejected"
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" </dev/null >"$d/stdout" 2>&1 &
  nginx_pid=$!
  pids+=("$nginx_pid")
  wait_http "$4" "$nginx_pid" || { cat "$d/error.log" >&2; die "the $1 nginx did not start"; }
}

declare -A PORT PID TOKEN_OF IDLE_KB
PORT[direct]=$(free_port)
start_nginx origin 1 "server { listen 127.0.0.1:${PORT[direct]};
    location / { default_type application/json; return 200 '$answer'; }
    location /stream/ { root $work/www; default_type text/event-stream; error_page 405 =200 \$uri; } }" "${PORT[direct]}"
PID[direct]=$nginx_pid
PORT[nginx]=$(free_port)
start_nginx proxy "$(nproc)" "upstream origin { server 127.0.0.1:${PORT[direct]}; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:${PORT[nginx]};
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
    location /stream/ { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\";
      proxy_buffering off; proxy_buffer_size 16k; proxy_buffers 4 16k; } }" "${PORT[nginx]}"
PID[nginx]=$nginx_pid

# --- aigw ------------------------------------------------------------------------------
start_aigw() {  # NAME ACCESS_LOG(true|false) [budget]
  local d=$work/$1 out=/dev/null port pid rc=0 team=bench
  mkdir -p "$d"
  port=$(free_port)
  {
    echo "listen: 127.0.0.1:$port"
    echo "log: { access_log: $2 }"
    echo "server: { max_in_flight: 100000, drain_timeout: 2s }"
    echo "state: { wait_for_commit: $WAIT_FOR_COMMIT }"
    # wrk is one IP sending far more than 2,000 requests per 5 min
    [[ "${3:-}" == budget ]] || echo "limits: { ip: { requests: 0 } }"
    echo "providers:"
    echo "  bench: { dialect: openai, base_url: http://127.0.0.1:${PORT[direct]}/v1, api_key: sk-bench }"
    echo "  bench-sse: { dialect: openai, base_url: http://127.0.0.1:${PORT[direct]}/stream/openai/v1, api_key: sk-bench }"
    echo "  bench-anthropic: { dialect: anthropic, base_url: http://127.0.0.1:${PORT[direct]}/stream/anthropic/v1, api_key: sk-bench }"
    if [[ "$AUTH" == off ]]; then
      echo "auth: { enabled: false }"
    else
      echo "auth:"
      echo "  builtin_issuer: { keys_dir: $d/keys }"
      echo "  clients:"
      echo "    - { client_id: bench, team: bench, client_secret: bench-secret }"
    fi
    [[ "$AUTH" == off ]] && team=default
    if [[ "${3:-}" == budget ]]; then
      # Limits far above what wrk sends: every check runs, none refuses.
      echo "teams:"
      echo "  $team: { budget: { tokens: 1000000000000, usd: 1000000, period: monthly },"
      echo "          limits: { requests_per_minute: 1000000000, tokens_per_minute: 1000000000000 } }"
      # The IP window on too, as every check: counted on every request, never reached.
      echo "limits: { ip: { requests: 1000000000 }, client: { requests_per_minute: 1000000000 } }"
    fi
    [[ "${4:-}" == metrics ]] && echo "metrics: { listen: \"127.0.0.1:0\" }"
  } >"$d/aigw.yaml"
  [[ "$2" == false ]] && out=$d/stdout   # only the start line; with the log on, /dev/null
  (cd "$d" && exec "$aigw_bin" serve --config "$d/aigw.yaml" </dev/null >"$out" 2>"$d/stderr") &
  pid=$!
  pids+=("$pid")
  if ! wait_http "$port" "$pid"; then
    echo "--- aigw config:" >&2; cat "$d/aigw.yaml" >&2
    echo "--- aigw stderr:" >&2; tail -n 30 "$d/stderr" >&2
    kill -0 "$pid" 2>/dev/null && die "aigw ($1) does not answer GET / on 127.0.0.1:$port"
    wait "$pid" || rc=$?
    die "aigw ($1) exited with status $rc at start"
  fi
  PORT[$1]=$port
  PID[$1]=$pid
  TOKEN_OF[$1]=
  if [[ "$AUTH" == token ]]; then
    if [[ -n "${TOKEN:-}" ]]; then
      TOKEN_OF[$1]=$TOKEN
    else
      TOKEN_OF[$1]=$(GATEWAY_TOKEN_ENDPOINT=http://127.0.0.1:$port/oauth2/token GATEWAY_CLIENT_ID=bench \
        GATEWAY_CLIENT_SECRET=bench-secret scripts/get-gateway-token.sh) || die "no token from aigw's issuer"
    fi
  fi
}
aigws=()
$json_table && aigws+=(aigw aigw+budget aigw+log aigw+metrics)
$stream_table && aigws+=(aigw+stream)
for name in "${aigws[@]}"; do
  case $name in
    aigw+log) start_aigw "$name" true ;;
    aigw+metrics) start_aigw "$name" false budget metrics ;;
    aigw+budget|aigw+stream) start_aigw "$name" false budget ;;
    *) start_aigw "$name" false ;;
  esac
done
sleep 1   # let start-up settle before the idle figure
for name in "${aigws[@]}"; do IDLE_KB[$name]=$(awk '/^VmRSS/{print $2}' "/proc/${PID[$name]}/status"); done

# What each measured target is: KEY -> the server (its port, pid and token), the URL path, the
# wrk script and the provider asked for. The JSON targets are named after their server.
declare -A SERVER URLPATH SCRIPT PROVIDER CONFIG
json_keys=() stream_keys=()
if $json_table; then
  for name in direct nginx aigw aigw+budget aigw+log aigw+metrics; do
    SERVER[$name]=$name URLPATH[$name]=/v1/chat/completions SCRIPT[$name]=bench/post.lua PROVIDER[$name]=bench
    json_keys+=("$name")
  done
  SERVER[aigw+route]=aigw URLPATH[aigw+route]=/v1/chat/completions SCRIPT[aigw+route]=bench/post.lua
  CONFIG[aigw+route]='{"strategy":{"mode":"fallback","on_status_codes":[429,500,502,503]},"retry":{"attempts":2},"targets":[{"provider":"bench","override_params":{"temperature":0}},{"provider":"bench-sse"}]}'
  json_keys+=(aigw+route)
fi
if $stream_table; then
  SERVER[pass-nginx]=nginx URLPATH[pass-nginx]=/stream/openai/v1/chat/completions
  SERVER[pass-aigw]=aigw+stream URLPATH[pass-aigw]=/v1/chat/completions PROVIDER[pass-aigw]=bench-sse
  SERVER[trans-nginx]=nginx URLPATH[trans-nginx]=/stream/anthropic/v1/messages
  SERVER[trans-aigw]=aigw+stream URLPATH[trans-aigw]=/v1/chat/completions PROVIDER[trans-aigw]=bench-anthropic
  for key in pass-nginx pass-aigw trans-nginx trans-aigw; do
    SCRIPT[$key]=bench/stream.lua
    stream_keys+=("$key")
  done
fi

# One request through each target before loading it: anything but 200 with the origin's answer
# means there is nothing to measure.
request() {  # KEY FILE BODY -> the HTTP status
  local auth=() server=${SERVER[$1]}
  [[ -n "${TOKEN_OF[$server]:-}" ]] && auth=(-H "Authorization: Bearer ${TOKEN_OF[$server]}")
  [[ -n "${CONFIG[$1]:-}" ]] && auth+=(-H "x-portkey-config: ${CONFIG[$1]}")
  curl -s -o "$2" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/json' -H "x-portkey-provider: ${PROVIDER[$1]:-bench}" "${auth[@]}" \
    --data "$3" "http://127.0.0.1:${PORT[$server]}${URLPATH[$1]}" || echo 000
}
refuse() {  # KEY STATUS FILE WHAT
  local server=${SERVER[$1]}
  echo "--- $1 answered HTTP $2:" >&2; head -c 600 "$3" >&2 2>/dev/null || true; echo >&2
  if [[ -f "$work/$server/stderr" ]]; then echo "--- $server stderr:" >&2; tail -n 20 "$work/$server/stderr" >&2; fi
  die "$1 does not proxy $4"
}
check_target() {  # KEY
  local status f=$work/check-$1.json
  status=$(request "$1" "$f" '{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello."}]}')
  if [[ "$status" != 200 ]] || ! grep -q "$answer_id" "$f"; then refuse "$1" "$status" "$f" "the chat completion"; fi
}
# A stream must arrive whole: the passthrough and nginx byte for byte as the origin sent it;
# the translated one as a chat stream with all the deltas, the usage and [DONE].
check_stream() {  # KEY
  local status f=$work/check-$1.sse origin
  status=$(request "$1" "$f" "$(lua_body)")
  case $1 in
    trans-aigw)
      [[ "$status" == 200 ]] && python3 - "$f" "$STREAM_DELTAS" <<'PY' && return 0
import json, sys
events = [l[6:] for l in open(sys.argv[1]).read().split("\n\n") if l.startswith("data: ")]
chunks = [json.loads(e) for e in events[:-1]]
text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
usage = [c["usage"] for c in chunks if c.get("usage")]
n = int(sys.argv[2])
sys.exit(0 if events[-1] == "[DONE]" and text == "".join(" token%d" % i for i in range(n))
         and usage and usage[-1]["completion_tokens"] == n else 1)
PY
      ;;
    pass-*) origin=$work/www/stream/openai/v1/chat/completions ;;
    trans-*) origin=$work/www/stream/anthropic/v1/messages ;;
  esac
  [[ "$status" == 200 && -n "${origin:-}" ]] && cmp -s "$f" "$origin" && return 0
  refuse "$1" "$status" "$f" "the whole stream"
}
lua_body() { sed -n "s/^local body = '\(.*\)'$/\1/p" bench/stream.lua; }
for key in "${json_keys[@]}"; do check_target "$key"; done
for key in "${stream_keys[@]}"; do check_stream "$key"; done

# --- measurement -------------------------------------------------------------------------
# CPU time (clock ticks, user + system) of a process and its children (nginx's workers).
cpu_ticks() {
  local p t=0
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# "server-ticks all-our-servers-ticks machine-busy-ticks machine-total-ticks"; with `times`
# (the CPU of this script's finished children: wrk) this tells how much of the machine other
# processes took during a run.
snapshot() {  # SERVER
  local p all=0
  for p in "${PID[@]}"; do all=$((all + $(cpu_ticks "$p"))); done
  # busy: user, nice, system and steal; not irq and softirq, where loopback traffic is counted
  # without being charged to any process
  echo "$(cpu_ticks "${PID[$1]}") $all $(awk '/^cpu /{print $2+$3+$4+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)"
}

measure() {  # KEY CONNS THREADS ROUND -> $work/wrk-KEY-CONNS-ROUND.txt, with "before"/"after" lines
  local server=${SERVER[$1]} f="$work/wrk-$1-$2-$4.txt" before perf_pid=
  local url="http://127.0.0.1:${PORT[$server]}${URLPATH[$1]}"
  export BENCH_TOKEN=${TOKEN_OF[$server]:-} BENCH_PROVIDER=${PROVIDER[$1]:-bench} BENCH_CONFIG=${CONFIG[$1]:-}
  wrk -t"$3" -c"$2" -d"$WARMUP" -s "${SCRIPT[$1]}" "$url" >/dev/null || die "wrk warm-up against $1 failed"
  times >"$work/times0"
  before=$(snapshot "$server")
  if [[ -n "$PERF_DIR" && "$2" == "${BENCH_PERF_CONNS:-1}" && "$server" == aigw* ]]; then
    perf record -q -F 1999 -g -o "$PERF_DIR/perf-$1-$4.data" -p "${PID[$server]}" >/dev/null 2>&1 &
    perf_pid=$!
    pids+=("$perf_pid")
  fi
  wrk -t"$3" -c"$2" -d"$DURATION" --timeout 5s --latency -s "${SCRIPT[$1]}" "$url" >"$f" ||
    { cat "$f" >&2; die "wrk against $1 failed"; }
  if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  echo "after $(snapshot "$server")" >>"$f"
  times >"$work/times1"
  echo "before $before" >>"$f"
  echo "times0 $(tail -1 "$work/times0")" >>"$f"
  echo "times1 $(tail -1 "$work/times1")" >>"$f"
  if ! kill -0 "${PID[$server]}" 2>/dev/null; then
    cat "$f" >&2
    if [[ -f "$work/$server/stderr" ]]; then echo "--- $server stderr:" >&2; tail -n 30 "$work/$server/stderr" >&2; fi
    die "$server died under load"
  fi
}

# Interleaved, so that a change in the machine's load hits every target alike.
for round in $(seq "$ROUNDS"); do
  for c in "1 1" "64 2"; do
    set -- $c
    for key in "${json_keys[@]}" "${stream_keys[@]}"; do measure "$key" "$1" "$2" "$round"; done
  done
done
declare -A PEAK_KB
for name in "${aigws[@]}"; do PEAK_KB[$name]=$(awk '/^VmHWM/{print $2}' "/proc/${PID[$name]}/status"); done

# --- report ------------------------------------------------------------------------------
src_state=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
git diff --quiet HEAD -- src 2>/dev/null || src_state+=" + uncommitted changes in src/"
echo
echo "## aigw proxy benchmark"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $src_state, $(nproc) cores ($busy% busy before the run)," \
  "$(nginx -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
echo "aigw: ${aigw_bin#"$PWD/"}, built $(date -u -r "$aigw_bin" +%Y-%m-%dT%H:%MZ)."
echo "$ROUNDS round(s) of $DURATION after $WARMUP warm-up; aigw auth: $([[ $AUTH == off ]] && echo off || echo 'on (bearer token)'), state.wait_for_commit: $WAIT_FOR_COMMIT."
echo "wrk, the origin (1 worker), the nginx proxy ($(nproc) workers) and aigw (one thread per core)"
echo "share the cores: read the ratios, not the absolute numbers."
rss=()
for name in "${aigws[@]}"; do rss+=("$name=${IDLE_KB[$name]}/${PEAK_KB[$name]}"); done
python3 - "$work" "$(getconf CLK_TCK)" "$busy" "${json_keys[*]}" "${stream_keys[*]}" "$STREAM_DELTAS" "${rss[@]}" <<'PY'
import glob, os, re, statistics, sys
work, tck, busy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
json_keys, stream_keys, deltas = sys.argv[4].split(), sys.argv[5].split(), int(sys.argv[6])
idle, peak = {}, {}
for arg in sys.argv[7:]:
    name, kb = arg.split("=")
    idle[name], peak[name] = (int(x) / 1024 for x in kb.split("/"))

def parse(path):
    t = open(path).read()
    def us(label):
        m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), t, re.M)
        return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
    n = int(re.search(r"^\s*(\d+) requests in", t, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    kinds = ("connect", "read", "write", "timeout")  # wrk's split, kept for the warning below
    split = dict(zip(kinds, map(int, sock.groups()))) if sock else dict.fromkeys(kinds, 0)
    snap = lambda k: list(map(int, re.search(r"^%s (.*)$" % k, t, re.M).group(1).split()))
    server, ours, busy, total = (a - b for a, b in zip(snap("after"), snap("before")))
    secs = lambda k: sum(int(m) * 60 + float(x) for m, x in re.findall(r"(\d+)m([\d.]+)s", re.search(r"^%s (.*)$" % k, t, re.M).group(1)))
    wrk = (secs("times1") - secs("times0")) * tck
    return dict(rps=float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)), p50=us("50%"), p99=us("99%"),
                bad=int(bad.group(1)) if bad else 0, sock=sum(split.values()),
                **{f"sock_{k}": v for k, v in split.items()},
                cpu=server / tck * 1e6 / max(n, 1), other=max(0.0, 100 * (busy - ours - wrk) / max(total, 1)))

R = {}
for name in json_keys + stream_keys:
    for c in (1, 64):
        runs = [parse(f) for f in sorted(glob.glob(f"{work}/wrk-{name}-{c}-*.txt"))]
        R[name, c] = {k: (sum if k == "bad" or k.startswith("sock") else max if k == "other" else statistics.median)([r[k] for r in runs])
                      for k in runs[0]}

met = lambda ok: "met" if ok else "**missed**"
header = "| target | conns | req/s | p50 (µs) | p99 (µs) | non-2xx | socket errors | server CPU µs/req | others' CPU % |"
line = lambda label, r, c: print(f"| {label} | {c} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['bad']} | {r['sock']} | {r['cpu']:.1f} | {r['other']:.0f} |")
if json_keys:
    print()
    print("### Fixed JSON answer")
    print()
    print(header)
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name in json_keys:
        for c in (1, 64):
            line(name, R[name, c], c)

    gw = ["nginx", "aigw", "aigw+budget", "aigw+log"]
    row = lambda label, f, target="–", verdict="": print(f"| {label} | " + " | ".join(f(n) for n in gw) + f" | {target} | {verdict} |")
    print()
    # The issue's targets hold with auth, the IP window, a team budget and the ledger on:
    # aigw+budget is the row judged.
    judged = "aigw+budget"
    print(f"| measure | nginx | aigw | aigw+budget | aigw+log | target | {judged} |")
    print("|---|--:|--:|--:|--:|--:|---|")
    ratio = lambda n: R[n, 64]["rps"] / R["nginx", 64]["rps"]
    row("req/s at 64 conns ÷ nginx's", lambda n: f"{ratio(n):.2f}", "≥ 1.00", met(ratio(judged) >= 1.0))
    added = lambda n, k="p50": R[n, 1][k] - R["direct", 1][k]
    row("added p50 at 1 conn over direct (µs)", lambda n: f"{added(n):.0f}", "≤ nginx's + 10",
        met(added(judged) <= added("nginx") + 10))
    row("added p99 at 1 conn over direct (µs)", lambda n: f"{added(n, 'p99'):.0f}")
    row("p99 at 64 conns (µs)", lambda n: f"{R[n, 64]['p99']:.0f}", "≤ nginx's",
        met(R[judged, 64]["p99"] <= R["nginx", 64]["p99"]))
    row("server CPU µs/req at 64 conns ÷ nginx's", lambda n: f"{R[n, 64]['cpu'] / R['nginx', 64]['cpu']:.2f}")
    row("idle RSS (MiB)", lambda n: f"{idle[n]:.1f}" if n in idle else "", "≤ 20", met(idle[judged] <= 20))
    row("peak RSS, VmHWM after the load (MiB)", lambda n: f"{peak[n]:.1f}" if n in peak else "")
    if ("aigw+route", 1) in R:
        a, r = R["aigw", 1], R["aigw+route", 1]
        print()
        print(f"Routing (aigw+route: x-portkey-config parsed and walked per request) adds "
              f"{r['p50'] - a['p50']:.0f} µs at the p50 at 1 conn ({a['p50']:.0f} → {r['p50']:.0f}) and "
              f"{R['aigw+route', 64]['cpu'] - R['aigw', 64]['cpu']:.1f} µs of server CPU per request at 64 conns "
              f"({R['aigw', 64]['cpu']:.1f} → {R['aigw+route', 64]['cpu']:.1f}); req/s at 64 conns "
              f"{R['aigw', 64]['rps']:.0f} → {R['aigw+route', 64]['rps']:.0f}.")
    if ("aigw+metrics", 1) in R:
        b, m = R["aigw+budget", 64], R["aigw+metrics", 64]
        print()
        print(f"Metrics (aigw+metrics: aigw+budget with metrics.listen, every request counted) add "
              f"{m['cpu'] - b['cpu']:.1f} µs of server CPU per request at 64 conns "
              f"({b['cpu']:.1f} → {m['cpu']:.1f}); req/s at 64 conns {b['rps']:.0f} → {m['rps']:.0f}; "
              f"p50 at 1 conn {R['aigw+budget', 1]['p50']:.0f} → {R['aigw+metrics', 1]['p50']:.0f} µs.")

if stream_keys:
    label = {"pass-nginx": "passthrough: nginx", "pass-aigw": "passthrough: aigw",
             "trans-nginx": "translated: nginx", "trans-aigw": "translated: aigw"}
    print()
    print(f"### Streamed answer ({deltas} SSE deltas; aigw+stream: auth, team budget and limits)")
    print()
    print(header)
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name in stream_keys:
        for c in (1, 64):
            line(label[name], R[name, c], c)
    print()
    print("| measure | passthrough | translated |")
    print("|---|--:|--:|")
    ratio = {k: R[f"{k}-aigw", 64]["rps"] / R[f"{k}-nginx", 64]["rps"] for k in ("pass", "trans")}
    print(f"| req/s at 64 conns ÷ nginx's | {ratio['pass']:.2f} (target ≥ 0.90: {met(ratio['pass'] >= 0.9)}) "
          f"| {ratio['trans']:.2f} (target ≥ 0.50: {met(ratio['trans'] >= 0.5)}) |")
    print("| p50 at 1 conn, nginx → aigw (µs) | " + " | ".join(
        f"{R[f'{k}-nginx', 1]['p50']:.0f} → {R[f'{k}-aigw', 1]['p50']:.0f}" for k in ("pass", "trans")) + " |")
    print("| server CPU µs/req at 64 conns ÷ nginx's | " + " | ".join(
        f"{R[f'{k}-aigw', 64]['cpu'] / R[f'{k}-nginx', 64]['cpu']:.2f}" for k in ("pass", "trans")) + " |")
    if "aigw+stream" in idle:
        print(f"| aigw+stream RSS idle / peak (MiB) | {idle['aigw+stream']:.1f} / {peak['aigw+stream']:.1f} | |")

notes = [f"{n} at {c} conn(s): {R[n, c]['bad']} non-2xx responses, {R[n, c]['sock']} socket errors"
         + (" (" + ", ".join(f"{k} {R[n, c]['sock_' + k]}" for k in ("connect", "read", "write", "timeout")) + ")"
            if R[n, c]["sock"] else "")
         for n in json_keys + stream_keys for c in (1, 64) if R[n, c]["bad"] or R[n, c]["sock"]]
if busy >= 20:
    notes.append(f"the machine was {busy}% busy before the run: other work skews these numbers")
other = max(r["other"] for r in R.values())
print()
print(f"Other processes took at most {other:.0f}% of the machine's CPU during a measured run.")
if other >= 10:
    notes.append(f"other processes took up to {other:.0f}% of the CPU during the runs: numbers are skewed, run again on a quiet machine")
if notes:
    print()
    for n in notes:
        print(f"WARNING: {n}")
PY
