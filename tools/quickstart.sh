#!/usr/bin/env bash
# From a fresh clone: install what is missing, build, and run an experiment.
#   tools/quickstart.sh [experiments/NAME.yaml] [cltrain run options...]
# Data: --data-dir DIR or $CLTRAIN_DATA_DIR; else a ../shared/data beside the
# clone when there is one; else cltrain downloads the dataset into
# ~/.cache/cltrain/datasets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
if [ -z "${CLTRAIN_DATA_DIR:-}" ] && [ -d "$root/../shared/data" ]; then
  export CLTRAIN_DATA_DIR="$root/../shared/data"
fi
experiment="${1:-$root/experiments/sunshine.yaml}"
[ $# -gt 0 ] && shift
exec "$build/cltrain" run "$experiment" "$@"
