#!/usr/bin/env bash
# Runs every GoogleTest suite through ctest and fails when the run is not a
# real one: no test found (--no-tests=error), any failure, or fewer tests run
# than the floor in tests/expected_test_count. A suite that stops being built
# or discovered (a deleted folder, a discovery that finds nothing) therefore
# fails CI instead of passing with fewer tests.
#
# Usage: scripts/ctest.sh [build-dir] [extra ctest args...]   (default build/)
#
# Raising the floor: after adding tests, run this script; it prints the count
# it saw. Write that number into tests/expected_test_count in the same commit.
# Lowering it (deleting tests) must be a deliberate, reviewed change too.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift || true

floor=$(grep -v '^[[:space:]]*#' "$root/tests/expected_test_count" | tr -d '[:space:]')
if ! [[ $floor =~ ^[0-9]+$ ]] || ((floor == 0)); then
  echo "ctest.sh: tests/expected_test_count must hold a positive integer" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/syncd-ctest.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
(cd "$build" && ctest --no-tests=error --output-on-failure --timeout 600 "$@") 2>&1 |
  tee "$log" || status=$?
if ((status != 0)); then
  echo "ctest.sh: ctest failed (exit $status)" >&2
  exit "$status"
fi

# ctest's summary: "100% tests passed, 0 tests failed out of 312".
ran=$(sed -n 's/.*tests failed out of \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
if [[ -z $ran ]]; then
  echo "ctest.sh: no ctest summary line; cannot tell how many tests ran" >&2
  exit 1
fi
if ((ran < floor)); then
  echo "ctest.sh: only $ran tests ran, fewer than the $floor in tests/expected_test_count" >&2
  exit 1
fi
echo "ctest.sh: $ran tests ran (floor $floor)"
