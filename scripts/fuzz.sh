#!/usr/bin/env bash
# Builds the libFuzzer target over message parsing (tests/fuzz) with clang,
# ASan and UBSan in build-fuzz/, and runs it for N seconds (default 60) on a
# copy of the committed seed corpus, so a run never grows tests/fuzz/corpus.
# Exits non-zero when the fuzzer finds a crash, a sanitizer report, a leak
# or a broken property; the reproducer is left in build-fuzz/artifacts/.
# Installs clang and libclang-rt-14-dev with apt only when they are missing
# (the other build dependencies: scripts/install-deps.sh).
# Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [seconds]" >&2
  exit 2
fi

scripts/install-deps.sh --only clang libclang-rt-14-dev

build=build-fuzz
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
echo "== configure $build (clang, SYNCD_FUZZ)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSYNCD_FUZZ=ON "${launcher[@]}" >/dev/null
echo "== build message_fuzzer"
cmake --build "$build" -j"$(nproc)" --target message_fuzzer

corpus="$build/corpus"
artifacts="$build/artifacts"
rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
cp tests/fuzz/corpus/* "$corpus/"

echo "== fuzz for ${seconds}s"
# ubsan.supp: RapidJSON 1.1.0's one known report (see the file); any other halts.
export UBSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/ubsan.supp:halt_on_error=1:print_stacktrace=1"
# -timeout: one input taking over 10 s is a finding too (a hang).
# -rss_limit_mb: the 64 KiB inputs below cannot need more than this.
"$build/tests/fuzz/message_fuzzer" "$corpus" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1
echo "== fuzz: no findings in ${seconds}s"
