#!/usr/bin/env bash
# The operator console in a real browser against the real binary (console.md,
# Rules): builds the console (and build/syncd when missing), installs
# Debian's Chromium when missing (no browser download), then
#   1. starts syncd with every apply commit failing (SYNCD_FAULT_COMMIT_RATE=1,
#      --max-attempts 1) and dead-letters one entry (console/tests/make-dead.mjs);
#   2. restarts syncd on the same database without the fault and runs the
#      browser suite (console/tests/console.test.mjs): live overview, retry
#      of the dead entry reaching its WebSocket client, "take incoming"
#      reaching a second client, tenants/entity/entry pages, phone width,
#      no console errors; screenshots go to docs/console/;
#   3. starts syncd in token mode with an operator account and checks the
#      console's sign-in (console/tests/sign-in.test.mjs).
# Usage: scripts/console-test.sh [--no-screenshots]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
t0=$(date +%s)

scripts/install-deps.sh --only chromium

scripts/build-console.sh
if [[ ! -x build/syncd ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target syncd -j"$(nproc)"
fi

shots="$root/docs/console"
[[ "${1:-}" == "--no-screenshots" ]] && shots=""

source scripts/lib/syncd-server.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/console-test.XXXXXX")
trap 'stop_syncd || true; rm -rf "$work"' EXIT

echo "== console-test: dead-lettering an entry (every apply commit fails)"
SYNCD_FAULT_COMMIT_RATE=1 SYNCD_FAULT_SEED=13 \
  start_syncd "$root/build/syncd" "$work" --max-attempts 1 --retry-base-ms 1 \
  --console-dir "$root/console/dist"
(cd console && SYNCD_WS_URL="$SYNCD_WS_URL" node tests/make-dead.mjs)
stop_syncd

echo "== console-test: the browser suite (same database, no fault)"
start_syncd "$root/build/syncd" "$work" --console-dir "$root/console/dist"
(cd console && SYNCD_HTTP_URL="$SYNCD_HTTP_URL" SYNCD_WS_URL="$SYNCD_WS_URL" \
  SCREENSHOT_DIR="$shots" node tests/console.test.mjs)
echo "== console-test: stopping syncd"
stop_syncd

echo "== console-test: sign-in against a token-mode syncd (accounts.md)"
mkdir -p "$work/token"
head -c 48 /dev/urandom | base64 >"$work/token/jwt-secret"
operator_password="console-test-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$operator_password" | "$root/build/syncd" user add --operator --email operator@example.org \
  --name Operator --db "$work/token/syncd.db" >/dev/null
start_syncd "$root/build/syncd" "$work/token" --console-dir "$root/console/dist" \
  --auth token --jwt-secret-file "$work/token/jwt-secret"
(cd console && SYNCD_HTTP_URL="$SYNCD_HTTP_URL" OPERATOR_EMAIL=operator@example.org \
  OPERATOR_PASSWORD="$operator_password" node tests/sign-in.test.mjs)
stop_syncd
echo "== console-test: passed in $(($(date +%s) - t0)) s"
