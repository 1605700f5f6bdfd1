#!/usr/bin/env bash
# The unit tests under AddressSanitizer, LeakSanitizer and UBSan, then
# (with --fuzz SECONDS) each libFuzzer harness of tests/fuzz/ for SECONDS.
# One build serves both: build-asan/ (or $CLTRAIN_ASAN_BUILD_DIR), clang with
# -DCLTRAIN_SANITIZE=ON, the library instrumented for libFuzzer; without
# clang, gcc and no fuzzing.
# The suites run are those that exercise host code (parsers, run folders,
# reports, plots, the fit loop); test_ops, test_nan_relu and test_devbench
# mostly compile and time OpenCL kernels, and the whole suite took ~9 min
# under ASan on 2 cores. Leaks are reported for project code; the OpenCL
# runtime's own are suppressed by tools/lsan.supp, each with its reason.
# Usage: tools/sanitize.sh [--fuzz SECONDS] [TEST_SUITE...]   (default: the list below)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz_seconds=0
if [ "${1:-}" = "--fuzz" ]; then
  fuzz_seconds="$2"
  shift 2
fi
suites=(test_batch test_callbacks test_core test_data test_experiment test_hardening test_model test_optim
        test_plot test_predict test_report test_run test_train)
if [ -n "${1:-}" ]; then
  suites=("$@")
fi
build="${CLTRAIN_ASAN_BUILD_DIR:-$root/build-asan}"
cc="${CLTRAIN_FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}"
args=(-S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLTRAIN_SANITIZE=ON)
if [ -n "$cc" ]; then
  args+=(-DCMAKE_C_COMPILER="$cc" -DCLTRAIN_FUZZ=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link)
fi
[ -n "${CLTRAIN_DATA_DIR:-}" ] && args+=(-DCLTRAIN_TEST_DATA_DIR="$CLTRAIN_DATA_DIR")
cmake "${args[@]}" >/dev/null
targets=("${suites[@]}")
[ -n "$cc" ] && [ "$fuzz_seconds" != 0 ] && targets+=(fuzz_all)
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tools/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
regex="^($(IFS='|'; echo "${suites[*]}"))\$"
(cd "$build" && ctest --output-on-failure -j "$(nproc)" -R "$regex")
if [ "$fuzz_seconds" != 0 ]; then
  if [ -z "$cc" ]; then
    echo "cltrain sanitize: no clang, so no fuzzing (Debian: apt-get install clang)" >&2
    exit 1
  fi
  CLTRAIN_FUZZ_BUILD_DIR="$build" CLTRAIN_FUZZ_CC="$cc" "$root/tools/fuzz.sh" "$fuzz_seconds"
fi
