#!/usr/bin/env bash
# Optional set-up of tools/benchmark.sh's peers (never run by CI or the tests):
#   tools/bench_venv.sh [--debian-torch] [DIR]
#
# Makes two Python virtual environments under DIR (default
# ${XDG_CACHE_HOME:-~/.cache}/cltrain/bench-venv), one per peer, so that
# their pins (numpy, protobuf, ...) cannot clash:
#   DIR/torch  PyTorch 2.x from PyPI, the build users install (Intel MKL for
#              the dense layers, oneDNN for the convolutions). On x86-64
#              Linux PyPI's wheel pulls the CUDA libraries too: ~5 GB on disk.
#   DIR/keras  Keras 3 on TensorFlow's CPU build (tensorflow-cpu, oneDNN).
# With --debian-torch it also installs, with apt-get (as root), Debian's
# python3-torch and libopenblas0-pthread, the second PyTorch configuration
# (/usr/bin/python3; without OpenBLAS it would run on the reference BLAS).
# Idempotent: an environment that already imports its package is left as it
# is. Prints the versions; exit 1 if a peer could not be installed (the log
# DIR/<peer>.log says why); benchmark.sh skips a missing peer and says so.
set -uo pipefail
debian_torch=0
if [ "${1:-}" = "--debian-torch" ]; then debian_torch=1; shift; fi
case "${1:-}" in -*) sed -n '2,3s/^# \{0,1\}//p' "$0" >&2; exit 2 ;; esac
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/cltrain/bench-venv}"
mkdir -p "$dir" || exit 1
status=0

# One peer's venv: make it, pip install PACKAGES, check that CHECK imports.
peer_venv() {  # NAME CHECK PACKAGES...
  local name="$1" check="$2" venv="$dir/$1"
  shift 2
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
    return 0
  fi
  echo "bench_venv.sh: installing $* into $venv (log: $dir/$name.log)" >&2
  if python3 -m venv "$venv" >"$dir/$name.log" 2>&1 &&
     "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$@" \
       >>"$dir/$name.log" 2>&1 &&
     "$venv/bin/python" -c "$check" >>"$dir/$name.log" 2>&1; then
    return 0
  fi
  echo "bench_venv.sh: could not install $* (see $dir/$name.log):" >&2
  tail -3 "$dir/$name.log" >&2
  return 1
}

# The two downloads are independent: run them side by side.
peer_venv torch "import torch, numpy" torch numpy & torch_job=$!
peer_venv keras "import keras, tensorflow" keras tensorflow-cpu & keras_job=$!
wait "$torch_job" || status=1
wait "$keras_job" || status=1

if [ "$debian_torch" = 1 ]; then
  if ! /usr/bin/python3 -c "import torch" 2>/dev/null ||
     ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "bench_venv.sh: apt-get install python3-torch libopenblas0-pthread" >&2
    if ! $sudo apt-get install -y -q python3-torch libopenblas0-pthread \
         >"$dir/debian-torch.log" 2>&1; then
      echo "bench_venv.sh: Debian's python3-torch did not install (see $dir/debian-torch.log)" >&2
      tail -3 "$dir/debian-torch.log" >&2
      status=1
    fi
  fi
fi

version() {  # PYTHON MODULE...
  "$1" - "${@:2}" 2>/dev/null <<'EOF'
import importlib, sys
print(", ".join("%s %s" % (m, importlib.import_module(m).__version__) for m in sys.argv[1:]))
EOF
}
[ -x "$dir/torch/bin/python" ] && echo "$dir/torch: $(version "$dir/torch/bin/python" torch numpy)"
[ -x "$dir/keras/bin/python" ] && echo "$dir/keras: $(version "$dir/keras/bin/python" keras tensorflow numpy)"
/usr/bin/python3 -c "import torch" 2>/dev/null && echo "/usr/bin/python3: $(version /usr/bin/python3 torch numpy)"
exit "$status"
