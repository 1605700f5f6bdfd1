#!/usr/bin/env bash
# Makes (once) the Python virtual environment the export tests check with:
# onnxruntime runs the exported ONNX model, onnx's checker validates it;
# keras (JAX backend) and h5py load the Keras export.
# Usage: tools/onnx_venv.sh VENV_DIR     (prints nothing on success)
# Exit 0: VENV_DIR/bin/python has onnxruntime, onnx and numpy, and, when
# VENV_DIR/keras-ok exists, keras, h5py and jax too (a failed Keras install
# is reported on stderr and leaves the ONNX checks to run). Exit 77 (the
# tests' "skip"): no venv with onnxruntime could be made, reason on stderr.
set -uo pipefail
venv="${1:?usage: tools/onnx_venv.sh VENV_DIR}"
py="$venv/bin/python"
keras_stack() {
  [ -f "$venv/keras-ok" ] && return 0
  if "$py" -m pip install --quiet --disable-pip-version-check keras h5py jax >>"$venv.log" 2>&1 &&
     KERAS_BACKEND=jax "$py" -c "import keras, h5py, jax" >>"$venv.log" 2>&1; then
    touch "$venv/keras-ok"
  else
    echo "no keras/h5py/jax in $venv (pip install failed: see $venv.log); the Keras export is not checked" >&2
  fi
  return 0
}
if [ -x "$py" ] && "$py" -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
  keras_stack
  exit 0
fi
# python3-venv is Debian's package for `python3 -m venv` (tools/deps.sh installs it).
if ! python3 -m venv "$venv" >"$venv.log" 2>&1; then
  echo "cannot make a Python venv at $venv (python3 -m venv failed; is python3-venv installed?):" >&2
  tail -3 "$venv.log" >&2
  exit 77
fi
if ! "$py" -m pip install --quiet --disable-pip-version-check onnxruntime onnx numpy >>"$venv.log" 2>&1; then
  echo "cannot install onnxruntime, onnx and numpy from PyPI into $venv (offline?):" >&2
  tail -3 "$venv.log" >&2
  exit 77
fi
"$py" -c "import onnxruntime, onnx, numpy" 2>>"$venv.log" || { echo "the venv at $venv cannot import onnxruntime/onnx/numpy" >&2; exit 77; }
keras_stack
