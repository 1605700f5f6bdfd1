#!/usr/bin/env bash
# Compiles every GPU-path OpenCL program for NVIDIA and AMD GPUs offline, and
# fails on a compile error, a register spill or a stack frame above the bound
# in any kernel a GPU runs. No GPU needed: what a GPU driver would refuse, or
# run from slow off-chip memory, shows up here first.
#
#   tools/gpu_compile_check.sh [--out DIR] [--manifest FILE] [--kernels DIR]
#
# Which programs: the library's program table (src/core/program.c), GPU-path
# ones only; tools/gpu_programs.txt names the CPU-only kernels inside them
# (dropped before code generation) and the GPU build options.
# NVIDIA: clang-15 -target nvptx64-nvidia-nvcl + libclc -> llvm-link -> opt ->
#   llc (PTX, sm_70) -> ptxas -v for sm_70, sm_80 and sm_90 (registers, spills,
#   stack). Without ptxas the PTX is still generated (compile errors and
#   __local_depot stack sizes are checked) and the report says spills were not.
# AMD: clang-15 -target amdgcn-amd-amdhsa for gfx90a and gfx1030 + libclc ->
#   llc (registers, spills and scratch per lane from the kernel metadata).
# Packages: Debian's clang-15, llvm-15, libclc-15 (tools/deps.sh). ptxas: the
#   CUDA toolkit's, found on PATH, in $PTXAS, /usr/local/cuda/bin, or in the
#   venv that tools/deps.sh fills from PyPI's nvidia-cuda-nvcc-cu12 (Debian has
#   it only in non-free's nvidia-cuda-toolkit).
#
# Stack bound: STACK_BOUND bytes per work-item (default 1024). Why 1 KiB: a
# kernel's stack lives in off-chip memory (NVIDIA "local", AMD scratch), and
# the driver reserves frame x every thread the GPU can hold at once: an H100
# holds 132 SMs x 2048 = 270k threads, so 1 KiB reserves 264 MiB, while
# conv2d_winograd4's 58 KB frame would reserve 15 GiB, and every access to it
# is a round trip to memory. Small private arrays (a reduction's partial sums,
# 100-odd bytes) stay well inside 1 KiB; a frame above it means a private
# array that should be in local memory or registers.
#
# Exit: 0 all good, 1 a finding (listed), 2 usage, 77 tools missing outside CI
# (CTest counts that as skipped; with CI=true missing tools are a failure).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/tools/gpu_programs.txt"
kernels="$root/cl"
out="${CLTRAIN_BUILD_DIR:-$root/build}/gpu-compile-check"
stack_bound="${STACK_BOUND:-1024}"
nv_archs="${NV_ARCHS:-sm_70 sm_80 sm_90}"
amd_archs="${AMD_ARCHS:-gfx90a gfx1030}"

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --manifest) manifest="$2"; shift 2 ;;
    --kernels) kernels="$2"; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "gpu_compile_check: unknown option '$1'" >&2; exit 2 ;;
  esac
done

