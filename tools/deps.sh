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
  python3-venv                           # export tests: a venv with onnxruntime and keras from PyPI
)

# CI also runs clang-tidy's checks (the CTest test clang_tidy, tools/tidy.sh).
[ "${CI:-}" = true ] && packages+=(clang-tidy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "cltrain: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "cltrain: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
