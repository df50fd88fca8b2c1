#!/usr/bin/env bash
# A throwaway PostgreSQL server in a folder of its own, for the tests and for
# scripts/run.sh --postgres: initdb, then pg_ctl on a free local port. The
# server runs as an unprivileged user (PostgreSQL refuses root): as root, the
# folder is handed to `postgres` (or `nobody`) and the commands run through
# runuser. Trust authentication on 127.0.0.1 and a socket inside the folder
# only; fsync off unless --durable (test data is thrown away with the folder).
#
#   scripts/lib/pg-server.sh bindir            the PostgreSQL bin folder; exit 1 when missing
#   scripts/lib/pg-server.sh start DIR [--durable]   (DIR's parents must be
#                                              traversable by that user: chmod 711 a mktemp -d)
#                                              prints postgresql://syncd@127.0.0.1:PORT/postgres
#   scripts/lib/pg-server.sh stop DIR          stops it (the folder stays; remove it yourself)
#
# A DIR that already holds a server's files is started again as it is (its
# data kept, its last port tried first): scripts/run.sh --postgres keeps one
# in data/postgres across runs.
set -euo pipefail

find_bindir() {
  local d
  if [[ -n ${SYNCD_PG_BINDIR:-} ]]; then
    [[ -x $SYNCD_PG_BINDIR/initdb && -x $SYNCD_PG_BINDIR/pg_ctl ]] && echo "$SYNCD_PG_BINDIR" && return 0
    return 1
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && echo "$d" && return 0
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  return 1
}

run_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    local user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
case $cmd in
  bindir)
    find_bindir
    ;;
  start)
    dir=${2:?usage: pg-server.sh start DIR [--durable]}
    durable=${3:-}
    bin=$(find_bindir) || { echo "pg-server: PostgreSQL binaries (initdb, pg_ctl) not found" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
      user=postgres
      id -u "$user" >/dev/null 2>&1 || user=nobody
      chown "$user" "$dir"
      if ! runuser -u "$user" -- test -w "$dir"; then
        echo "pg-server: user $user cannot reach $dir (a parent folder is private:" \
             "chmod 711 it, or use another folder)" >&2
        exit 1
      fi
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      nosync=--no-sync
      [[ $durable == --durable ]] && nosync=""
      run_as_owner "$bin/initdb" -D "$dir/data" -U syncd -A trust -E UTF8 --locale=C $nosync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    extra="-c fsync=off -c full_page_writes=off"
    [[ $durable == --durable ]] && extra=""
    # A free port: try a few random ones (pg_ctl fails fast on a taken one).
    last=$(cat "$dir/port" 2>/dev/null || true)
    for attempt in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 30000))
      [[ $attempt == 1 && -n $last ]] && port=$last
      if run_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' -c max_connections=400 $extra" \
        start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "postgresql://syncd@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "pg-server: could not start PostgreSQL; its log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    dir=${2:?usage: pg-server.sh stop DIR}
    bin=$(find_bindir) || exit 0
    [[ -f $dir/data/postmaster.pid ]] || exit 0
    run_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: pg-server.sh bindir | start DIR [--durable] | stop DIR" >&2
    exit 2
    ;;
esac
