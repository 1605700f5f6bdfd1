#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages cltrain needs, only those missing.
# Used by tools/quickstart.sh, tools/test.sh and .ci/run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config      # compiler and build
  ocl-icd-opencl-dev opencl-headers      # OpenCL ICD loader and headers
  pocl-opencl-icd                        # OpenCL on the CPU (any machine has one)
  libclblast-dev                         # GEMM on GPUs
  libyaml-dev                            # experiment files
  libcurl4-openssl-dev                   # dataset downloads
  libcairo2-dev fonts-dejavu-core        # plots (PNG, SVG) and their text
  libpng-dev libjpeg-dev                 # reading your own images
  check libsubunit-dev                   # unit tests
  python3                                # the layering check (tools/check_layers.py)
  libprotobuf-c-dev protobuf-c-compiler  # ONNX files: protobuf reader/writer generated at build time
  libonnx-dev                            # ONNX: onnx.proto, the schema that code is generated from
  libonnx-testdata                       # ONNX's node conformance tests (tests/test_onnx_conformance.c)
  libhdf5-dev                            # Keras 3 .weights.h5 export (HDF5)
  python3-venv                           # export tests: a venv with onnxruntime and keras from PyPI; the ptxas venv below
  clang-15 llvm-15 libclc-15             # GPU readiness: kernels compiled for NVIDIA/AMD offline (tools/gpu_compile_check.sh)
  oclgrind                               # GPU readiness: kernels run under a checking OpenCL simulator
  clang                                  # libFuzzer harnesses (tools/fuzz.sh, tools/sanitize.sh)
  openmpi-bin libopenmpi-dev             # optional: `mpirun -n K cltrain sweep`, and train.devices over ranks (CMake finds MPI when present)
)

# CI also runs clang-tidy's checks (the CTest test clang_tidy, tools/tidy.sh).
[ "${CI:-}" = true ] && packages+=(clang-tidy)

# NVIDIA's ptxas (register, spill and stack figures for tools/gpu_compile_check.sh):
# Debian ships it only in non-free's nvidia-cuda-toolkit, PyPI in
# nvidia-cuda-nvcc-cu12 (CUDA 12 still assembles sm_70). Optional: without it
# the check still compiles to PTX; CLTRAIN_NO_PTXAS=1 skips the download.
ptxas_venv() {
  [ "${CLTRAIN_NO_PTXAS:-0}" = 1 ] && return 0
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/cltrain/cuda-venv"
  compgen -G "$venv/lib/python3*/site-packages/nvidia/cuda_nvcc/bin/ptxas" >/dev/null && return 0
  command -v python3 >/dev/null || return 0
  echo "cltrain: installing ptxas (PyPI nvidia-cuda-nvcc-cu12) into $venv" >&2
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q --no-deps "nvidia-cuda-nvcc-cu12==12.9.86"; } ||
    echo "cltrain: ptxas not installed; tools/gpu_compile_check.sh will check PTX only" >&2
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  ptxas_venv
  exit 0
fi

echo "cltrain: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "cltrain: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
ptxas_venv
