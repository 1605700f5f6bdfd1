#!/usr/bin/env bash
# One-shot GPU check, for a machine with a GPU driver but no network and no
# package manager. Runs from the bundle that tools/make_gpu_bundle.sh builds
# (this script is copied into it), or from a source tree with --build.
#
#   gpu-check.sh [--out DIR] [--epochs N] [--max-time S] [--experiments LIST]
#                [--build DIR --data-dir DIR] [--record FILE]
#                [--selftest-filter OP] [--pocl-only] [--keep-cache]
#
# 1. Finds the vendor's OpenCL library even where no .icd file is registered:
#    ldconfig -p, /usr/lib/x86_64-linux-gnu, /usr/local/nvidia/lib64,
#    /usr/lib64 and friends are searched for libnvidia-opencl.so* (and AMD's
#    libamdocl64.so); an nvidia.icd naming it goes into a folder of its own,
#    with the registered .icd files, and OCL_ICD_VENDORS points there.
#    CLTRAIN_GPU_CHECK_LIBDIRS: more folders to search first.
# 2. `cltrain devices`, then on every GPU and on PoCL: `cltrain selftest`
#    (the op table), devbench (peaks, launch cost, every experiment's training
#    step, the verdict), and every experiment for --epochs (default 2) epochs.
# 3. One table: per experiment, the step time and every final test metric,
#    GPU next to PoCL. Where the target has no PoCL, the PoCL column is the
#    bundle's reference/pocl.tsv, recorded by make_gpu_bundle.sh on the
#    machine that built it (marked "recorded").
#
# Agreement: the op table must pass on every device; a final metric agrees
# when |gpu - pocl| <= 1e-2 * max(|gpu|, |pocl|, 1e-3): the op table lets a
# gradient differ by a normalised MSE of 1e-4, i.e. 1 % RMS, and two epochs of
# training carry differences of that size into the final metrics.
#
# Exit: 0 everything agrees; 1 a disagreement or a failed step (listed);
# 2 usage; 3 no GPU found (the PoCL part still ran; said clearly).
# --record FILE: write the PoCL figures as the reference (make_gpu_bundle.sh).
# --selftest-filter OP: only those op-table cases (quick runs); --pocl-only:
# look for no GPU driver, keep only PoCL (tests the script on any machine);
# --keep-cache: use the usual kernel cache instead of a fresh one in --out
# (by default every program is compiled cold, as a new user's first run is).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${TMPDIR:-/tmp}/cltrain-gpu-check"
epochs=2
max_time=0.3
only_experiments=""
build=""
data=""
record=""
rel_tol=0.01
selftest_filter=""
pocl_only=0
keep_cache=0

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --max-time) max_time="$2"; shift 2 ;;
    --experiments) only_experiments="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --data-dir) data="$2"; shift 2 ;;
    --record) record="$2"; shift 2 ;;
    --selftest-filter) selftest_filter="$2"; shift 2 ;;
    --pocl-only) pocl_only=1; shift ;;
    --keep-cache) keep_cache=1; shift ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option '$1'" >&2; exit 2 ;;
  esac
done

# ------------------------------------------------------------ where things are
if [ -n "$build" ]; then # a source tree's build
  src="$(cd "$here/.." && pwd)"
  cltrain="$build/cltrain" devbench="$build/tools/devbench"
  expdir="$src/experiments" data="${data:-${CLTRAIN_DATA_DIR:-$src/../shared/data}}"
  reference=""
else                     # the bundle
  cltrain="$here/bin/cltrain" devbench="$here/bin/devbench"
  expdir="$here/experiments" data="${data:-$here/data}"
  reference="$here/reference/pocl.tsv"
  [ -f "$here/fonts/fonts.conf" ] && export FONTCONFIG_FILE="$here/fonts/fonts.conf"
