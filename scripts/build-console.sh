#!/usr/bin/env bash
# Builds the operator console (console/, TypeScript + Vite) into
# console/dist, which syncd serves at /console/ (--console-dir).
# Idempotent: Node.js and npm are installed from Debian only when missing;
# `npm ci` runs only when package-lock.json changed since the last install;
# the build is skipped when dist/ is newer than every source file
# (--force rebuilds). Usage: scripts/build-console.sh [--force]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../console"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build-console: installing nodejs and npm (Debian)"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.syncd-lock-sha256 2>/dev/null || true)" != "$lock_sum" ]]; then
  echo "build-console: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > node_modules/.syncd-lock-sha256
fi

if [[ "${1:-}" != "--force" && -f dist/index.html ]] &&
   [[ -z "$(find src public index.html vite.config.ts tsconfig.json package-lock.json \
              -newer dist/index.html -print -quit 2>/dev/null)" ]]; then
  echo "build-console: console/dist is up to date"
  exit 0
fi
echo "build-console: building console/dist"
npm run --silent build
