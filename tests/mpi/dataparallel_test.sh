#!/usr/bin/env bash
# Data-parallel training over MPI ranks (CTest test_mpi_dataparallel): the
# same two replicas (two PoCL pthread devices) run in one process and as two
# ranks of `mpirun -n 2` on this machine must give the same weights.bin, bit
# for bit, and the same history values (all but the seconds column); a
# device list that does not split over the ranks is an error naming
# train.devices, and no rank is left waiting.
# usage: dataparallel_test.sh CLTRAIN MPIEXEC SCRATCH_DIR
set -euo pipefail
cltrain=$1 mpiexec=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
cd "$out"

# A synthetic regression: no dataset needed.
awk 'BEGIN { print "day,a,b,c,y"
             for (i = 0; i < 400; i++) { a = sin(i * 0.37); b = cos(i * 0.11); c = sin(i * 0.05)
                                          printf "%d,%.6f,%.6f,%.6f,%.6f\n", i, a, b, c, 2 * a - b + c * c } }' \
  > synthetic.csv
cat > experiment.yaml <<'YAML'
name: mpi_dataparallel
seed: 3
data:
  csv:
    file: synthetic.csv
    features: {drop: [day, y]}
    target: {column: y, shift: 0}
    split: {train: 0.6, validation: 0.2, test: 0.2}
model:
  - dense: {units: 16, activation: relu}
  - dropout: {rate: 0.2}
  - dense: {units: 1}
train: {loss: mse, metrics: [rmse], optimizer: adam, batch_size: 30, epochs: 8, devices: [0:0, 0:1]}
YAML

export POCL_DEVICES="pthread pthread"
mpi_args=(--oversubscribe -n 2 -x POCL_DEVICES)
[ "$(id -u)" = 0 ] && mpi_args+=(--allow-run-as-root)

"$cltrain" run experiment.yaml --data-dir . --out inproc -q
timeout 300 "$mpiexec" "${mpi_args[@]}" "$cltrain" run experiment.yaml --data-dir . --out ranks -q

cmp inproc/weights.bin ranks/weights.bin || { echo "FAIL: weights differ between one process and two ranks"; exit 1; }
drop_seconds() { awk -F, -v OFS=, '{ NF--; print }' "$1"; }
if ! diff <(drop_seconds inproc/history.csv) <(drop_seconds ranks/history.csv); then
  echo "FAIL: history values differ between one process and two ranks"
  exit 1
fi
[ "$(wc -l < ranks/history.csv)" = 9 ] || { echo "FAIL: history.csv should have 8 epochs"; exit 1; }

# Three devices do not split over two ranks: an error that names the key,
# every rank ends (timeout guards against a hang), nothing is written.
if timeout 120 "$mpiexec" "${mpi_args[@]}" "$cltrain" run experiment.yaml --data-dir . --out uneven -q \
     --set 'train.devices=[0:0, 0:1, 0:0]' > uneven.log 2>&1; then
  echo "FAIL: an uneven device list ran"
  exit 1
fi
grep -q "train.devices: has 3 devices for 2 MPI ranks" uneven.log || { cat uneven.log; echo "FAIL: no clear error"; exit 1; }
[ ! -e uneven ] || { echo "FAIL: the failed run left a directory"; exit 1; }
echo "OK: two ranks give the one-process results bit for bit"
