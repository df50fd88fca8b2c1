#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian (and npm) packages the
# build and tests need (idempotent), checks formatting, builds everything,
# runs the GoogleTest suites with ctest, a seconds-long load-test smoke run
# (every entry answered exactly once) and the generated TypeScript client
# against a running syncd. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

scripts/install-deps.sh --test

echo "== format check (clang-format)"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || true)
if ((${#sources[@]})); then
  clang-format --dry-run --Werror "${sources[@]}"
fi

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

echo "== unit and end-to-end tests"
# Fails on zero tests and on fewer tests than tests/expected_test_count.
scripts/ctest.sh build -j2

echo "== load-test smoke"
scripts/load-test.sh --smoke

echo "== generated TypeScript client against a running syncd"
source scripts/lib/syncd-server.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/syncd-test.XXXXXX")
trap 'stop_syncd || true; rm -rf "$work"' EXIT
start_syncd "$root/build/syncd" "$work"
tests/api-client/run.sh "$SYNCD_HTTP_URL" "${SYNCD_WS_URL/ws:/http:}"
stop_syncd
echo "== all tests passed"
