#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang, ASan and UBSan
# into build-asan/ (or $CLTRAIN_FUZZ_BUILD_DIR; the build tools/sanitize.sh
# also uses) and runs each for SECONDS
# (default 25) on a scratch corpus seeded from tests/fuzz/seeds/NAME/.
# Usage: tools/fuzz.sh [SECONDS] [HARNESS...]   (HARNESS: experiment, csv, ...)
# Exits non-zero on the first crash, leak or sanitizer report; the input
# that caused it is left in the build folder as crash-*/leak-*/timeout-*.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-25}"
shift || true
build="${CLTRAIN_FUZZ_BUILD_DIR:-$root/build-asan}"
cc="${CLTRAIN_FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}"
if [ -z "$cc" ]; then
  echo "cltrain fuzz: clang not found (Debian: apt-get install clang)" >&2
  exit 1
fi
args=(-S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLTRAIN_SANITIZE=ON
  -DCLTRAIN_FUZZ=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link)
[ -n "${CLTRAIN_DATA_DIR:-}" ] && args+=(-DCLTRAIN_TEST_DATA_DIR="$CLTRAIN_DATA_DIR")
cmake "${args[@]}" >/dev/null
cmake --build "$build" --target fuzz_all -j "$(nproc)" >/dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for seeds in "$root"/tests/fuzz/seeds/*/; do names+=("$(basename "$seeds")"); done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
status=0
for name in "${names[@]}"; do
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  log="$build/fuzz-$name.log"
  # -rss_limit_mb: the image reader may take ~250 MB for its largest image;
  # -timeout: an input slower than this is a hang. It is wall time: the
  # slowest inputs take ~0.2 s of CPU (a 16x24576 JPEG resized), which a
  # loaded machine at nice 19 stretched past 10 s.
  if (cd "$build" && "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout="${CLTRAIN_FUZZ_TIMEOUT:-25}" \
      -print_final_stats=1 "$corpus" "$root/tests/fuzz/seeds/$name" >"$log" 2>&1); then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$name: ${runs:-?} executions in ${seconds} s, no crash"
  else
    echo "fuzz_$name: FAILED (see $log)" >&2
    tail -40 "$log" >&2
    status=1
  fi
done
exit $status
