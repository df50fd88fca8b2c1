#!/usr/bin/env bash
# Validates asyncapi.yaml with @asyncapi/parser and, given a frames file,
# checks every recorded WebSocket frame against its message schemas.
#
#   tests/asyncapi/run.sh [FRAMES_FILE] [--strict-sent]
#
# Record frames by running the end-to-end tests with SYNCD_RECORD_FRAMES set:
#   rm -f /tmp/frames.jsonl
#   SYNCD_RECORD_FRAMES=/tmp/frames.jsonl build/tests/e2e/e2e_test
#   tests/asyncapi/run.sh /tmp/frames.jsonl
# Without FRAMES_FILE only the document is validated.
# Needs Node.js >= 20 and npm (the npm registry for the first `npm ci`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
doc="$(cd "$here/../.." && pwd)/asyncapi.yaml"
args=()
for a in "$@"; do
  if [[ "$a" == --* ]]; then args+=("$a"); else args+=("$(realpath "$a")"); fi
done
cd "$here"

# Dependencies, exactly as locked; skipped while node_modules was installed
# from this very package-lock.json.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.syncd-lock-sha256 2>/dev/null || true)" != "$lock_sum" ]]; then
  echo "asyncapi: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > node_modules/.syncd-lock-sha256
fi

exec node scripts/validate.mjs "$doc" ${args[@]+"${args[@]}"}
