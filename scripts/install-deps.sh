#!/usr/bin/env bash
# Installs what aigw needs to build, test and benchmark, from Debian 12 packages only.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev libyaml-cpp-dev libcli11-dev libsqlite3-dev libhiredis-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  openssl curl python3 jq
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(wrk nginx-light); fi
if [[ "${1:-}" == "--fuzz" ]]; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
