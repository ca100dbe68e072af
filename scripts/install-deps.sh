#!/usr/bin/env bash
# Installs what aigw needs to build, test and benchmark, from Debian 12 packages only.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev libyaml-cpp-dev libcli11-dev libsqlite3-dev libhiredis-dev libjemalloc-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  openssl curl python3 jq
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(wrk nginx-light); fi
if [[ "${1:-}" == "--fuzz" ]]; then packages+=(clang libclang-rt-14-dev); fi
if [[ "${1:-}" == "--format" ]]; then packages+=(clang-format); fi
# The Redis state backend is tested against a real redis-server, and replicas behind a real
# nginx, both started by the tests; the dashboard in a real headless Chromium (playwright-core
# from npm drives Debian's chromium).
if [[ "${1:-}" == "--test" ]]; then packages+=(redis-server nginx-light chromium); fi
# The end-to-end tests drive the official SDKs with Node.js (Debian's, unless one is installed).
if [[ "${1:-}" == "--test" ]] && ! command -v node >/dev/null; then packages+=(nodejs npm); fi

install_test_node_modules() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e"
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "install-deps: npm ci in tests/e2e" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  # OpenCode's package names one binary package per platform and a registry mirror may hold
  # only some: no lock file can list them all for `npm ci`. It is added afterwards, pinned.
  local opencode=opencode-ai@1.18.33
  if [[ ! -x "$dir/node_modules/.bin/opencode" ]]; then
    echo "install-deps: npm install $opencode in tests/e2e" >&2
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "$opencode" >/dev/null)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then

  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ "${1:-}" == "--test" ]]; then install_test_node_modules; fi
