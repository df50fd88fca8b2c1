#!/usr/bin/env bash
# Sets up and runs syncd on its embedded SQLite default (data/syncd.db):
# installs the Debian packages it needs (idempotent), builds build/syncd in
# Release mode, and starts it in the foreground. Extra arguments go to syncd,
# e.g. scripts/run.sh --http-port 9000. Stop it with Ctrl-C (graceful).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSYNCD_BUILD_TESTS=OFF >/dev/null
cmake --build build --target syncd -j"$(nproc)"
exec build/syncd "$@"