fi
for b in "$cltrain" "$devbench"; do
  [ -x "$b" ] || { echo "gpu-check: $b is missing (run from the bundle, or pass --build DIR)" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out/vendors" "$out/runs" "$out/logs" "$out/cache"
[ $keep_cache = 1 ] || export CLTRAIN_CACHE_DIR="$out/cache" XDG_CACHE_HOME="$out/cache"
problems="$out/problems.txt"
: >"$problems"
problem() { echo "$*" >>"$problems"; echo "gpu-check: PROBLEM: $*" >&2; }
say() { echo "gpu-check: $*" >&2; }
start=$SECONDS

# ------------------------------------------------------------ 1. OpenCL vendors
[ -d /etc/OpenCL/vendors ] && cp /etc/OpenCL/vendors/*.icd "$out/vendors/" 2>/dev/null
if [ $pocl_only = 1 ]; then
  find "$out/vendors" -name '*.icd' ! -name 'pocl*.icd' -delete
  say "--pocl-only: no GPU driver searched; vendors: $(ls "$out/vendors" | tr '\n' ' ')"
else
  find_vendor_lib() { # $1 = file name pattern
    { ldconfig -p 2>/dev/null | awk -v p="$1" '$1 ~ p { print $NF }'
      # shellcheck disable=SC2086
      for d in ${CLTRAIN_GPU_CHECK_LIBDIRS:-} /usr/lib/x86_64-linux-gnu /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib64 /usr/lib \
               /usr/local/cuda/lib64 /usr/local/cuda/compat /opt/rocm/lib /opt/amdgpu/lib/x86_64-linux-gnu; do
        ls "$d"/$1* 2>/dev/null
      done; } | awk '!seen[$0]++' | while read -r f; do [ -e "$f" ] && echo "$f"; done | sort | head -1
  }
  registered() { grep -qs "$1" "$out"/vendors/*.icd; }
  nv="$(find_vendor_lib 'libnvidia-opencl.so')"
  if [ -n "$nv" ]; then
    if registered libnvidia-opencl; then say "NVIDIA OpenCL: registered ($(grep -h libnvidia-opencl "$out"/vendors/*.icd | head -1))"
    else echo "$nv" >"$out/vendors/nvidia.icd"; say "NVIDIA OpenCL: $nv (no .icd was registered: wrote one)"; fi
  else
    say "NVIDIA OpenCL: no libnvidia-opencl.so* in ldconfig -p, /usr/lib/x86_64-linux-gnu, /usr/local/nvidia/lib64, /usr/lib64, /usr/lib, /usr/local/cuda"
  fi
  amd="$(find_vendor_lib 'libamdocl64.so')"
  if [ -n "$amd" ] && ! registered libamdocl64; then echo "$amd" >"$out/vendors/amdocl64.icd"; say "AMD OpenCL: $amd"; fi
fi
export OCL_ICD_VENDORS="$out/vendors"
# The driver's own libraries (libcuda.so.1 beside libnvidia-opencl) must be found too.
for lib in ${nv:-} ${amd:-}; do export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1 | sed 's/^/gpu-check: nvidia-smi: /' >&2

# ------------------------------------------------------------ 2. devices
"$cltrain" devices | tee "$out/devices.txt"
"$cltrain" devices --json >"$out/devices.json" 2>"$out/logs/devices.err" ||
  { problem "cltrain devices failed: $(head -3 "$out/logs/devices.err")"; }
# One line per device: index, type, platform, name (the JSON writer puts a device on one line).
sed -n 's/.*"index": "\([0-9:]*\)", "platform": "\([^"]*\)".*"name": "\([^"]*\)".*"type": "\([a-z]*\)".*/\1\t\4\t\2\t\3/p' \
  "$out/devices.json" >"$out/devices.tsv"
gpus=() pocl=""
while IFS=$'\t' read -r idx type platform name; do
  [ "$type" = gpu ] && gpus+=("$idx")
  [ -z "$pocl" ] && [[ "$platform" == "Portable Computing Language" ]] && pocl="$idx"
done <"$out/devices.tsv"
device_name() { awk -F'\t' -v i="$1" '$1 == i { print $4 }' "$out/devices.tsv"; }
if [ ${#gpus[@]} -eq 0 ]; then
  cat >&2 <<EOF
gpu-check: ================================================================
gpu-check: NO GPU FOUND. OpenCL shows no device of type gpu. Searched for the
gpu-check: NVIDIA OpenCL library (see above) and used OCL_ICD_VENDORS=$out/vendors
gpu-check: ($(ls "$out/vendors" | tr '\n' ' ')). The PoCL part runs anyway; the GPU column stays empty.
gpu-check: ================================================================
EOF
fi
[ -n "$pocl" ] || say "no PoCL device here${reference:+: the PoCL column comes from $reference (recorded)}"
[ -n "$record" ] && [ -z "$pocl" ] && { echo "gpu-check: --record needs a PoCL device" >&2; exit 2; }

devices=("${gpus[@]}")
[ -n "$pocl" ] && devices+=("$pocl")
[ -n "$record" ] && devices=("$pocl")

# ------------------------------------------------------------ experiments
experiments=()
for f in "$expdir"/*.yaml; do
  n="$(basename "$f" .yaml)"
  if [ -n "$only_experiments" ] && [[ ",$only_experiments," != *",$n,"* ]]; then continue; fi
  experiments+=("$f")
done
results="$out/results.tsv" # device \t experiment \t quantity \t value
: >"$results"

# ------------------------------------------------------------ 3. per device
for dev in "${devices[@]}"; do
  tag="${dev/:/-}"
  say "device $dev $(device_name "$dev"): selftest"
  if "$cltrain" selftest --device "$dev" ${selftest_filter:+--filter "$selftest_filter"} >"$out/logs/selftest-$tag.txt" 2>&1; then
    say "  $(tail -1 "$out/logs/selftest-$tag.txt")"
  else
    problem "selftest on $dev $(device_name "$dev"): $(tail -1 "$out/logs/selftest-$tag.txt"); failures: $(grep -m5 '^FAIL' "$out/logs/selftest-$tag.txt" | tr '\n' ';')"
  fi
  printf '%s\t%s\t%s\t%s\n' "$dev" "(op table)" "selftest" "$(tail -1 "$out/logs/selftest-$tag.txt" | sed 's/^selftest: //')" >>"$results"

  say "device $dev: devbench"
  exp_args=()
  for f in "${experiments[@]}"; do exp_args+=(--experiment "$f"); done
  # Every row on a GPU; on PoCL only what the verdict needs (its GEMM and conv rows take minutes).
  only=()
  [ "$dev" = "$pocl" ] && only=(--only bandwidth,launch,compute,experiment)
  if ! "$devbench" --device "$dev" "${only[@]}" --max-time "$max_time" --size-mb 64 --data-dir "$data" "${exp_args[@]}" \
       --json "$out/devbench-$tag.json" --csv "$out/devbench-$tag.csv" --quiet >"$out/logs/devbench-$tag.txt" 2>&1; then
    problem "devbench on $dev failed: $(tail -3 "$out/logs/devbench-$tag.txt" | tr '\n' ' ')"
  fi
  # Step rows from the CSV (fields may be quoted and hold commas).
  awk 'function parse(line,   n, i, c, q, f) {
         n = 0; f = ""; q = 0
         for (i = 1; i <= length(line); i++) {
           c = substr(line, i, 1)
           if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0 } else f = f c }
           else if (c == "\"") q = 1
           else if (c == ",") { F[++n] = f; f = "" }
           else f = f c
         }
         F[++n] = f
         return n
       }
       NR > 1 { parse($0); if (F[10] == "experiment" && F[11] ~ / step$/ && F[14] == "ok") {
                  name = F[11]; sub(/ step$/, "", name); printf "%s\t%s\tstep ms\t%s\n", dev, name, F[15] } }' \
    dev="$dev" "$out/devbench-$tag.csv" >>"$results" 2>/dev/null
  sed -n '/^Verdict/,$p' "$out/logs/devbench-$tag.txt" >"$out/logs/verdict-$tag.txt"

  for f in "${experiments[@]}"; do
    n="$(basename "$f" .yaml)"
    say "device $dev: $n, $epochs epochs"
    run="$out/runs/$tag/$n"
    if ! "$cltrain" run "$f" --device "$dev" --set train.epochs="$epochs" --data-dir "$data" \
         --out "$run" --quiet >"$out/logs/run-$tag-$n.txt" 2>&1; then
      problem "$n on $dev failed: $(tail -2 "$out/logs/run-$tag-$n.txt" | tr '\n' ' ')"
      continue
    fi
    # The final test metrics: the indented keys under "test:" in summary.yaml.
    awk -v dev="$dev" -v n="$n" '/^test:/ { on = 1; next } on && /^[^ ]/ { on = 0 }
         on && /^  [a-z_]+: / { k = $1; sub(/:$/, "", k); printf "%s\t%s\ttest %s\t%s\n", dev, n, k, $2 }' \
      "$run/summary.yaml" >>"$results"
  done
done

if [ -n "$record" ]; then
  awk -F'\t' '{ print $2 "\t" $3 "\t" $4 }' "$results" >"$record"
  cp "$out/devbench-${pocl/:/-}.json" "$out/devbench.json" 2>/dev/null
  say "recorded $(wc -l <"$record") PoCL figures in $record ($((SECONDS - start)) s)"
  [ -s "$problems" ] && { sed 's/^/  /' "$problems" >&2; exit 1; }
  exit 0
fi

# ------------------------------------------------------------ 4. the table
pocl_source="" pocl_file="$out/pocl.tsv"
if [ -n "$pocl" ]; then
  awk -F'\t' -v d="$pocl" '$1 == d { print $2 "\t" $3 "\t" $4 }' "$results" >"$pocl_file"
  pocl_source="$pocl $(device_name "$pocl")"
elif [ -n "$reference" ] && [ -f "$reference" ]; then
  cp "$reference" "$pocl_file"
  pocl_source="recorded: $(sed -n 's/^cpu: //p' "$here/BUILD.txt" 2>/dev/null), $(sed -n 's/^built: //p' "$here/BUILD.txt" 2>/dev/null)"
else
  : >"$pocl_file"
  pocl_source="none (no PoCL here, no recorded reference)"
fi
gpu="${gpus[0]:-}"
gpu_file="$out/gpu.tsv"
if [ -n "$gpu" ]; then
  awk -F'\t' -v d="$gpu" '$1 == d { print $2 "\t" $3 "\t" $4 }' "$results" >"$gpu_file"
  gpu_source="$gpu $(device_name "$gpu")"
else
  : >"$gpu_file"
  gpu_source="no GPU found"
fi
[ ${#gpus[@]} -gt 1 ] && say "more than one GPU: the table shows $gpu; every GPU ran (see $results)"

echo
echo "GPU:  $gpu_source"
echo "PoCL: $pocl_source"
echo "(op table: the selftest summary; step ms: devbench's median training step; test *: after $epochs epochs)"
awk -F'\t' -v tol="$rel_tol" -v have_gpu="${gpu:+1}" '
  function abs(x) { return x < 0 ? -x : x }
  FILENAME == ARGV[1] { key = $1 "\t" $2; g[key] = $3; if (!(key in seen)) { seen[key] = 1; order[++n] = key } next }
  FILENAME == ARGV[2] { key = $1 "\t" $2; p[key] = $3; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
  END {
    printf "%-28s %-30s %-16s %-16s %-9s %s\n", "experiment", "quantity", "GPU", "PoCL", "diff", "verdict"
    bad = 0
    for (i = 1; i <= n; i++) {
      split(order[i], kq, "\t"); key = order[i]
      gv = (key in g) ? g[key] : "-"; pv = (key in p) ? p[key] : "-"; diff = "-"; verdict = ""
      if (kq[2] == "step ms") {
        if (gv != "-" && pv != "-" && pv + 0 > 0) diff = sprintf("%.2fx", gv / pv)
        verdict = "(timing)"
      } else if (kq[2] == "selftest") {
        verdict = (gv ~ / 0 failed/ || gv == "-") ? "" : "FAILED"
        if (gv == "-" && have_gpu) verdict = "MISSING"
      } else if (gv != "-" && pv != "-") {
        d = abs(gv - pv); m = abs(gv) > abs(pv) ? abs(gv) : abs(pv); if (m < 1e-3) m = 1e-3
        diff = sprintf("%.2g%%", 100 * d / m)
        verdict = d <= tol * m ? "agree" : "DISAGREE"
      } else if (have_gpu) verdict = gv == "-" ? "MISSING on GPU" : "no PoCL figure"
      if (verdict ~ /^[A-Z]/) bad++
      printf "%-28s %-30s %-16s %-16s %-9s %s\n", kq[1], kq[2], substr(gv, 1, 16), substr(pv, 1, 16), diff, verdict
    }
    exit bad ? 1 : 0
  }' "$gpu_file" "$pocl_file" | tee "$out/table.txt"
table_status=${PIPESTATUS[0]}

for v in "$out"/logs/verdict-*.txt; do [ -s "$v" ] && { echo; cat "$v"; }; done
echo
echo "gpu-check: $((SECONDS - start)) s; logs, runs and devbench results in $out"
if [ -s "$problems" ] || [ "$table_status" -ne 0 ]; then
  echo "gpu-check: FAILED:"
  [ -s "$problems" ] && sed 's/^/  /' "$problems"
  [ "$table_status" -ne 0 ] && echo "  the table has disagreements or missing figures (capital letters above)"
  exit 1
fi
if [ -z "$gpu" ]; then
  echo "gpu-check: NO GPU FOUND: only PoCL ran (exit 3)"
  exit 3
fi
echo "gpu-check: the GPU agrees with PoCL everywhere"
