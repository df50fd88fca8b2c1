#!/usr/bin/env bash
# scripts/bench.sh --postgres (see its --help): the PostgreSQL ceiling, one
# syncd and two syncds on one database, interleaved, each on a fresh
# database of one throwaway server.
#   scripts/lib/bench-postgres.sh ENTRIES ROUNDS CEILING_CONNECTIONS CEILING_BATCH
set -euo pipefail

entries=${1:?entries}
rounds=${2:?rounds}
ceiling_connections=${3:?ceiling connections}
ceiling_batch=${4:-256}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
build_dir=${SYNCD_BUILD_DIR:-build}
ceiling_bin=${SYNCD_PG_CEILING:-$build_dir/tools/pg_ceiling/syncd_pg_ceiling}
syncd_bin=${SYNCD_BIN:-$build_dir/syncd}
loadgen=${SYNCD_LOADGEN:-$build_dir/tools/loadgen/syncd_loadgen}

pg_bin=$(scripts/lib/pg-server.sh bindir) || {
  echo "bench: PostgreSQL binaries (initdb, pg_ctl, psql) not found: install postgresql" \
       "or set SYNCD_PG_BINDIR" >&2
  exit 1
}
if [[ ! -x $ceiling_bin || ! -x $syncd_bin || ! -x $loadgen ]]; then
  echo "bench: building (binaries missing)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j2 --target syncd syncd_loadgen syncd_pg_ceiling
fi

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/syncd-bench-pg.XXXXXX")
chmod 711 "$work"  # the server's user (as root: postgres or nobody) must reach pg/

source scripts/lib/syncd-server.sh
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/lib/pg-server.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Durable: fsync on, full_page_writes on, synchronous_commit as the server
# defaults (on).
url=$(scripts/lib/pg-server.sh start "$work/pg" --durable)
base=${url%/postgres}
psql() { PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)
version=$("$pg_bin/postgres" --version | awk '{print $3}')
settings="synchronous_commit=$(psql "$url" -Atc 'SHOW synchronous_commit')"
settings+=", fsync=$(psql "$url" -Atc 'SHOW fsync')"
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu), PostgreSQL $version" \
  "in $work/pg on $(df -P "$work" | awk 'NR==2{print $1}'), $settings"
echo "bench: $entries entries per measurement, $rounds round(s)"

fresh_db() {  # fresh_db NAME: prints its URL
  psql "$url" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "$base/$1"
}
drop_db() { psql "$url" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null || true; }
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -n1; }

measure_ceiling() {  # prints entries/s
  local db out
  db=$(fresh_db bench_ceiling)
  out=$("$ceiling_bin" --db "$db" --entries "$entries" --connections "$ceiling_connections" \
    --batch "$ceiling_batch" --json)
  echo "bench:   ceiling: $out" >&2
  drop_db bench_ceiling
  sed -n 's/.*"entries_per_s":\([0-9.]*\).*/\1/p' <<<"$out"
}

# start_instance DIR DB ID: a syncd on DB; sets inst_ws, inst_http and
# appends to pids.
start_instance() {
  mkdir -p "$1"
  start_syncd "$syncd_bin" "$1" --db "$2" --instance-id "$3" || {
    echo "bench: syncd $3 did not start" >&2
    return 1
  }
  inst_ws=$SYNCD_WS_URL
  inst_http=$SYNCD_HTTP_URL
  pids+=("$SYNCD_PID")
}
stop_instances() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# measure_syncd N: N instances on one fresh database, the pipelined scenario's
# load (4 connections, 4 tenants, one connection each) spread over them: one
# load generator per instance with 4/N connections and tenants of its own,
# the entries split evenly.
# Prints entries/s: all entries / the longest load generator run. The rows
# on stderr end with the instance's average apply batch during the run.
measure_syncd() {
  local n=$1 i db share ws=() http=() lg=() rc=0 seconds max=0 answered total=0 ok=1
  db=$(fresh_db "bench_syncd$n")
  for ((i = 1; i <= n; i++)); do
    start_instance "$work/syncd$n-$i" "$db" "bench-$i" || { stop_instances; return 1; }
    ws+=("$inst_ws")
    http+=("$inst_http")
  done
  for ((i = 1; i <= n; i++)); do
    share=$((entries / n + (i <= entries % n ? 1 : 0)))
    timeout 600 "$loadgen" --url "${ws[i - 1]}" --mode pipelined --connections $((4 / n)) \
      --tenants $((4 / n)) --tenant-prefix "bench$n-$i" \
      --entries "$share" --timeout 60 --stats-url "${http[i - 1]}" \
      --json-out "$work/lg$n-$i.json" --row "syncd$n-$i" \
      >"$work/lg$n-$i.row" 2>"$work/lg$n-$i.err" &
    lg+=($!)
  done
  for i in "${!lg[@]}"; do wait "${lg[i]}" || rc=$?; done
  stop_instances
  drop_db "bench_syncd$n"
  for ((i = 1; i <= n; i++)); do
    echo "bench:   $n instance(s), load generator $i: $(cat "$work/lg$n-$i.row")" >&2
    seconds=$(json_field "$work/lg$n-$i.json" seconds)
    answered=$(json_field "$work/lg$n-$i.json" answered)
    [[ -n $seconds && -n $answered ]] || { ok=0; continue; }
    total=$((total + answered))
    max=$(awk -v a="$max" -v b="$seconds" 'BEGIN { print (b > a ? b : a) }')
  done
  if ((rc != 0 || !ok)); then
    echo "bench: a load generator failed (exit $rc); see the rows above" >&2
    echo "-"
    return 0
  fi
  awk -v t="$total" -v s="$max" 'BEGIN { printf "%.1f\n", (s > 0 ? t / s : 0) }'
}

ceil=()
one=()
two=()
for ((r = 1; r <= rounds; r++)); do
  echo "bench: round $r of $rounds"
  ceil+=("$(measure_ceiling)")
  one+=("$(measure_syncd 1)")
  two+=("$(measure_syncd 2)")
done

median() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 }
  END { if (NR == 0) print "-"; else if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2];
        else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
  else printf "%.2f\n", a / b }'; }

echo
printf '%-52s' "entries/s ($entries entries each)"
for ((r = 1; r <= rounds; r++)); do printf ' %9s' "round $r"; done
printf ' %9s\n' median
row() {
  local label=$1 v
  shift
  printf '%-52s' "$label"
  for v in "$@"; do [[ $v == - ]] && printf ' %9s' - || printf ' %9.0f' "$v"; done
  printf ' %9s\n' "$(median "$@")"
}
row "PostgreSQL ceiling ($ceiling_connections connection(s), batch $ceiling_batch)" "${ceil[@]}"
row "syncd, 1 instance (4 connections)" "${one[@]}"
row "syncd, 2 instances, one database (2 x 2 connections)" "${two[@]}"
m_ceil=$(median "${ceil[@]}")
m_one=$(median "${one[@]}")
m_two=$(median "${two[@]}")
r1=$(ratio "$m_one" "$m_ceil")
r2=$(ratio "$m_two" "$m_one")
echo
echo "1 instance / ceiling:    $r1 (goal >= 0.50)"
echo "2 instances / 1 instance: $r2 (goal >= 1.00)"
[[ $m_one != - && $m_two != - ]] || exit 1
exit 0
