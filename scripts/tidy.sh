#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone, performance, modernize, concurrency;
# every warning an error) over the project's .cc files, using the compile
# commands of a CMake build (CMAKE_EXPORT_COMPILE_COMMANDS is ON).
#
# Usage:
#   scripts/tidy.sh                 files changed against the merge-base with
#                                   origin/main (else main, else HEAD~1)
#   scripts/tidy.sh REF             files changed against the merge-base with REF
#   scripts/tidy.sh --all           every .cc file of the build
#   scripts/tidy.sh --modules "api app domain"   every .cc file under those folders
# Environment: BUILD_DIR (default build/), JOBS (default nproc),
# CLANG_TIDY (default clang-tidy-14, else clang-tidy).
#
# A changed header makes every .cc file of its folder (and its tests) count
# as changed. Files outside the build (tools/ without SYNCD_BUILD_TOOLS) are
# skipped. Exit 0 when clean, 1 on any finding, 2 on a usage/setup error.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}
tidy=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
if [[ -z "$tidy" ]]; then
  echo "tidy.sh: clang-tidy not found (apt-get install clang-tidy)" >&2
  exit 2
fi
cd "$root"

if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "tidy.sh: configuring $build for its compile_commands.json"
  cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
fi

# Every .cc file the build compiles, relative to the root.
mapfile -t built < <(python3 - "$build/compile_commands.json" "$root" <<'PY'
import json, os, sys
root = sys.argv[2]
seen = set()
for e in json.load(open(sys.argv[1])):
    f = os.path.relpath(os.path.join(e["directory"], e["file"]), root)
    if f.endswith(".cc") and not f.startswith("..") and f not in seen:
        seen.add(f)
        print(f)
PY
)

mode=changed
ref=""
modules=""
case "${1:-}" in
  --all) mode=all ;;
  --modules) mode=modules; modules=${2:?"--modules needs a list of folders"} ;;
  -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
  "") ;;
  *) ref=$1 ;;
esac

files=()
if [[ $mode == all ]]; then
  files=("${built[@]}")
elif [[ $mode == modules ]]; then
  for f in "${built[@]}"; do
    for m in $modules; do
      if [[ $f == "$m"/* || $f == tests/"$m"/* ]]; then files+=("$f"); break; fi
    done
  done
else
  if [[ -z $ref ]]; then
    for candidate in origin/main main HEAD~1; do
      if git rev-parse --verify -q "$candidate^{commit}" >/dev/null; then ref=$candidate; break; fi
    done
  fi
  base=$(git merge-base HEAD "$ref" 2>/dev/null || git rev-parse "$ref")
  # Committed changes since the merge-base plus uncommitted ones.
  mapfile -t changed < <({ git diff --name-only "$base" --; git ls-files --others --exclude-standard; } | sort -u)
  dirs=()
  for c in "${changed[@]}"; do
    [[ $c == *.h ]] && dirs+=("$(dirname "$c" | sed 's#/include/.*##')")
  done
  for f in "${built[@]}"; do
    hit=0
    for c in "${changed[@]}"; do [[ $f == "$c" ]] && hit=1 && break; done
    if ((!hit)); then
      for d in "${dirs[@]}"; do
        if [[ $f == "$d"/* || $f == tests/"${d#tests/}"/* ]]; then hit=1; break; fi
      done
    fi
    ((hit)) && files+=("$f")
  done
  echo "tidy.sh: ${#files[@]} file(s) changed against $ref ($(git rev-parse --short "$base"))"
fi

if ((${#files[@]} == 0)); then
  echo "tidy.sh: nothing to check"
  exit 0
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/syncd-tidy.XXXXXX")
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
echo "tidy.sh: $("$tidy" --version | grep -o 'version [0-9.]*'), ${#files[@]} file(s), $jobs job(s)"
# One clang-tidy per file; its output goes to its own log, printed below.
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} sh -c \
  '"$1" -p "$2" --quiet "$3" >"$4/$(echo "$3" | tr / _).log" 2>&1 || echo "$3" >>"$4/failed"' \
  sh "$tidy" "$build" {} "$out"

failed=0
if [[ -f "$out/failed" ]]; then
  failed=$(sort -u "$out/failed" | wc -l)
  for f in $(sort -u "$out/failed"); do
    echo "=== $f"
    # Drop clang-tidy's "N warnings generated" / "Suppressed" chatter.
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' \
      "$out/$(echo "$f" | tr / _).log" || true
  done
fi
if ((failed > 0)); then
  echo "tidy.sh: findings by check:"
  # A header's finding shows once per file that includes it: count it once.
  cat "$out"/*.log | grep -E '^[^ ].*: (warning|error): .*\]$' | sort -u |
    grep -oE '\[[a-z0-9.-]+(,-warnings-as-errors)?\]$' | sed -E 's/^\[|(,-warnings-as-errors)?\]$//g' |
    sort | uniq -c | sort -rn
fi
echo "tidy.sh: ${#files[@]} file(s) in $(($(date +%s) - start)) s; $failed with findings"
((failed == 0))
