#!/usr/bin/env bash
# CTest test_onnx_export: tools/onnx_venv.sh makes the venv with onnxruntime
# and onnx (exit 77, CTest's skip, with the reason, when no venv can be made
# here) and keras, then export_check.py trains every shipped experiment
# briefly, exports it and compares onnxruntime (and keras) with `cltrain predict`.
# Usage: export_test.sh CLTRAIN SOURCE_DIR BUILD_DIR DATA_DIR
set -uo pipefail
cltrain="$1" source="$2" build="$3" data="$4"
if [ ! -d "$data/weather" ] || [ ! -d "$data/cifar-10-batches-bin" ]; then
  echo "SKIP: the datasets are not in $data (weather/ and cifar-10-batches-bin/; set CLTRAIN_TEST_DATA_DIR)"
  exit 77
fi
"$source/tools/onnx_venv.sh" "$build/venv"
rc=$?
if [ $rc -ne 0 ]; then
  echo "SKIP: no Python venv with onnxruntime (see the reason above)"
  exit 77
fi
keras=()
if [ -f "$build/venv/keras-ok" ]; then
  keras=(--keras)
else
  echo "SKIP (Keras part only): no keras in $build/venv, see above"
fi
work="$build/test-tmp/onnx_export"
rm -rf "$work"
export KERAS_BACKEND=jax
exec "$build/venv/bin/python" "$source/tests/onnx/export_check.py" "${keras[@]}" "$cltrain" "$source" "$data" "$work" \
  "$source"/experiments/*.yaml "$source"/tests/onnx/experiments/*.yaml
