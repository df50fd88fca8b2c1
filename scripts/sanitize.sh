#!/usr/bin/env bash
# Builds syncd and its test suites with clang's AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/) and runs the suites there. Any
# report fails the run: the build stops at the first UB report
# (-fno-sanitize-recover) and ASan aborts on the first memory error.
#
#   scripts/sanitize.sh            all suites
#   scripts/sanitize.sh -R Entry   only tests whose name matches (ctest -R)
#
# Installs clang and its sanitizer runtime with apt when missing (idempotent).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --test

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
echo "== sanitizer build (clang, ASan+UBSan) in build-asan/"
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSYNCD_SANITIZE=ON -DSYNCD_BUILD_TOOLS=OFF "${launcher[@]}" >/dev/null
cmake --build build-asan -j"$(nproc)"

echo "== test suites under ASan+UBSan"
# One PostgreSQL server for the PostgreSQL variants of the suites.
source scripts/lib/test-postgres.sh
trap stop_test_postgres EXIT
start_test_postgres
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/sanitizer/ubsan.supp}
if (($# == 0)); then
  # The same floor as the plain build: a suite that is not built here fails.
  scripts/ctest.sh build-asan -j2
else
  (cd build-asan && ctest --output-on-failure --no-tests=error -j2 --timeout 900 "$@")
fi
