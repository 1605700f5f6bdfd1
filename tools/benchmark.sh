#!/usr/bin/env bash
# Whole experiments, cltrain against PyTorch and Keras on the CPU, in one go.
#   tools/benchmark.sh [--data-dir DIR] [--runs N] [--device SPEC] [--cifar-epochs E]
#     [--isa avx2] [--modes one-core,all-cores] [--peers torch,torch-debian,keras]
#     [--venv DIR] [--experiments LIST] [--keras-jit auto|true|false]
#     [--torch-nchw] [--no-torch] [--no-startup]
#
# For sunshine.yaml (200 epochs), cifar10_cnn.yaml and cifar10_cnn_pool.yaml
# (5000 images, E epochs, default 2) it trains the same net N times (default
# 5) with `cltrain run` and with each peer, the runners taking turns (cltrain,
# peer 1, peer 2, ..., cltrain, ...) so that a busy machine slows them alike,
# and prints a Markdown table: wall and CPU seconds, median (min–max), images
# (samples) per second and per CPU-second, and each peer's time / cltrain's.
#
# What is timed, on every side: the E training epochs after one warm-up
# epoch of the same run (compiling kernels or the train step, thread pools,
# allocators), with the data already in memory, no validation (switched off
# in the experiments with --set). cltrain: the epochs' seconds from the run's
# history.csv; its CPU seconds are those of the (1 + E)-epoch process minus
# the median of the 1-epoch processes of the same experiment, one run just
# before each (one such process's start-up can take seconds more CPU: a
# per-sample difference went negative on a busy machine).
# Peers: wall and process CPU time around those epochs (bench_torch.py,
# bench_keras.py; CPU time counts every thread of the process).
#
# Peers (--peers, default every one found):
#   torch         PyTorch 2.x from PyPI (MKL, oneDNN), VENV/torch/bin/python
#   torch-debian  Debian's python3-torch (/usr/bin/python3) with the system
#                 BLAS (install libopenblas0-pthread: the reference BLAS is
#                 ~40x slower), OPENBLAS_NUM_THREADS=1
#   keras         Keras 3 on tensorflow-cpu, VENV/keras/bin/python
# VENV (--venv) defaults to ${XDG_CACHE_HOME:-~/.cache}/cltrain/bench-venv;
# tools/bench_venv.sh makes it (an optional step, ~5 GB; never in CI).
# Without a venv, `python3` with torch is used as "torch". --no-torch: no peers.
# PyTorch runs the CIFAR nets channels-last (NHWC images and conv weights,
# oneDNN's own layout): 1.5x faster than NCHW for cifar10_cnn_pool on one
# core, the same for cifar10_cnn; --torch-nchw keeps PyTorch's default.
# Keras: --keras-jit is compile(jit_compile=); "auto" (Keras's default: XLA).
#
# Modes (--modes, default both):
#   one-core   every runner pinned to the last CPU (taskset), one thread:
#              POCL_MAX_PTHREAD_COUNT=1, torch.set_num_threads(1), TensorFlow
#              intra/inter-op 1, OMP/MKL/OpenBLAS 1. On a shared machine the
#              CPU-second figures are the ones to trust.
#   all-cores  no pinning; PoCL's default workers, torch and TensorFlow with
#              one thread per core.
# --isa avx2: cltrain on PoCL's AVX2 kernel library (POCL_KERNELLIB_NAME=avx2,
# device pthread-haswell-...), the peers held to AVX2 as well
# (ONEDNN_MAX_CPU_ISA=AVX2, MKL_ENABLE_INSTRUCTIONS=AVX2,
# OPENBLAS_CORETYPE=Haswell, XLA_FLAGS=--xla_cpu_max_isa=AVX2): what an AVX2
# machine would see, measured on an AVX-512 one.
#
# Then (unless --no-startup), per experiment, cltrain's warm start-up
# (summary.yaml seconds.startup: process start to the first training step, of
# a 1-epoch run on the experiment's own data) and the cold compile: the wall
# time of a small 1-epoch run with no caches (CLTRAIN_NO_CACHE=1, an empty
# POCL_CACHE_DIR) minus the same run warm.
#
# Environment: CLTRAIN=path/to/cltrain uses that binary and skips the build;
# else tools/build.sh brings $CLTRAIN_BUILD_DIR (default build/) up to date.
# CLTRAIN_GEMM_ENGINE=clblast|own forces a GEMM engine (printed in the header).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