clang=clang-15 llvm_link=llvm-link-15 opt=opt-15 llc=llc-15 llvm_dis=llvm-dis-15
libclc_dir="${LIBCLC_DIR:-/usr/lib/clc}"
missing=()
for t in $clang $llvm_link $opt $llc $llvm_dis; do command -v "$t" >/dev/null || missing+=("$t"); done
for f in nvptx64--nvidiacl.bc amdgcn--amdhsa.bc; do [ -f "$libclc_dir/$f" ] || missing+=("$libclc_dir/$f (libclc-15)"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "gpu_compile_check: missing ${missing[*]}; install with tools/deps.sh (clang-15 llvm-15 libclc-15)" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

# The first ptxas found of: $PTXAS, the tools/deps.sh venv (CUDA 12, which
# still assembles sm_70; CUDA 13 dropped it), PATH, /usr/local/cuda.
find_ptxas() {
  local c
  for c in "${PTXAS:-}" \
           "${XDG_CACHE_HOME:-$HOME/.cache}"/cltrain/cuda-venv/lib/python3*/site-packages/nvidia/cuda_nvcc/bin/ptxas \
           "$(command -v ptxas 2>/dev/null || true)" /usr/local/cuda/bin/ptxas; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
ptxas="$(find_ptxas || true)"

[ -f "$manifest" ] || { echo "gpu_compile_check: no manifest $manifest" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.bc "$out"/*.ptx "$out"/*.s "$out"/*.log "$out"/*.cl "$out"/*.meta "$out/notes.txt"
report="$out/report.txt"
findings="$out/findings.txt"
: >"$report"
: >"$findings"

# The programs and their parts come from the library's own table
# (src/core/program.c, PROGRAMS[]): {"name", ANY|CPU, {"part", ...}}. CPU
# programs are never built on a GPU, so only ANY programs are compiled here.
# The manifest adds the CPU-only kernels inside ANY programs and the options.
programs=()
declare -A parts cpu_only options
table="$root/src/core/program.c"
while IFS='|' read -r name devices list; do
  [ "$devices" = ANY ] && programs+=("$name")
  parts[$name]="$list"
done < <(sed -nE 's/^ *\{"([a-z0-9_]+)", (ANY|CPU), \{([^}]*)\}\},.*/\1|\2|\3/p' "$table" | tr -d '",')
[ ${#parts[@]} -gt 0 ] || { echo "gpu_compile_check: no programs found in $table" >&2; exit 2; }
while read -r kind name rest; do
  case "$kind" in
    ''|'#'*) ;;
    cpu-kernels) cpu_only[$name]="$rest" ;;
    options) options[$name]="$rest" ;;
    *) echo "gpu_compile_check: $manifest: unknown line '$kind $name'" >&2; exit 2 ;;
  esac
done <"$manifest"
for t in nvptx amdgcn; do
  [ -n "${options[$t]:-}" ] || { echo "gpu_compile_check: $manifest: no 'options $t' line" >&2; exit 2; }
done

finding() { echo "$*" >>"$findings"; echo "FAIL: $*" >&2; }

# Every cl/*.cl is a part of some program, so new kernel code cannot escape the check.
for f in "$kernels"/*.cl; do
  n="$(basename "$f" .cl)"
  [[ " ${parts[*]} " == *" $n "* ]] || finding "cl/$n.cl is a part of no program in src/core/program.c"
done
for p in "${!cpu_only[@]}"; do
  [ -n "${parts[$p]:-}" ] || finding "$(basename "$manifest") names CPU-only kernels of '$p', a program src/core/program.c lacks"
done

# Kernels defined in a bitcode file (clang marks them with kernel argument metadata).
kernels_in() { $llvm_dis "$1" -o - | sed -nE 's/^define .*@([A-Za-z0-9_]+)\(.*!kernel_arg_addr_space.*/\1/p'; }

# clang -> keep only the GPU-path kernels -> link libclc -> optimise. $1 program, $2 target triple,
# $3 options key, $4 libclc file, $5 output prefix, $6 extra clang flags. Prints the kept kernels.
front_end() {
  local prog="$1" triple="$2" key="$3" lib="$4" pre="$5" extra="$6"
  local src="$out/$prog.cl"
  local part
  for part in ${parts[$prog]}; do printf '#line 1 "cl/%s.cl"\n' "$part"; cat "$kernels/$part.cl"; echo; done >"$src"
  # shellcheck disable=SC2086
  if ! $clang -x cl -cl-std=CL1.2 -target "$triple" $extra -Xclang -finclude-default-header -O2 -emit-llvm \
       -c ${options[$key]} "$src" -o "$pre.bc" 2>"$pre.clang.log"; then
    finding "$prog ($key): clang failed: $(grep -m3 error "$pre.clang.log" | tr '\n' ' ')"
    return 1
  fi
  local all keep=() k
  all="$(kernels_in "$pre.bc")"
  for k in ${cpu_only[$prog]:-}; do
    grep -qx "$k" <<<"$all" || finding "$prog: CPU-only kernel '$k' (tools/gpu_programs.txt) is not in the program"
  done
  for k in $all; do
    [[ " ${cpu_only[$prog]:-} " == *" $k "* ]] || keep+=("$k")
  done
  [ ${#keep[@]} -gt 0 ] || return 0
  local list
  list="$(IFS=,; echo "${keep[*]}")"
  # Internalise everything but the GPU-path kernels and drop what is unused:
  # the CPU-only kernels never reach code generation.
  if ! { $opt -passes='internalize,globaldce' -internalize-public-api-list="$list" "$pre.bc" -o "$pre.k.bc" &&
         $llvm_link --only-needed "$pre.k.bc" "$libclc_dir/$lib" -o "$pre.l.bc" 2>/dev/null &&
         $opt -O3 "$pre.l.bc" -o "$pre.o.bc"; } 2>"$pre.opt.log"; then
    finding "$prog ($key): link/optimise failed: $(head -3 "$pre.opt.log" | tr '\n' ' ')"
    return 1
  fi
  printf '%s\n' "${keep[@]}"
}

row() { printf '%-8s %-8s %-13s %-32s %5s %7s %7s %7s\n' "$@" >>"$report"; }
row target arch program kernel regs spill_st spill_ld stack
check_numbers() { # target arch program kernel regs spill_st spill_ld stack
  row "$@"
  local what="$1/$2 $3:$4"
  local spilled=0
  if [ "$6" != "-" ] && [ "$6" -gt 0 ]; then spilled=1; fi
  if [ "$7" != "-" ] && [ "$7" -gt 0 ]; then spilled=1; fi
  if [ $spilled = 1 ]; then finding "$what spills ($6 bytes stored, $7 loaded)"; fi
  if [ "$8" != "-" ] && [ "$8" -gt "$stack_bound" ]; then
    finding "$what has a $8-byte stack frame (bound $stack_bound)"
  fi
  return 0
}

nv_program() {
  local prog="$1" kept
  local pre="$out/$prog.nvptx"
  kept="$(front_end "$prog" nvptx64-nvidia-nvcl nvptx nvptx64--nvidiacl.bc "$pre" "")" || return 0
  [ -n "$kept" ] || return 0
  if ! $llc -march=nvptx64 -mcpu=sm_70 -O3 "$pre.o.bc" -o "$pre.ptx" 2>"$pre.llc.log"; then
    finding "$prog (nvptx): llc failed: $(head -3 "$pre.llc.log" | tr '\n' ' ')"
    return 0
  fi
  if [ -z "$ptxas" ]; then
    # Before register allocation: the PTX stack (__local_depot) of each entry; spills unknown.
    awk '/^\.visible \.entry|^\.entry/ { sub(/\(.*/, ""); k = $NF; depot[k] = 0; cur = k }
         /__local_depot[0-9]+\[/ { match($0, /\[[0-9]+\]/); depot[cur] = substr($0, RSTART + 1, RLENGTH - 2) }
         END { for (k in depot) print k, depot[k] }' "$pre.ptx" | sort | while read -r k d; do
      check_numbers nvptx ptx "$prog" "$k" - - - "$d"
    done
    return 0
  fi
  local arch
  for arch in $nv_archs; do
    if ! "$ptxas" -v -arch="$arch" "$pre.ptx" -o /dev/null >"$pre.$arch.log" 2>&1; then
      if grep -q "is not defined for option 'gpu-name'" "$pre.$arch.log"; then
        echo "$arch: this ptxas cannot assemble for it (not checked)" >>"$out/notes.txt"
        continue
      fi
      finding "$prog (nvptx $arch): ptxas failed: $(grep -m3 -i error "$pre.$arch.log" | tr '\n' ' ')"
      continue
    fi
    awk '/Compiling entry function/ { match($0, /'"'"'[^'"'"']+'"'"'/); k = substr($0, RSTART + 1, RLENGTH - 2) }
         /bytes stack frame/ { st[k] = $1; ss[k] = $5; sl[k] = $9 }
         /Used [0-9]+ registers/ { for (i = 1; i <= NF; i++) if ($i == "Used") r[k] = $(i + 1) }
         END { for (k in r) print k, r[k], ss[k], sl[k], st[k] }' "$pre.$arch.log" | sort |
      while read -r k r ss sl st; do check_numbers nvptx "$arch" "$prog" "$k" "$r" "$ss" "$sl" "$st"; done
  done
}

amd_program() {
  local prog="$1" arch="$2" kept
  local pre="$out/$1.$2"
  kept="$(front_end "$prog" amdgcn-amd-amdhsa amdgcn amdgcn--amdhsa.bc "$pre" "-mcpu=$arch -nogpulib")" || return 0
  [ -n "$kept" ] || return 0
  if ! $llc -march=amdgcn -mcpu="$arch" -O3 "$pre.o.bc" -o "$pre.s" 2>"$pre.llc.log"; then
    finding "$prog (amdgcn $arch): llc failed: $(head -3 "$pre.llc.log" | tr '\n' ' ')"
    return 0
  fi
  # The kernel metadata (amdhsa.kernels): a record per kernel starts with "  - ",
  # its fields are indented by four spaces (deeper ones are its arguments').
  awk 'function flush() { if (k != "") print k, v "v/" s "s", vsp, ssp, p; k = "" }
       /^amdhsa\.kernels:/ { on = 1; next }
       on && /^[^ ]/ { flush(); on = 0 }
       !on { next }
       /^  - / { flush(); sub(/^  - /, "    ") }
       /^    \.name:/ { k = $2 }
       /^    \.private_segment_fixed_size:/ { p = $2 }
       /^    \.vgpr_count:/ { v = $2 }
       /^    \.sgpr_count:/ { s = $2 }
       /^    \.vgpr_spill_count:/ { vsp = $2 }
       /^    \.sgpr_spill_count:/ { ssp = $2 }
       END { flush() }' \
    "$pre.s" >"$pre.meta"
  while read -r k r vs ss ps; do
    # AMD reports spilled registers (VGPRs, SGPRs), not bytes: any is a spill.
    check_numbers amdgcn "$arch" "$prog" "$k" "$r" "$vs" "$ss" "$ps"
  done <"$pre.meta"
}

start=$SECONDS
for p in "${programs[@]}"; do
  for part in ${parts[$p]}; do
    [ -f "$kernels/$part.cl" ] || { finding "program $p: part cl/$part.cl does not exist"; continue 2; }
  done
  nv_program "$p"
  for a in $amd_archs; do amd_program "$p" "$a"; done
done

cat "$report"
echo
if [ -n "$ptxas" ]; then
  echo "ptxas: $ptxas ($("$ptxas" --version | tail -1))"
else
  echo "ptxas: not found (PATH, \$PTXAS, /usr/local/cuda/bin, the tools/deps.sh venv): NVIDIA registers and spills" \
       "not checked; PTX stack frames (__local_depot) checked instead"
fi
[ -f "$out/notes.txt" ] && sort -u "$out/notes.txt"
echo "stack bound: $stack_bound bytes per work-item; CPU-only programs and the kernels tools/gpu_programs.txt lists skipped"
echo "AMD columns: regs = VGPRs/SGPRs, spill_st/spill_ld = spilled VGPRs/SGPRs, stack = scratch bytes per lane"
echo "time: $((SECONDS - start)) s; logs and intermediate files in $out"
if [ -s "$findings" ]; then
  echo "gpu_compile_check: $(wc -l <"$findings") finding(s):"
  sed 's/^/  /' "$findings"
  exit 1
fi
echo "gpu_compile_check: all GPU-path kernels compile for NVIDIA and AMD without spills, stacks within $stack_bound bytes"
