#!/usr/bin/env bash
# Load test of syncd: starts a fresh build/syncd on a temporary database on
# free ports (or targets a running one with --url/--http), runs the standard
# scenarios with build/tools/loadgen/syncd_loadgen, then wrk on two REST
# routes, and prints one table. Exits non-zero when any entry got no reply or
# more than one. Traffic goes to 127.0.0.1 only. See docs/benchmarks.md.
#
#   scripts/load-test.sh                 full run (about 1.5 minutes)
#   scripts/load-test.sh --smoke         a few seconds, for CI
#   scripts/load-test.sh --url ws://127.0.0.1:8001 --http http://127.0.0.1:8000
#
# Options:
#   --smoke            2,000 pipelined + 300 chunked entries, no wrk
#   --url URL          use the running server at this WebSocket base URL
#   --http URL         its REST base URL (server stats and wrk; optional with --url)
#   --scenarios LIST   comma list of idle,pipelined,chunked,rate,wrk (default: all),
#                      and initial-load (not in the default list: it starts its own
#                      syncd per run, see below)
#   --entries N        entries of the pipelined scenario (default 100000)
#   --workdir DIR      put the database and logs here and keep them
#   --rows FILE        also append the raw result rows to FILE (used by bench.sh)
#   --keep             keep the temporary folder
#   --baseline BIN     initial-load: also run this syncd binary (e.g. built from main),
#                      interleaved with ours, on the same data
#   --load-entities N  initial-load: entities of the tenant (default 100000)
#   --load-rounds R    initial-load: runs per binary (default 2)
#
# initial-load: a fresh syncd (fresh database) per run seeds one tenant with
# N entities of ~400-byte payloads, then times a full request_initial_data to
# the last byte and syncd's RSS growth during it, the same with page_size
# 1000, an incremental load (since = the full load's cursor) after 100
# changes, and three full loads asked at once on three connections
# (scripts/lib/initial_load_bench.py). Loopback only; not with --url.
# Environment: SYNCD_BUILD_DIR (default build), SYNCD_BIN, SYNCD_LOADGEN,
#   WRK_DURATION (default 10s), WRK_CONNECTIONS (default 32).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${SYNCD_BUILD_DIR:-build}
syncd_bin=${SYNCD_BIN:-$build_dir/syncd}
loadgen=${SYNCD_LOADGEN:-$build_dir/tools/loadgen/syncd_loadgen}

smoke=0
url=""
http=""
scenarios=""
pipelined_entries=100000
workdir=""
rows_file=""
keep=0
baseline_bin=${SYNCD_BASELINE_BIN:-}
load_entities=100000
load_rounds=2
while (($# > 0)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --url) url=${2:?--url needs a value}; shift ;;
    --http) http=${2:?--http needs a value}; shift ;;
    --scenarios) scenarios=${2:?--scenarios needs a value}; shift ;;
    --entries) pipelined_entries=${2:?--entries needs a value}; shift ;;
    --workdir) workdir=${2:?--workdir needs a value}; shift ;;
    --rows) rows_file=${2:?--rows needs a value}; shift ;;
    --keep) keep=1 ;;
    --baseline) baseline_bin=${2:?--baseline needs a value}; shift ;;
    --load-entities) load_entities=${2:?--load-entities needs a value}; shift ;;
    --load-rounds) load_rounds=${2:?--load-rounds needs a value}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "load-test: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z $scenarios ]]; then
  if ((smoke)); then scenarios="pipelined,chunked"; else scenarios="idle,pipelined,chunked,rate,wrk"; fi
fi
[[ $pipelined_entries =~ ^[0-9]+$ ]] || { echo "load-test: --entries must be a number" >&2; exit 2; }
[[ $load_entities =~ ^[1-9][0-9]*$ && $load_rounds =~ ^[1-9][0-9]*$ ]] ||
  { echo "load-test: --load-entities and --load-rounds must be positive numbers" >&2; exit 2; }