data_dir="${CLTRAIN_DATA_DIR:-}"
runs=5
device=""
cifar_epochs=2
isa=""
modes="one-core,all-cores"
peers=""
venv="${XDG_CACHE_HOME:-$HOME/.cache}/cltrain/bench-venv"
only=""
keras_jit="auto"
torch_channels_last=1
use_peers=1
startup=1
usage() { sed -n '2,6s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="${2:?}"; shift 2 ;;
    --runs) runs="${2:?}"; shift 2 ;;
    --device) device="${2:?}"; shift 2 ;;
    --cifar-epochs) cifar_epochs="${2:?}"; shift 2 ;;
    --isa) isa="${2:?}"; shift 2 ;;
    --modes) modes="${2:?}"; shift 2 ;;
    --peers) peers="${2:?}"; shift 2 ;;
    --venv) venv="${2:?}"; shift 2 ;;
    --experiments) only="${2:?}"; shift 2 ;;
    --keras-jit) keras_jit="${2:?}"; shift 2 ;;
    --torch-nchw) torch_channels_last=0; shift ;;
    --no-torch) use_peers=0; shift ;;
    --no-startup) startup=0; shift ;;
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
case "$isa" in
  "") ;;
  avx2) export POCL_KERNELLIB_NAME=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
               OPENBLAS_CORETYPE=Haswell XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_cpu_max_isa=AVX2" ;;
  *) echo "benchmark.sh: --isa takes avx2 (the default is the host's own)" >&2; exit 2 ;;
esac
for m in ${modes//,/ }; do
  case "$m" in one-core|all-cores) ;; *) echo "benchmark.sh: --modes: '$m' is neither one-core nor all-cores" >&2; exit 2 ;; esac
done
case "$keras_jit" in auto|true|false) ;; *) echo "benchmark.sh: --keras-jit takes auto, true or false" >&2; exit 2 ;; esac

# ---------------------------------------------------------------- the binaries
if [ -n "${CLTRAIN:-}" ]; then
  cltrain="$CLTRAIN"
else
  "$root/tools/build.sh" >&2
  cltrain="${CLTRAIN_BUILD_DIR:-$root/build}/cltrain"
fi
device_args=()
[ -n "$device" ] && device_args=(--device "$device")

# ------------------------------------------------------------------ the peers
# name -> python interpreter and script; found ones only.
declare -A peer_python peer_script peer_about
peer_order=()
find_peer() {  # NAME PYTHON MODULE SCRIPT
  if [ -x "$2" ] && "$2" -c "import $3" 2>/dev/null; then
    peer_python[$1]="$2"; peer_script[$1]="$4"; peer_order+=("$1")
    return 0
  fi
  return 1
}
if [ "$use_peers" = 1 ]; then
  wanted="${peers:-torch,torch-debian,keras}"
  for p in ${wanted//,/ }; do
    case "$p" in
      torch)
        find_peer torch "$venv/torch/bin/python" torch bench_torch.py ||
          find_peer torch "$(command -v python3 || echo none)" torch bench_torch.py ||
          echo "benchmark.sh: no PyTorch from PyPI ($venv/torch: run tools/bench_venv.sh)" >&2 ;;
      torch-debian)
        find_peer torch-debian /usr/bin/python3 torch bench_torch.py ||
          echo "benchmark.sh: no Debian python3-torch (/usr/bin/python3 cannot import torch)" >&2 ;;
      keras)
        find_peer keras "$venv/keras/bin/python" "keras, tensorflow" bench_keras.py ||
          echo "benchmark.sh: no Keras/TensorFlow ($venv/keras: run tools/bench_venv.sh)" >&2 ;;
      *) echo "benchmark.sh: --peers: unknown peer '$p' (torch, torch-debian, keras)" >&2; exit 2 ;;
    esac
  done
  # Two copies of one interpreter are one peer (python3 may be /usr/bin/python3).
  if [ -n "${peer_python[torch]:-}" ] && [ -n "${peer_python[torch-debian]:-}" ] &&
     [ "$(readlink -f "${peer_python[torch]}")" = "$(readlink -f "${peer_python[torch-debian]}")" ]; then
    peer_order=("${peer_order[@]/torch-debian}")
  fi
