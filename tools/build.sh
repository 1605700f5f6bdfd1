#!/usr/bin/env bash
# Configures and builds cltrain into build/ (or $CLTRAIN_BUILD_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
args=(-S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}")
[ -n "${CLTRAIN_DATA_DIR:-}" ] && args+=(-DCLTRAIN_TEST_DATA_DIR="$CLTRAIN_DATA_DIR")
# In CI (CI=true, as .ci/run and most CI services set it) a warning fails the
# build; elsewhere a newer compiler's new warnings must not stop a user.
if [ "${CI:-}" = true ]; then args+=(-DCLTRAIN_WERROR=ON); else args+=(-DCLTRAIN_WERROR=OFF); fi
cmake "${args[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"
