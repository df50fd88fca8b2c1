#!/usr/bin/env bash
# Sets up and runs syncd on its embedded SQLite default (data/syncd.db):
# installs the Debian packages it needs (idempotent), builds build/syncd in
# Release mode and the operator console (console/dist, served at
# http://127.0.0.1:8000/console/) when its sources changed, and starts syncd
# in the foreground. Without Node.js/npm (and no way to install them) syncd
# still runs; /console/ then says how to build the console. Extra arguments
# go to syncd, e.g. scripts/run.sh --http-port 9000. Stop it with Ctrl-C
# (graceful).
#
# scripts/run.sh --postgres [syncd options]: the same on PostgreSQL instead: a
# local server kept in data/postgres (initdb on first use, as the `postgres`
# user when run as root, fsync on; stopped again when syncd exits) and syncd
# on --db postgresql://syncd@127.0.0.1:PORT/postgres. Start more instances
# on the same URL (printed at start) with other ports to try several.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

postgres=0
if [[ ${1:-} == --postgres ]]; then
  postgres=1
  shift
fi

scripts/install-deps.sh
if ((postgres)); then scripts/install-deps.sh --only postgresql; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSYNCD_BUILD_TESTS=OFF >/dev/null
cmake --build build --target syncd -j"$(nproc)"
if ! scripts/build-console.sh; then
  echo "run: WARNING: the operator console could not be built (Node.js/npm?);" \
       "syncd runs without it (see scripts/build-console.sh)" >&2
fi
if ((postgres)); then
  mkdir -p data
  url=$(scripts/lib/pg-server.sh start data/postgres --durable)
  trap 'scripts/lib/pg-server.sh stop data/postgres' EXIT
  echo "run: PostgreSQL at $url (data/postgres)"
  build/syncd --db "$url" "$@"
  exit $?
fi
exec build/syncd "$@"