fi
# PyTorch's dense layers run on the BLAS it was linked with; Debian's
# python3-torch takes the system libblas.so.3, the reference BLAS (a few
# GFLOP/s) unless libopenblas0 is installed. OpenBLAS's own threads then
# fight PyTorch's OpenMP threads for the cores (sunshine 5.4 s instead of
# 2.1 s on 2 cores), so, as OpenBLAS advises for programs that thread
# themselves, it gets one thread unless the caller chose.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
for p in "${peer_order[@]}"; do
  [ -n "$p" ] || continue
  py="${peer_python[$p]}"
  case "$p" in
    torch*) peer_about[$p]="$("$py" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)' 2>/dev/null), $py, $([ "$torch_channels_last" = 1 ] && echo channels-last || echo NCHW), sgemm n=1024 one thread: $(taskset -c "$(($(nproc) - 1))" "$py" "$root/tools/bench_torch.py" sgemm --threads 1 2>/dev/null || echo '?') GFLOP per CPU-s" ;;
    keras) peer_about[$p]="$("$py" -c 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"; import tensorflow as tf, keras; print("keras", keras.__version__, "tensorflow", tf.__version__)' 2>/dev/null), $py, jit_compile=$keras_jit" ;;
  esac
done

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
# name | cltrain overrides (no validation) | samples per epoch | timed epochs
# | overrides of the small 1-epoch run for start-up and cold compile
no_val_csv="--set data.csv.split.validation=0 --set data.csv.split.test=0.3"
no_val_cifar="--set data.cifar10.use_test_as_validation=false --set data.cifar10.test_subset=1000"
small_cifar="--set data.cifar10.use_test_as_validation=false --set data.cifar10.train_subset=64 --set data.cifar10.test_subset=64"
experiments=(
  "sunshine|$no_val_csv|767|200|$no_val_csv --set train.epochs=1"
  "cifar10_cnn|$no_val_cifar|5000|$cifar_epochs|$small_cifar --set train.epochs=1"
  "cifar10_cnn_pool|$no_val_cifar|5000|$cifar_epochs|$small_cifar --set train.epochs=1"
)

pin_cpu="$(($(nproc) - 1))"
# The command prefix and thread count of a mode.
mode_env() {  # MODE -> sets mode_prefix (array) and mode_threads
  if [ "$1" = one-core ]; then
    mode_prefix=(taskset -c "$pin_cpu" env POCL_MAX_PTHREAD_COUNT=1 OMP_NUM_THREADS=1
                 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1)
    mode_threads=1
  else
    mode_prefix=(env)
    mode_threads="$(nproc)"
  fi
}
# Wall and CPU (user + sys) seconds of a command, "wall cpu"; its output
# goes to $work/log.
timed() {
  local TIMEFORMAT='%R %U %S' t
  t="$( { time "$@" >"$work/log" 2>&1; } 2>&1 )" ||
    { cat "$work/log" >&2; echo "benchmark.sh: failed: $*" >&2; exit 1; }
  awk '{printf "%.6f %.6f\n", $1, $2 + $3}' <<<"$t"
}
# One timed cltrain sample, "wall cpu base" of the epochs after the first:
# wall from history.csv, cpu of the (1 + E)-epoch process, base the CPU of a
# 1-epoch process (subtracted as the median of all samples' bases).
cltrain_sample() {  # NAME EPOCHS [overrides...]
  local name="$1" epochs="$2" base full
  shift 2
  base="$(timed "${mode_prefix[@]}" "$cltrain" run "$root/experiments/$name.yaml" --quiet \
          --data-dir "$data_dir" --out "$work/run" "${device_args[@]}" --set output.plots=false \
          "$@" --set train.epochs=1 | awk '{print $2}')"
  rm -rf "$work/run"
  full="$(timed "${mode_prefix[@]}" "$cltrain" run "$root/experiments/$name.yaml" --quiet \
          --data-dir "$data_dir" --out "$work/run" "${device_args[@]}" --set output.plots=false \
          "$@" --set train.epochs=$((epochs + 1)) | awk '{print $2}')"
  awk -F, -v base="$base" -v full="$full" '
    NR == 1 {for (i = 1; i <= NF; i++) if ($i == "seconds") c = i; next}
    NR > 2 {wall += $c}
    END {printf "%.6f %.6f %.6f\n", wall, full, base}' "$work/run/history.csv"
  rm -rf "$work/run"
}
peer_sample() {  # PEER NAME EPOCHS SEED
  local extra=()
  case "$1" in
    torch*) [ "$torch_channels_last" = 1 ] && extra=(--channels-last) ;;
    keras) extra=(--jit "$keras_jit") ;;
  esac
  "${mode_prefix[@]}" "${peer_python[$1]}" "$root/tools/${peer_script[$1]}" "$2" \
    --data-dir "$data_dir" --epochs "$3" --warmup-epochs 1 --runs 1 --seed "$4" \
    --threads "$mode_threads" "${extra[@]}" 2>"$work/peer.log" ||
    { cat "$work/peer.log" >&2; echo "benchmark.sh: $1 failed on $2" >&2; exit 1; }
}
ratio() { awk -v p="$1" -v c="$2" 'BEGIN {printf "%.2fx", p / c}'; }

