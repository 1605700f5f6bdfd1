#!/usr/bin/env bash
# cltrain sweep across machines, checked on one: a 2-rank `mpirun` sweep
# over loopback TCP, and the `--emit slurm` script run task by task with
# SLURM_ARRAY_TASK_ID set (no Slurm controller here), then its gathering
# step. Each table must equal a serial sweep's, but for the seconds column.
#   tests/sweep/mpi_slurm_test.sh CLTRAIN SOURCE_DIR TMP_DIR
# Exit 77 (skipped) when mpirun is missing outside CI; in CI it must run.
set -euo pipefail
cltrain=$1 src=$2 tmp=$3
: "${CLTRAIN_DATA_DIR:?set CLTRAIN_DATA_DIR to the folder with weather/}"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
sweep=(sweep "$src/experiments/sunshine_small.yaml" --grid 'model[0].dense.units=1,2,5' --set train.epochs=2
       --set output.plots=false -q)

# Tables equal but for the time each run took.
same_table() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
def rows(path):
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    for r in table:
        del r["seconds"]
    return table
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b or len(a) != 3 or any(r["status"] != "done" for r in a):
    sys.exit(f"{sys.argv[2]} differs from {sys.argv[1]}:\n{a}\n{b}")
PY
}

"$cltrain" "${sweep[@]}" --name serial

# Slurm: the script's array tasks one by one, then its gathering job.
"$cltrain" "${sweep[@]}" --name slurm --emit slurm > emit.txt
script=sweeps/slurm/sweep.slurm
grep -q -- '--array=0-2 ' "$script"
for task in 0 1 2; do
  SLURM_JOB_ID=100 SLURM_ARRAY_TASK_ID=$task bash "$script" > "task$task.txt"
done
[ ! -e sweeps/slurm/sweep.csv ] # the tasks leave the table to the gathering job
SLURM_JOB_ID=101 bash "$script" > gather.txt
same_table sweeps/serial/sweep.csv sweeps/slurm/sweep.csv
echo "slurm: 3 array tasks and the gathering job give the serial table"

# MPI: 2 ranks, the points shared, rank 0 writes the table.
if ! command -v mpirun > /dev/null; then
  [ "${CI:-}" = true ] && { echo "mpirun missing (tools/deps.sh installs openmpi-bin)"; exit 1; }
  echo "mpirun not found: the MPI check is skipped (install openmpi-bin and libopenmpi-dev)"
  exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if ! mpirun -n 2 --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
     "$cltrain" "${sweep[@]}" --name mpi > mpi.txt 2>&1; then
  cat mpi.txt
  if grep -q "built without MPI" mpi.txt && [ "${CI:-}" != true ]; then
    exit 77
  fi
  exit 1
fi
same_table sweeps/serial/sweep.csv sweeps/mpi/sweep.csv
echo "mpi: 2 ranks give the serial table"
