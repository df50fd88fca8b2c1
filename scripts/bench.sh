#!/usr/bin/env bash
# How close syncd gets to the disk: in one run, on one temporary folder (same
# disk), measures the SQLite ceiling (build/tools/sqlite_ceiling/
# syncd_sqlite_ceiling: only the durable writes syncd does per entry, WAL,
# synchronous=FULL, batches of 256) and the pipelined scenario of
# scripts/load-test.sh against a fresh syncd, then prints syncd's entries/s as
# a fraction of the ceiling. See docs/benchmarks.md.
#
# With --postgres: starts a throwaway PostgreSQL (scripts/lib/pg-server.sh,
# fsync on, synchronous_commit=on; as root it runs as the postgres user or
# nobody) and measures, interleaved, --rounds times, each on a fresh database:
#   ceiling     build/tools/pg_ceiling/syncd_pg_ceiling: syncd's schema and
#               statements, only the durable work per entry, batches of 256,
#               one pipelined round trip per transaction, 1 connection (as one
#               instance's write connection);
#   1 instance  one syncd, the pipelined scenario (4 connections, 4 tenants);
#   2 instances two syncds on the same database, the same load spread over
#               them: one load generator each, 2 connections and 2 tenants of
#               its own, half the entries;
#               entries/s = all entries / the longer of the two runs.
# Then prints each round, the medians and the ratios (goals: 1 instance >=
# 0.5 x ceiling; 2 instances >= 1 instance). See docs/scaling.md.
#
#   scripts/bench.sh [--entries N]            SQLite (default 100000 entries)
#   scripts/bench.sh --postgres [--entries N] [--rounds N] [--ceiling-connections N]
#                    [--ceiling-batch N]      (default 50000 entries, 2 rounds, 1, 256)
# syncd's apply batches grow up to --batch-max (512) when commits are slow; the
# bench prints the average it saw, and --ceiling-batch 512 compares like with like.
# Environment: SYNCD_BUILD_DIR (default build), BENCH_TMPDIR (default $TMPDIR or /tmp),
#   SYNCD_PG_BINDIR (PostgreSQL's bin folder; default: found under /usr/lib/postgresql).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${SYNCD_BUILD_DIR:-build}
ceiling_bin=${SYNCD_CEILING:-$build_dir/tools/sqlite_ceiling/syncd_sqlite_ceiling}

entries=""
postgres=0
rounds=2
ceiling_connections=1
ceiling_batch=256
while (($# > 0)); do
  case "$1" in
    --entries) entries=${2:?--entries needs a value}; shift ;;
    --postgres) postgres=1 ;;
    --rounds) rounds=${2:?--rounds needs a value}; shift ;;
    --ceiling-connections) ceiling_connections=${2:?--ceiling-connections needs a value}; shift ;;
    --ceiling-batch) ceiling_batch=${2:?--ceiling-batch needs a value}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z $entries ]]; then entries=100000; ((postgres)) && entries=50000; fi
[[ $entries =~ ^[0-9]+$ ]] || { echo "bench: --entries must be a number" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench: --rounds must be a number >= 1" >&2; exit 2; }
[[ $ceiling_connections =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench: --ceiling-connections must be a number >= 1" >&2; exit 2; }
[[ $ceiling_batch =~ ^[1-9][0-9]*$ ]] || { echo "bench: --ceiling-batch must be a number >= 1" >&2; exit 2; }
if ((postgres)); then
  exec "$root/scripts/lib/bench-postgres.sh" "$entries" "$rounds" "$ceiling_connections" "$ceiling_batch"
fi

if [[ ! -x $ceiling_bin || ! -x ${SYNCD_BIN:-$build_dir/syncd} ||
      ! -x ${SYNCD_LOADGEN:-$build_dir/tools/loadgen/syncd_loadgen} ]]; then
  echo "bench: building (binaries missing)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j2
fi

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/syncd-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(lscpu 2>/dev/null |
  sed -n 's/^Model name: *//p' | head -n1)), folder $work on $(df -P "$work" | awk 'NR==2{print $1}')"

ceiling_json=$("$ceiling_bin" --db "$work/ceiling.db" --entries "$entries" --json)
rm -f "$work"/ceiling.db*
ceiling=$(sed -n 's/.*"entries_per_s":\([0-9.]*\).*/\1/p' <<<"$ceiling_json")
echo "bench: SQLite ceiling: $ceiling_json"

rc=0
scripts/load-test.sh --scenarios pipelined --entries "$entries" --workdir "$work/load" \
  --rows "$work/rows" || rc=$?
syncd_eps=$(awk -F'|' '$1 == "pipelined" { print $3; exit }' "$work/rows" 2>/dev/null || true)

echo
printf '%-46s %12s\n' measurement 'entries/s'
printf '%-46s %12.0f\n' "SQLite ceiling (WAL, FULL, batch 256)" "$ceiling"
printf '%-46s %12s\n' "syncd pipelined ($entries entries, 4 connections)" "${syncd_eps:--}"
if [[ -n $syncd_eps && $syncd_eps != - ]]; then
  awk -v s="$syncd_eps" -v c="$ceiling" \
    'BEGIN { printf "%-46s %12.2f\n", "syncd / ceiling", (c > 0 ? s / c : 0) }'
fi
exit "$rc"
