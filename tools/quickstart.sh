#!/usr/bin/env bash
# From a fresh clone: install what is missing, build, and run an experiment.
#   tools/quickstart.sh [experiments/NAME.yaml] [cltrain run options...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
# Until the experiment runner lands, show the devices cltrain can train on.
exec "$build/cltrain" devices
