#!/usr/bin/env bash
# Runs the op table's small cases under oclgrind, an OpenCL device simulator
# that checks every memory access: out-of-bounds reads and writes, data races
# (--data-races), work-group divergence at barriers, and API misuse
# (--check-api). Any report, or any failing case, fails the check.
#
#   tools/oclgrind_check.sh [--build DIR] [--out DIR] [--timeout SECONDS] [--uninitialized]
#
# Oclgrind reports itself as a GPU, so the GPU forms of the kernels run (one
# float per work-item, local-memory tiles, im2col convolution). To stay within
# a few minutes on 2 cores:
#   - cases above MAX_ELEMENTS (default 4096) elements in an input or the
#     output are left out (CLTRAIN_SELFTEST_MAX_ELEMENTS);
#   - the simulated device's work-group limit is 256, so the "above the
#     work-group size" cases stay small (515 elements);
#   - the CPU-only algorithms are left out (conv2d_tiled, conv2d_winograd;
#     CLTRAIN_SELFTEST_SKIP): a GPU never runs them;
#   - GEMMs use cltrain's own engine (CLTRAIN_GEMM_ENGINE=own, so no engine
#     choice is measured under the simulator), and the CLBlast ops are left
#     out: CLBlast's kernels are CLBlast's, and compiling them under oclgrind
#     alone takes minutes.
# --uninitialized adds oclgrind's uninitialised-value checks. Debian's
# oclgrind 21.10 stops with "Unsupported instruction: freeze" in kernels that
# clang-15 gives a freeze (gemm_portable among them), so it is not part of the
# default run; with it, only uninitialised-value reports count. What it
# finds at the time of writing: 46 work-items of gemm_portable stopped at a
# freeze, and "uninitialized value written to local memory" reports in
# bn_backward's lanes_sum_block. Narrowed so far: they come from the
# batchnorm_train case (3, 515) alone (several column groups), through
# `spread` (saved row 1, inv_std): the sums without it (dbeta) are clean. A
# probe in bn_forward_train that reads back, in the same work-item, values
# it has just stored to global memory (a clean inv_std into saved and into
# y, the mean into saved) is flagged for every one of them in that case,
# also with OCLGRIND_NUM_THREADS=1, while the values the selftest reads back
# are right: this points at oclgrind's shadow of global stores, not at the
# kernel, but is not proven (oclgrind calls --uninitialized experimental).
#
# Exit: 0 clean, 1 reports or failures (the log is printed), 77 oclgrind
# missing outside CI (CTest: skipped; with CI=true a failure).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
out=""
limit=600
uninit=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    --uninitialized) uninit=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "oclgrind_check: unknown option '$1'" >&2; exit 2 ;;
  esac
done
out="${out:-$build/oclgrind-check}"
if ! command -v oclgrind >/dev/null; then
  echo "oclgrind_check: oclgrind is not installed (tools/deps.sh installs it)" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi
[ -x "$build/cltrain" ] || { echo "oclgrind_check: $build/cltrain is missing: build first" >&2; exit 2; }
mkdir -p "$out"
log="$out/oclgrind.log" results="$out/selftest.txt"
rm -f "$log" "$results"

export CLTRAIN_CACHE_DIR="$out/cache"
export CLTRAIN_SELFTEST_MAX_ELEMENTS="${MAX_ELEMENTS:-4096}"
export CLTRAIN_SELFTEST_SKIP="${SKIP_OPS:-conv2d_tiled,conv2d_winograd,gemm_clblast,gemm_clblast_ld,gemm_clblast_ab}"
export CLTRAIN_GEMM_ENGINE=own
# Oclgrind as the only OpenCL platform, through its ICD and its environment
# variables (what the `oclgrind` launcher sets, without its LD_PRELOAD).
icd="$(ls /usr/lib/oclgrind/liboclgrind-rt-icd.so /usr/lib/*/oclgrind/liboclgrind-rt-icd.so 2>/dev/null | head -1)"
[ -n "$icd" ] || { echo "oclgrind_check: no liboclgrind-rt-icd.so found" >&2; exit 1; }
mkdir -p "$out/vendors"
rm -f "$out"/vendors/*.icd
echo "$icd" >"$out/vendors/oclgrind.icd"
export OCL_ICD_VENDORS="$out/vendors" OCLGRIND_MAX_WGSIZE=256 OCLGRIND_CHECK_API=1 OCLGRIND_DATA_RACES=1
export OCLGRIND_MAX_ERRORS=100 OCLGRIND_LOG="$log"
checks=(--check-api --data-races)
if [ $uninit = 1 ]; then export OCLGRIND_UNINITIALIZED=1; checks+=(--uninitialized); fi
start=$SECONDS
timeout "$limit" "$build/cltrain" selftest --verbose >"$results" 2>&1
status=$?
elapsed=$((SECONDS - start))
summary="$(grep -E '^selftest: ' "$results" | tail -1)"

failed=0
if [ $status = 124 ]; then
  echo "oclgrind_check: timed out after $limit s (last case: $(grep -E '^(ok|FAIL|SKIP)' "$results" | tail -1))"
  failed=1
fi
if [ $uninit = 1 ]; then
  reports=$(grep -c "Uninitialized value" "$log" 2>/dev/null || true)
  [ "${reports:-0}" -gt 0 ] && { grep -B2 -A8 "Uninitialized value" "$log" | head -80; failed=1; }
  echo "oclgrind_check: --uninitialized: ${reports:-0} uninitialised-value reports;" \
       "$(grep -c 'Unsupported instruction: freeze' "$log" 2>/dev/null || echo 0) work-items stopped at a freeze (not checkable)"
else
  if [ -s "$log" ]; then
    echo "oclgrind_check: oclgrind reported:"
    head -120 "$log"
    failed=1
  fi
  if [ $status != 0 ] && [ $status != 124 ]; then
    echo "oclgrind_check: selftest under oclgrind failed (exit $status):"
    grep -E '^FAIL' "$results" | head -40
    failed=1
  fi
fi
echo "oclgrind_check: ${summary:-no summary} in ${elapsed} s (cases above $CLTRAIN_SELFTEST_MAX_ELEMENTS elements" \
     "and ops $CLTRAIN_SELFTEST_SKIP skipped); checks: out-of-bounds, barrier divergence, ${checks[*]}"
echo "oclgrind_check: per-case lines in $results, oclgrind's reports in $log"
[ $failed = 0 ] && echo "oclgrind_check: zero reports"
exit $failed