runners=(cltrain)
for p in "${peer_order[@]}"; do [ -n "$p" ] && runners+=("$p"); done
speed_rows=()
target_rows=()
startup_rows=()
for entry in "${experiments[@]}"; do
  IFS='|' read -r name timed_set samples epochs small <<<"$entry"
  [ -z "$only" ] || [[ ",$only," == *",$name,"* ]] || continue
  read -r -a timed_args <<<"$timed_set"
  read -r -a small_args <<<"$small"
  total=$((samples * epochs))
  for mode in ${modes//,/ }; do
    mode_env "$mode"
    echo "== $name, $mode" >&2
    # One untimed cltrain run fills the kernel and engine caches.
    cltrain_sample "$name" 1 "${timed_args[@]}" >/dev/null
    if [ -z "${device_name:-}" ]; then
      "$cltrain" devices "${device_args[@]}" >"$work/devices" 2>&1 || true
    fi
    for r in "${runners[@]}"; do : >"$work/$r"; done
    for ((i = 0; i < runs; i++)); do
      for r in "${runners[@]}"; do
        if [ "$r" = cltrain ]; then
          cltrain_sample "$name" "$epochs" "${timed_args[@]}" >>"$work/$r"
        else
          peer_sample "$r" "$name" "$epochs" "$i" >>"$work/$r"
        fi
        echo "  $r run $((i + 1)): $(tail -1 "$work/$r") (wall, CPU s$([ "$r" = cltrain ] && echo ', 1-epoch process CPU s'))" >&2
      done
    done
    read -r base _ _ < <(cut -d' ' -f3 "$work/cltrain" | stats)
    awk -v b="$base" '{printf "%s %.6f\n", $1, $2 - b}' "$work/cltrain" >"$work/cltrain.cpu"
    mv "$work/cltrain.cpu" "$work/cltrain"
    read -r cw _ _ < <(cut -d' ' -f1 "$work/cltrain" | stats)
    read -r cc _ _ < <(cut -d' ' -f2 "$work/cltrain" | stats)
    best_torch_w="" best_torch_c=""
    for r in "${runners[@]}"; do
      read -r w w_lo w_hi < <(cut -d' ' -f1 "$work/$r" | stats)
      read -r c c_lo c_hi < <(cut -d' ' -f2 "$work/$r" | stats)
      if [ "$r" = cltrain ]; then vs="– | –"; else vs="$(ratio "$w" "$cw") | $(ratio "$c" "$cc")"; fi
      speed_rows+=("| $name | $mode | $r | $(fmt_range "$w" "$w_lo" "$w_hi") | $(per_second "$total" "$w") | $(fmt_range "$c" "$c_lo" "$c_hi") | $(per_second "$total" "$c") | $vs |")
      case "$r" in torch*)
        if [ -z "$best_torch_w" ] || awk -v a="$w" -v b="$best_torch_w" 'BEGIN {exit !(a < b)}'; then best_torch_w="$w"; fi
        if [ -z "$best_torch_c" ] || awk -v a="$c" -v b="$best_torch_c" 'BEGIN {exit !(a < b)}'; then best_torch_c="$c"; fi ;;
      esac
    done
    if [ -n "$best_torch_w" ]; then
      goal=1.5; [ "$name" = sunshine ] && goal=4
      target_rows+=("| $name | $mode | $(ratio "$best_torch_w" "$cw") | $(ratio "$best_torch_c" "$cc") | ${goal}x |")
    fi
  done

  if [ "$startup" = 1 ]; then
    echo "== $name, start-up and cold compile" >&2
    # Warm: N small runs (the wall time the cold runs are compared with) and
    # N start-ups with all of the experiment's data (CIFAR: 5000 training
    # and 10000 test images). Cold: the same small run with no cltrain
    # caches and an empty PoCL cache.
    run_cltrain "$name.yaml" "${small_args[@]}" >/dev/null
    : >"$work/warm_wall"; : >"$work/warm_startup"; : >"$work/cold_wall"
    for ((i = 0; i < runs; i++)); do
      run_cltrain "$name.yaml" "${small_args[@]}" >>"$work/warm_wall"
      run_cltrain "$name.yaml" --set train.epochs=1 >/dev/null
      seconds_of "$work/run" startup >>"$work/warm_startup"
      pocl_cache="$(mktemp -d)"
      CLTRAIN_NO_CACHE=1 POCL_CACHE_DIR="$pocl_cache" \
        run_cltrain "$name.yaml" "${small_args[@]}" >>"$work/cold_wall"
      rm -rf "$pocl_cache"
    done
    read -r s_med _ _ < <(stats <"$work/warm_startup")
    read -r w_med _ _ < <(stats <"$work/warm_wall")
    read -r k_med k_lo k_hi < <(stats <"$work/cold_wall")
    startup_rows+=("| $name | $(printf '%.3f' "$s_med") | $(printf '%.2f' "$w_med") | $(fmt_range "$k_med" "$k_lo" "$k_hi") | $(awk -v k="$k_med" -v w="$w_med" 'BEGIN {printf "%.2f", k - w}') |")
  fi
