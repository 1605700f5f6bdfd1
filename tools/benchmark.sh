#!/usr/bin/env bash
# Whole experiments, cltrain against PyTorch on the CPU, in one go.
#   tools/benchmark.sh [--data-dir DIR] [--runs N] [--device SPEC]
#                      [--cifar-epochs E] [--no-torch]
#
# For sunshine.yaml (200 epochs), cifar10_cnn.yaml and cifar10_cnn_pool.yaml
# (E epochs, default 2), runs `cltrain run` N times (default 5) and the same
# net in PyTorch (tools/bench_torch.py, 2 threads) N times, and prints a
# Markdown table of training seconds (median, min-max), samples per second and
# the speed-up (PyTorch seconds / cltrain seconds, of the medians and of the
# fastest runs). Both sides time the training loop only, with no validation
# pass (the experiments' validation is switched off with --set). Then, per
# experiment, the warm start-up (summary.yaml seconds.startup: process start
# to the first training step, of a 1-epoch run on the experiment's own data)
# and the cold compile: the wall time of a small 1-epoch run with no caches
# (CLTRAIN_NO_CACHE=1, an empty POCL_CACHE_DIR) minus the same run warm.
#
# Environment: CLTRAIN=path/to/cltrain uses that binary and skips the build;
# else tools/build.sh brings $CLTRAIN_BUILD_DIR (default build/) up to date.
# CLTRAIN_GEMM_ENGINE=clblast|own forces a GEMM engine (printed in the header).
# PyTorch comes from `python3`, else /usr/bin/python3 (Debian's python3-torch);
# without it only cltrain's figures are printed. The header shows the sgemm
# rate PyTorch gets from its BLAS: Debian's python3-torch uses the system
# libblas.so.3, the slow reference BLAS unless libopenblas0-pthread is
# installed (then ~200 GFLOP/s on the 2-core machine of the README's table,
# and OPENBLAS_NUM_THREADS defaults to 1, see below).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

data_dir="${CLTRAIN_DATA_DIR:-}"
runs=5
device=""
cifar_epochs=2
use_torch=1
usage() { sed -n '2,3s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="${2:?}"; shift 2 ;;
    --runs) runs="${2:?}"; shift 2 ;;
    --device) device="${2:?}"; shift 2 ;;
    --cifar-epochs) cifar_epochs="${2:?}"; shift 2 ;;
    --no-torch) use_torch=0; shift ;;
    -h|--help) usage ;;
    *) echo "benchmark.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
if [ -z "$data_dir" ] && [ -d "$root/../shared/data" ]; then
  data_dir="$(cd "$root/../shared/data" && pwd)"
fi
[ -n "$data_dir" ] || { echo "benchmark.sh: give --data-dir DIR (or CLTRAIN_DATA_DIR)" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ && "$cifar_epochs" =~ ^[1-9][0-9]*$ ]] ||
  { echo "benchmark.sh: --runs and --cifar-epochs take positive integers" >&2; exit 2; }

# ---------------------------------------------------------------- the binaries
if [ -n "${CLTRAIN:-}" ]; then
  cltrain="$CLTRAIN"
else
  "$root/tools/build.sh" >&2
  cltrain="${CLTRAIN_BUILD_DIR:-$root/build}/cltrain"
fi
device_args=()
[ -n "$device" ] && device_args=(--device "$device")

