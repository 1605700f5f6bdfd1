#!/usr/bin/env bash
# From a fresh clone: install what is missing, build, and run the whole test suite.
# Integration tests read the datasets from $CLTRAIN_DATA_DIR (default ../shared/data).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
# Second build (build-asan/): the host-code suites under ASan, LeakSanitizer
# and UBSan, then each fuzz harness for 20 s (tools/sanitize.sh says which
# and why). CLTRAIN_SKIP_SANITIZE=1 skips it.
if [ "${CLTRAIN_SKIP_SANITIZE:-0}" = 0 ]; then
  "$root/tools/sanitize.sh" --fuzz "${CLTRAIN_FUZZ_SECONDS:-20}"
fi