done

# -------------------------------------------------------------------- report
engine="${CLTRAIN_GEMM_ENGINE:-default (chosen per device)}"
device_line="$(grep -m1 -E 'pthread|name' "$work/devices" 2>/dev/null | sed 's/^ *//' || true)"
echo
echo "cltrain $revision on ${device_line:-?}, GEMM engine $engine${isa:+, --isa $isa (POCL_KERNELLIB_NAME=$POCL_KERNELLIB_NAME)}"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; PoCL $(dpkg-query -W -f '${Version}' libpocl2 2>/dev/null || echo '?')"
for p in "${peer_order[@]}"; do [ -n "$p" ] && echo "$p: ${peer_about[$p]}"; done
echo "Load average $load_before at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "$runs runs each, runners taking turns; timed: $cifar_epochs CIFAR / 200 sunshine epochs after one warm-up epoch, no validation"
echo "one-core: pinned to CPU $pin_cpu, one thread each; seconds are median (min–max); speed-up = runner's median / cltrain's"
echo
echo "| experiment | mode | runner | wall s | samples/s | CPU s | samples per CPU-s | cltrain speed-up, wall | cltrain speed-up, CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${speed_rows[@]}"
if [ "${#target_rows[@]}" -gt 0 ]; then
  echo
  echo "cltrain against the faster PyTorch (issue #12: CIFAR 1.5x, sunshine 4x):"
  echo
  echo "| experiment | mode | speed-up, wall | speed-up, CPU | target |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${target_rows[@]}"
fi
if [ "${#startup_rows[@]}" -gt 0 ]; then
  echo
  echo "Start-up: warm = process start to the first training step with the experiment's own data;"
  echo "cold compile = a small 1-epoch run (sunshine: 767 rows; CIFAR: 64 images) with no caches, minus the same run warm:"
  echo
  echo "| experiment | warm start-up s | warm run wall s | cold run wall s (no caches) | cold compile s (cold − warm) |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${startup_rows[@]}"
fi
