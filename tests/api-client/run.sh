#!/usr/bin/env bash
# Validates openapi.yaml, generates a TypeScript client from it, compiles the
# checks and runs them against a running syncd.
#
#   tests/api-client/run.sh BASE_URL [WS_BASE_URL]
#   e.g. tests/api-client/run.sh http://127.0.0.1:8000 http://127.0.0.1:8001
#
# Without BASE_URL it stops after validate + generate + compile (exit 0).
# Needs Node.js >= 20 and npm (the npm registry for the first `npm ci`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="$(cd "$here/../.." && pwd)/openapi.yaml"
cd "$here"

# 1. Dependencies, exactly as locked; skipped while node_modules was
#    installed from this very package-lock.json.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.syncd-lock-sha256 2>/dev/null || true)" != "$lock_sum" ]]; then
  echo "api-client: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > node_modules/.syncd-lock-sha256
fi

# 2. The document must be valid (errors fail; warnings are printed).
echo "api-client: validating $spec"
node scripts/validate.mjs "$spec"

# 3. Generate the client types from it, then type-check and compile.
echo "api-client: generating generated/api.d.ts"
rm -rf generated
node_modules/.bin/openapi-typescript "$spec" --output generated/api.d.ts >/dev/null
echo "api-client: compiling"
node_modules/.bin/tsc -p tsconfig.json

if [[ $# -lt 1 || -z "${1:-}" ]]; then
  echo "api-client: no BASE_URL given; validate, generate and compile passed"
  exit 0
fi

# 4. Run the checks.
OPENAPI_FILE="$spec" exec node generated/out/src/main.js "$@"