[[ -z $baseline_bin || -x $baseline_bin ]] ||
  { echo "load-test: --baseline $baseline_bin is not an executable" >&2; exit 2; }
# Scenarios that use the one shared server (initial-load starts its own).
shared_server=0
[[ ,$scenarios, =~ ,(idle|pipelined|chunked|rate|wrk), ]] && shared_server=1
if [[ ,$scenarios, == *,initial-load,* && -n $url ]]; then
  echo "load-test: initial-load starts its own syncd; it cannot run with --url" >&2; exit 2
fi

# Only loopback targets: this script must never load someone else's server.
is_local() { [[ $1 =~ ^(ws|http)://(127\.0\.0\.1|localhost):[0-9]+/?$ ]]; }
if [[ -n $url ]] && ! is_local "$url"; then
  echo "load-test: --url must be ws://127.0.0.1:PORT (got $url)" >&2; exit 2
fi
if [[ -n $http ]] && ! is_local "$http"; then
  echo "load-test: --http must be http://127.0.0.1:PORT (got $http)" >&2; exit 2
fi
if [[ -n $http && -z $url ]]; then
  echo "load-test: --http needs --url" >&2; exit 2
fi
url=${url%/}
http=${http%/}

# Build only what is missing.
if [[ ! -x $loadgen || (-z $url && ! -x $syncd_bin) ]]; then
  echo "load-test: building (binaries missing)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j2
fi
[[ -x $loadgen ]] || { echo "load-test: $loadgen missing after the build" >&2; exit 1; }

own_workdir=0
if [[ -z $workdir ]]; then
  workdir=$(mktemp -d "${TMPDIR:-/tmp}/syncd-load.XXXXXX")
  own_workdir=1
else
  mkdir -p "$workdir"
fi

# start_syncd / stop_syncd: the same helper scripts/test.sh uses.
source "$(dirname "${BASH_SOURCE[0]}")/lib/syncd-server.sh"
stop_server() {
  local status=0
  stop_syncd || status=$?
  if ((status != 0)); then
    echo "load-test: warning: syncd exited with status $status after SIGTERM (want 0)" >&2
  fi
}
cleanup() {
  stop_server
  if ((own_workdir && !keep)); then rm -rf "$workdir"; fi
  if ((keep)); then echo "load-test: kept $workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_server() {
  [[ -x $syncd_bin ]] || { echo "load-test: $syncd_bin missing" >&2; exit 1; }
  start_syncd "$syncd_bin" "$workdir" || exit 1
  url=$SYNCD_WS_URL
  http=$SYNCD_HTTP_URL
  echo "load-test: started syncd (pid $SYNCD_PID) ws $url http $http db $workdir/syncd.db"
}

if [[ -z $url ]] && ((shared_server)); then start_server; fi

rows=()
failed=0
# run_loadgen NAME ARGS...: one scenario; its row goes into rows[].
run_loadgen() {
  local name=$1 rc=0 row
  shift
  local stats=()
  [[ -n $http ]] && stats=(--stats-url "$http")
  echo "load-test: scenario $name: $*"
  row=$(timeout 600 "$loadgen" --url "$url" "${stats[@]}" --row "$name" \
    --json-out "$workdir/$name.json" "$@") || rc=$?
  if [[ -z $row ]]; then row="$name|-|-|-|-|-|-|-|-|-|FAIL (exit $rc)|-"; fi
  if ((rc != 0)); then
    failed=1
    echo "load-test: scenario $name FAILED (exit $rc); report: $(cat "$workdir/$name.json" 2>/dev/null)" >&2
  fi
  rows+=("$row")
  [[ -z $rows_file ]] || echo "$row" >>"$rows_file"
}

ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  echo "load-test: installing wrk"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq wrk >/dev/null 2>&1 ||
    { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq wrk >/dev/null 2>&1; } ||
    true
  command -v wrk >/dev/null 2>&1
}

run_wrk() {
  local path=$1 name="wrk GET $1" out
  if [[ -z $http ]]; then
    rows+=("$name|-|-|-|-|-|-|-|-|-|skipped (no --http)|-")
    return
  fi
  cat >"$workdir/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("WRKROW|%d|%.0f|%.2f|%.2f|%.2f|%.2f|%d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
  io.write(string.format("WRKERRORS connect %d read %d write %d non-2xx %d timeout %d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
end
LUA
  echo "load-test: scenario $name"
  out=$(timeout 120 wrk -t2 -c"${WRK_CONNECTIONS:-32}" -d"${WRK_DURATION:-10s}" --timeout 5s \
    -s "$workdir/report.lua" "$http$path" 2>&1) || true
  local r
  r=$(grep '^WRKROW|' <<<"$out" | head -n1) || true
  if [[ -z $r ]]; then
    echo "load-test: wrk failed: $out" >&2
    rows+=("$name|-|-|-|-|-|-|-|-|-|wrk failed|-")
    return
  fi
  IFS='|' read -r _ n rps p50 p95 p99 max errors <<<"$r"
  if [[ $errors != 0 ]]; then
    echo "load-test: $name: $(grep '^WRKERRORS' <<<"$out" | head -n1 | cut -d' ' -f2-)" >&2
  fi
  # wrk counts requests, not entries; errors include non-2xx answers.
  rows+=("$name|$n|$rps|$p50|$p95|$p99|$max|-|errors $errors|-|$([[ $errors == 0 ]] && echo OK || echo ERRORS)|-")
  [[ -z $rows_file ]] || echo "${rows[-1]}" >>"$rows_file"
}

# initial-load: runs of ours and of --baseline alternate (the machine may be
# shared and noisy: compare within a round). Results go to load_rows[].
load_rows=()
run_initial_load() {
  local round bin label dir out rc
  # start_syncd/stop_syncd keep one server in SYNCD_PID: set the shared one
  # (if any) aside meanwhile.
  local shared_pid=${SYNCD_PID:-}
  SYNCD_PID=""
  local bins=("$syncd_bin")
  [[ -n $baseline_bin ]] && bins=("$baseline_bin" "$syncd_bin")
  for ((round = 1; round <= load_rounds; round++)); do
    for bin in "${bins[@]}"; do
      label=$([[ $bin == "$baseline_bin" ]] && echo baseline || echo syncd)
      dir="$workdir/initial-load-$label-$round"
      mkdir -p "$dir"
      start_syncd "$bin" "$dir" || { failed=1; SYNCD_PID=$shared_pid; return; }
      echo "load-test: scenario initial-load: $label ($bin) round $round, pid $SYNCD_PID"
      rc=0
      out=$(timeout 900 python3 "$root/scripts/lib/initial_load_bench.py" \
        --ws-port "${SYNCD_WS_URL##*:}" --pid "$SYNCD_PID" --label "$label#$round" \
        --entities "$load_entities") || rc=$?
      stop_server
      if ((rc != 0)); then
        echo "load-test: initial-load $label round $round FAILED (exit $rc)" >&2
        failed=1
      fi
      while IFS= read -r line; do
        [[ $line == ROW\|* ]] && load_rows+=("${line#ROW|}")
      done <<<"$out"
      rm -f "$dir/syncd.db" "$dir/syncd.db-wal" "$dir/syncd.db-shm"
    done
  done
  SYNCD_PID=$shared_pid
}

print_initial_load() {
  ((${#load_rows[@]} > 0)) || return 0
  echo
  printf '%-12s %-26s %10s %11s %8s %11s %7s %11s %7s\n' run load 'ms' 'bytes' messages \
    'rss growth' 'x bytes' 'heap growth' 'x bytes'
  local row run what ms bytes messages growth anon ratio anon_ratio
  for row in "${load_rows[@]}"; do
    IFS='|' read -r run what ms bytes messages growth anon <<<"$row"
    ratio=-
    anon_ratio=-
    [[ $growth != - && $bytes -gt 0 ]] && ratio=$(awk -v g="$growth" -v b="$bytes" 'BEGIN{printf "%.2f", g/b}')
    [[ $anon != - && $bytes -gt 0 ]] && anon_ratio=$(awk -v g="$anon" -v b="$bytes" 'BEGIN{printf "%.2f", g/b}')
    printf '%-12s %-26s %10s %11s %8s %11s %7s %11s %7s\n' "$run" "$what" "$ms" "$bytes" \
      "$messages" "$growth" "$ratio" "$anon" "$anon_ratio"
    [[ -z $rows_file ]] || echo "initial-load|$row" >>"$rows_file"
  done
  echo "(goals: full and paged <= 1000 ms and rss growth <= 3 x bytes; incremental <= 10 ms;"
  echo " rss growth includes the database pages the read maps in, heap growth (RssAnon) does not)"
}

IFS=',' read -r -a wanted <<<"$scenarios"
for s in "${wanted[@]}"; do
  case "$s" in
    idle)
      # One entry at a time on an idle server: the latency of a lone change.
      run_loadgen idle --mode chunked --chunk 1 --connections 1 --tenants 1 --entries 200 \
        --timeout 20
      ;;
    pipelined)
      if ((smoke)); then
        run_loadgen pipelined --mode pipelined --connections 2 --tenants 2 --entries 2000 --timeout 20
      else
        run_loadgen pipelined --mode pipelined --connections 4 --tenants 4 \
          --entries "$pipelined_entries" --timeout 60
      fi
      ;;
    chunked)
      if ((smoke)); then
        run_loadgen chunked --mode chunked --chunk 30 --connections 2 --tenants 2 --entries 300 \
          --timeout 20
      else
        run_loadgen chunked --mode chunked --chunk 30 --connections 4 --tenants 4 --entries 20000 \
          --timeout 30
      fi
      ;;
    rate)
      run_loadgen rate --mode rate --rate 5000 --duration 20 --connections 4 --tenants 4 --timeout 30
      ;;
    wrk)
      if ensure_wrk; then
        run_wrk /health
        run_wrk /api/v1/queue/stats
      else
        rows+=("wrk|-|-|-|-|-|-|-|-|-|skipped (wrk not installable)|-")
      fi
      ;;
    initial-load)
      run_initial_load
      ;;
    *) echo "load-test: unknown scenario $s" >&2; exit 2 ;;
  esac
done

if ((${#rows[@]} > 0)); then
  echo
  printf '%-26s %9s %10s %8s %8s %8s %8s %6s %11s %9s  %s\n' \
    scenario entries 'entries/s' 'p50 ms' 'p95 ms' 'p99 ms' 'max ms' nacks 'missing/dup' 'srv batch' result
  for row in "${rows[@]}"; do
    IFS='|' read -r name n eps p50 p95 p99 max nacks missing dup ok batch <<<"$row"
    md="$missing/$dup"
    [[ $dup == - ]] && md=$missing
    printf '%-26s %9s %10s %8s %8s %8s %8s %6s %11s %9s  %s\n' \
      "$name" "$n" "$eps" "$p50" "$p95" "$p99" "$max" "$nacks" "$md" "$batch" "$ok"
  done
  echo "(wrk rows: entries = requests, entries/s = requests/s)"
fi
print_initial_load

if ((failed)); then
  if [[ -f $workdir/syncd.log ]]; then
    echo "load-test: last lines of the syncd log:" >&2
    tail -n 20 "$workdir/syncd.log" >&2
  fi
  echo "load-test: FAILED: some entries got no reply or more than one" >&2
  exit 1
fi
echo "load-test: OK: every entry got exactly one reply"
