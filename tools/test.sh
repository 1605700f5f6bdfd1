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
