#!/usr/bin/env bash
# Runs the JWT fuzzer for FUZZ_SECONDS (default 60) from a small seed corpus.
set -euo pipefail
build_dir=${1:-build/fuzz}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
printf 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2ln' >"$corpus/es256"
printf 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.' >"$corpus/none"
printf 'a.b.c' >"$corpus/short"
"$build_dir/fuzz/jwt_fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 "$corpus"
