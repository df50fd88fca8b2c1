#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian (and npm) packages the
# build and tests need (idempotent), checks formatting, builds everything,
# runs the GoogleTest suites with ctest (failing on zero tests or fewer than
# tests/expected_test_count; the store, end-to-end and crash suites run on
# SQLite and on a throwaway PostgreSQL server started for the run, which must
# be there: SYNCD_REQUIRE_POSTGRES=1), a seconds-long load-test smoke run (every entry
# answered exactly once), the generated TypeScript client against a running
# syncd, asyncapi.yaml against every WebSocket frame the tests saw,
# clang-tidy, the deploy/ rules and dashboard, the operator console in headless
# Chromium, the suites again under ASan+UBSan (clang, build-asan/) and a
# 60-second libFuzzer run over message parsing. Exits non-zero on the first
# failure. Long fuzzing: scripts/fuzz.sh SECONDS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

scripts/install-deps.sh --test
source scripts/lib/test-postgres.sh
source scripts/lib/syncd-server.sh
work=""
trap 'stop_syncd || true; stop_test_postgres; [[ -z $work ]] || rm -rf "$work"' EXIT

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
# Every WebSocket frame the tests send or receive is recorded for the
# AsyncAPI check below.
frames="$root/build/frames.jsonl"
rm -f "$frames"
start_test_postgres
export SYNCD_REQUIRE_NGINX=1  # installed above: LoadBalancerTest must not skip
SYNCD_RECORD_FRAMES="$frames" scripts/ctest.sh build -j2

echo "== asyncapi.yaml, and every recorded frame against it"
tests/asyncapi/run.sh "$frames"

echo "== load-test smoke"
scripts/load-test.sh --smoke

echo "== generated TypeScript client against a running syncd"
work=$(mktemp -d "${TMPDIR:-/tmp}/syncd-test.XXXXXX")
start_syncd "$root/build/syncd" "$work"
tests/api-client/run.sh "$SYNCD_HTTP_URL" "${SYNCD_WS_URL/ws:/http:}"
stop_syncd

echo "== generated TypeScript client against a token-mode syncd (accounts.md)"
mkdir -p "$work/token"
head -c 48 /dev/urandom | base64 >"$work/token/jwt-secret"
start_syncd "$root/build/syncd" "$work/token" --auth token --jwt-secret-file "$work/token/jwt-secret"
API_CLIENT_AUTH=token tests/api-client/run.sh "$SYNCD_HTTP_URL"
stop_syncd

echo "== clang-tidy (.clang-tidy) over domain, common, wire, api, app"
scripts/tidy.sh --modules "domain common wire api app"

echo "== deploy/: alert rules (promtool), dashboard, metric names"
scripts/check-deploy.sh

echo "== operator console in headless Chromium"
scripts/console-test.sh --no-screenshots

echo "== sanitizer build (ASan+UBSan) and its suites"
stop_test_postgres  # sanitize.sh starts its own
scripts/sanitize.sh

echo "== fuzzing message parsing (60 s, committed corpus)"
scripts/fuzz.sh 60
echo "== all tests passed"