python=""
torch_version="skipped (--no-torch)"
if [ "$use_torch" = 1 ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import torch" 2>/dev/null; then python="$candidate"; break; fi
  done
  if [ -n "$python" ]; then
    torch_version="$("$python" -c 'import torch; print(torch.__version__)') ($python, 2 threads)"
    # PyTorch's dense layers run on the BLAS it was linked with; Debian's
    # python3-torch takes the system libblas.so.3, which is the reference
    # BLAS (a few GFLOP/s) unless libopenblas0 is installed. OpenBLAS's own
    # threads then fight PyTorch's OpenMP threads for the cores (sunshine
    # 5.4 s instead of 2.1 s here), so, as OpenBLAS advises for programs that
    # thread themselves, it gets one thread unless the caller chose.
    export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
    torch_sgemm="$("$python" "$root/tools/bench_torch.py" sgemm --threads 2 2>/dev/null || echo '?')"
    torch_version="$torch_version, OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS, its sgemm n=1024: $torch_sgemm GFLOP/s"
  else
    torch_version="skipped (no python3 with torch)"
    echo "benchmark.sh: neither python3 nor /usr/bin/python3 has torch: the PyTorch side is skipped" >&2
  fi
fi

revision="$(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ----------------------------------------------------------------- helpers
# A value under "seconds:" in a run directory's summary.yaml.
seconds_of() {  # RUN_DIR KEY
  awk -v key="$2:" '/^seconds:/ {s = 1; next} /^[^ ]/ {s = 0}
                    s && $1 == key {print $2}' "$1/summary.yaml"
}
# "median min max" of the numbers on stdin.
stats() {
  sort -g | awk '{v[NR] = $1}
    END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
         print m, v[1], v[NR]}'
}
now() { date +%s.%N; }
# `cltrain run` once, quietly, into $work/run; prints its wall seconds.
run_cltrain() {  # EXPERIMENT [cltrain run options...]
  local yaml="$1" start end
  shift
  rm -rf "$work/run"
  start="$(now)"
  "$cltrain" run "$root/experiments/$yaml" --quiet --data-dir "$data_dir" \
    --out "$work/run" "${device_args[@]}" --set output.plots=false "$@" >"$work/log" 2>&1 ||
    { cat "$work/log" >&2; echo "benchmark.sh: cltrain run $yaml failed" >&2; exit 1; }
  end="$(now)"
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.6f\n", b - a}'
}
fmt_range() { awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN {printf "%.2f (%.2f–%.2f)", m, lo, hi}'; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }

# ----------------------------------------------------------- the experiments
# name | cltrain overrides for the timed runs | samples per epoch | epochs
# | overrides of the small 1-epoch run for start-up and cold compile
no_val_csv="--set data.csv.split.validation=0 --set data.csv.split.test=0.3"
no_val_cifar="--set data.cifar10.use_test_as_validation=false --set data.cifar10.test_subset=1000"
small_cifar="--set data.cifar10.use_test_as_validation=false --set data.cifar10.train_subset=64 --set data.cifar10.test_subset=64"
experiments=(
  "sunshine|$no_val_csv|767|200|$no_val_csv --set train.epochs=1"
  "cifar10_cnn|$no_val_cifar --set train.epochs=$cifar_epochs|5000|$cifar_epochs|$small_cifar --set train.epochs=1"
  "cifar10_cnn_pool|$no_val_cifar --set train.epochs=$cifar_epochs|5000|$cifar_epochs|$small_cifar --set train.epochs=1"
)

speed_rows=()
startup_rows=()
for entry in "${experiments[@]}"; do
  IFS='|' read -r name timed samples epochs small <<<"$entry"
  read -r -a timed_args <<<"$timed"
  read -r -a small_args <<<"$small"
  echo "== $name" >&2

  # Warm: one untimed run fills the kernel and engine caches, then N small
  # runs (the wall time the cold runs are compared with) and N start-ups with
  # all of the experiment's data (CIFAR: 5000 training and 10000 test images).
  run_cltrain "$name.yaml" "${small_args[@]}" >/dev/null
  : >"$work/warm_wall"; : >"$work/warm_startup"
  for ((i = 0; i < runs; i++)); do
    run_cltrain "$name.yaml" "${small_args[@]}" >>"$work/warm_wall"
    run_cltrain "$name.yaml" --set train.epochs=1 >/dev/null
    seconds_of "$work/run" startup >>"$work/warm_startup"
  done
  if [ -z "${device_name:-}" ]; then
    device_name="$(sed -n 's/^  name: //p' "$work/run/summary.yaml" | head -1)"
    driver="$(sed -n "s/^  driver: //p" "$work/run/summary.yaml" | tr -d "'" | head -1)"
  fi

  # Cold: the same small run with no cltrain caches and an empty PoCL cache.
  : >"$work/cold_wall"
  for ((i = 0; i < runs; i++)); do
    pocl_cache="$(mktemp -d)"
    CLTRAIN_NO_CACHE=1 POCL_CACHE_DIR="$pocl_cache" \
      run_cltrain "$name.yaml" "${small_args[@]}" >>"$work/cold_wall"
    rm -rf "$pocl_cache"
  done

  # The timed runs, cltrain and PyTorch alternating so that both see the
  # same background load.
  : >"$work/train"; : >"$work/torch"
  for ((i = 0; i < runs; i++)); do
    run_cltrain "$name.yaml" "${timed_args[@]}" >/dev/null
    seconds_of "$work/run" training >>"$work/train"
    echo "  cltrain run $((i + 1)): $(tail -1 "$work/train") s" >&2
    if [ -n "$python" ]; then
      "$python" "$root/tools/bench_torch.py" "$name" --data-dir "$data_dir" \
        --epochs "$epochs" --runs 1 --seed "$i" --threads 2 >>"$work/torch"
    fi
  done
  read -r c_med c_lo c_hi < <(stats <"$work/train")
  total=$((samples * epochs))
  torch_cells="skipped | – | –"  # PyTorch s | samples/s | speed-up
  if [ -n "$python" ]; then
    read -r t_med t_lo t_hi < <(stats <"$work/torch")
    speed_up="$(awk -v t="$t_med" -v c="$c_med" -v tb="$t_lo" -v cb="$c_lo" \
      'BEGIN {printf "%.2fx (best runs %.2fx)", t / c, tb / cb}')"
    torch_cells="$(fmt_range "$t_med" "$t_lo" "$t_hi") | $(per_second "$total" "$t_med") | $speed_up"
  fi
  speed_rows+=("| $name | $epochs x $samples | $(fmt_range "$c_med" "$c_lo" "$c_hi") | $(per_second "$total" "$c_med") | $torch_cells |")

  read -r s_med _ _ < <(stats <"$work/warm_startup")
  read -r w_med _ _ < <(stats <"$work/warm_wall")
  read -r k_med k_lo k_hi < <(stats <"$work/cold_wall")
  startup_rows+=("| $name | $(printf '%.3f' "$s_med") | $(printf '%.2f' "$w_med") | $(fmt_range "$k_med" "$k_lo" "$k_hi") | $(awk -v k="$k_med" -v w="$w_med" 'BEGIN {printf "%.2f", k - w}') |")
done

# -------------------------------------------------------------------- report
engine="${CLTRAIN_GEMM_ENGINE:-default (chosen per device)}"
echo
echo "cltrain $revision on ${device_name:-?} (driver ${driver:-?}), GEMM engine $engine"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; PyTorch $torch_version"
echo "Load average $load_before at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "$runs runs each; training loop only, no validation; seconds are median (min–max)"
echo
echo "| experiment | epochs x samples | cltrain s | cltrain samples/s | PyTorch s | PyTorch samples/s | speed-up (median) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${speed_rows[@]}"
echo
echo "Start-up: warm = process start to the first training step with the experiment's own data;"
echo "cold compile = a small 1-epoch run (sunshine: 767 rows; CIFAR: 64 images) with no caches, minus the same run warm:"
echo
echo "| experiment | warm start-up s | warm run wall s | cold run wall s (no caches) | cold compile s (cold − warm) |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${startup_rows[@]}"
