#!/usr/bin/env bash
# "Does this experiment train faster on several devices than on one?"
# Trains EXPERIMENT on the first device of DEVICES alone, then on all of
# DEVICES (train.devices, data-parallel), RUNS times each, and prints the
# median training samples per second (summary.yaml's training seconds, wall
# clock) and CPU seconds of the process for each, and their ratio.
#   tools/dataparallel_speedup.sh experiments/cifar10_cnn.yaml '[0:0, 1:0]' 1 3
#   POCL_DEVICES="pthread pthread" tools/dataparallel_speedup.sh experiments/sunshine.yaml '[0:0, 0:1]'
# Two devices help only when each has its own compute: two GPUs, or a GPU
# and a CPU. PoCL's devices on one CPU share its cores, so there the
# figure shows the cost of the gradient exchange, not a speed-up.
# Environment: CLTRAIN (default build/cltrain), CLTRAIN_DATA_DIR.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,13p' "$0"; exit 2; }
experiment=$1 devices=$2 epochs=${3:-5} runs=${4:-3}
root="$(cd "$(dirname "$0")/.." && pwd)"
cltrain=${CLTRAIN:-$root/build/cltrain}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
first=$(echo "$devices" | tr -d '[] ' | cut -d, -f1)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure LABEL --set ...: prints the medians, keeps the rate in $scratch/LABEL.rate
measure() {
  local label=$1; shift
  : > "$scratch/rates" && : > "$scratch/cpu"
  for ((r = 0; r < runs; r++)); do
    rm -rf "$scratch/run"
    /usr/bin/time -f "%U %S" -o "$scratch/time" "$cltrain" run "$experiment" --out "$scratch/run" -q \
      --set train.epochs="$epochs" --set output.plots=false "$@"
    awk '/^  train:/ { n = $2 } /^epochs_run:/ { e = $2 } /^  training:/ { s = $2 } END { print n * e / s }' \
      "$scratch/run/summary.yaml" >> "$scratch/rates"
    awk '{ print $1 + $2 }' "$scratch/time" >> "$scratch/cpu"
  done
  printf '%-28s %12.0f samples/s  %8.2f CPU s\n' "$label" "$(median < "$scratch/rates")" "$(median < "$scratch/cpu")"
  median < "$scratch/rates" > "$scratch/$label.rate"
}
echo "$experiment, $epochs epochs, median of $runs runs"
measure one --set "train.devices=[$first]"
measure several --set "train.devices=$devices"
printf 'speed-up (samples/s, several / one): %.2f\n' "$(echo "$(cat "$scratch/several.rate") / $(cat "$scratch/one.rate")" | bc -l)"
