#!/usr/bin/env bash
# Builds the self-contained bundle that tools/gpu-check.sh runs on a GPU
# machine with an NVIDIA driver but no network and no package manager:
#
#   build/gpu-bundle/
#     gpu-check.sh                 the check (a copy of tools/gpu-check.sh)
#     bin/cltrain, bin/devbench    wrappers: the bundled dynamic loader + lib/
#     libexec/                     the stripped binaries
#     lib/                         every shared library they need (ldd), glibc
#                                  and its loader included, so the target's own
#                                  glibc version does not matter; no OpenCL
#                                  vendor driver (the target's is used)
#     experiments/                 the shipped experiments (CIFAR: 2048 training images)
#     data/                        the weather CSV; CIFAR-10 cut to 2048 training
#                                  and 1024 test images (the check's experiments
#                                  use those; 61 MB of CIFAR would not fit)
#     fonts/                       DejaVu Sans and a fonts.conf, for the plots
#     reference/pocl.tsv           the check's PoCL figures, recorded here: the
#                                  target has no PoCL (PoCL needs LLVM, Clang
#                                  and Z3, 240 MB), so its column comes from here
#     BUILD.txt                    commit, date, CPU and PoCL of the recording
#
#   tools/make_gpu_bundle.sh [--build DIR] [--out DIR] [--data-dir DIR] [--no-record]
#
# At most 64 MiB (checked). Build first (tools/build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${CLTRAIN_BUILD_DIR:-$root/build}"
out=""
data="${CLTRAIN_DATA_DIR:-$root/../shared/data}"
record=1
limit=$((64 * 1024 * 1024))
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --data-dir) data="$2"; shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "make_gpu_bundle: unknown option '$1'" >&2; exit 2 ;;
  esac
done
out="${out:-$build/gpu-bundle}"
[ -d "$data" ] || data=/work/shared/data
for b in "$build/cltrain" "$build/tools/devbench"; do
  [ -x "$b" ] || { echo "make_gpu_bundle: $b is missing: run tools/build.sh first" >&2; exit 1; }
done
[ -f "$data/weather/weather_prediction_dataset.csv" ] && [ -f "$data/cifar-10-batches-bin/data_batch_1.bin" ] || {
  echo "make_gpu_bundle: no datasets in $data (weather/, cifar-10-batches-bin/): pass --data-dir" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"/{bin,libexec,lib,experiments,data/weather,data/cifar-10-batches-bin,fonts,reference}

# Binaries, stripped, and the libraries ldd finds for them.
for b in "$build/cltrain" "$build/tools/devbench"; do
  name="$(basename "$b")"
  strip --strip-unneeded -o "$out/libexec/$name" "$b"
  ldd "$b" | awk '/=> \// { print $3 } /^[ \t]*\/.*ld-linux/ { print $1 }'
done | sort -u | while read -r lib; do
  base="$(basename "$lib")"
  case "$base" in
    libOpenCL.so*) ;;                                   # the ICD loader: bundled (it is not a vendor driver)
    *opencl*|*OpenCL*|libpocl*|libnvidia*|libcuda*) continue ;; # vendor drivers: the target's own
  esac
  cp -L "$lib" "$out/lib/$base"
done
# glibc's pieces that a vendor driver may ask for (libdl, libpthread, librt are
# stubs since 2.34 but old drivers still link them) and the loader.
libdir="$(dirname "$(ldd "$build/cltrain" | awk '/libc.so.6/ { print $3 }')")"
for extra in libdl.so.2 libpthread.so.0 librt.so.1; do
  [ -f "$libdir/$extra" ] && cp -L "$libdir/$extra" "$out/lib/"
done
loader="$(ls "$out"/lib/ld-linux-x86-64.so.2 2>/dev/null || true)"
[ -n "$loader" ] || { echo "make_gpu_bundle: ldd named no ld-linux-x86-64.so.2" >&2; exit 1; }
for name in cltrain devbench; do
  cat >"$out/bin/$name" <<EOF
#!/bin/sh
# The bundled $name with the bundled glibc: the target's libc version does not matter.
# CLTRAIN_BUNDLE_SYSTEM_LIBC=1: the target's loader and libc instead (bundle libs still first).
here="\$(cd "\$(dirname "\$0")/.." && pwd)"
if [ "\${CLTRAIN_BUNDLE_SYSTEM_LIBC:-0}" = 1 ]; then
  LD_LIBRARY_PATH="\$here/lib-nolibc\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/libexec/$name" "\$@"
fi
# --library-path replaces LD_LIBRARY_PATH for the loader: keep the target's (driver folders) after ours.
exec "\$here/lib/ld-linux-x86-64.so.2" --library-path "\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" "\$here/libexec/$name" "\$@"
EOF
  chmod +x "$out/bin/$name"
done
# The same libraries without glibc, for CLTRAIN_BUNDLE_SYSTEM_LIBC=1 (symlinks: no extra size).
mkdir -p "$out/lib-nolibc"
for f in "$out"/lib/*; do
  case "$(basename "$f")" in
    ld-linux*|libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|libresolv.so*) ;;
    *) ln -s "../lib/$(basename "$f")" "$out/lib-nolibc/$(basename "$f")" ;;
  esac
done

cp "$root/tools/gpu-check.sh" "$out/gpu-check.sh"
chmod +x "$out/gpu-check.sh"
# The experiments, CIFAR ones cut to the bundle's 2048 training images.
for f in "$root"/experiments/*.yaml; do
  sed -E 's/^( *train_batches: *)[0-9]+/\11/; s/^( *train_subset: *)[0-9]+/\12048/' "$f" >"$out/experiments/$(basename "$f")"
done
cp "$data/weather/weather_prediction_dataset.csv" "$out/data/weather/"
# CIFAR-10 records are 3073 bytes; the loader takes any whole number of them.
head -c $((2048 * 3073)) "$data/cifar-10-batches-bin/data_batch_1.bin" >"$out/data/cifar-10-batches-bin/data_batch_1.bin"
head -c $((1024 * 3073)) "$data/cifar-10-batches-bin/test_batch.bin" >"$out/data/cifar-10-batches-bin/test_batch.bin"
[ -f "$data/cifar-10-batches-bin/batches.meta.txt" ] && cp "$data/cifar-10-batches-bin/batches.meta.txt" "$out/data/cifar-10-batches-bin/"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -f "$font" ]; then
  cp "$font" "$out/fonts/"
  [ -f "${font%.ttf}-Bold.ttf" ] && cp "${font%.ttf}-Bold.ttf" "$out/fonts/"
fi
cat >"$out/fonts/fonts.conf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- The bundle's fonts; gpu-check.sh points FONTCONFIG_FILE here and sets the cache folder. -->
<fontconfig>
  <dir prefix="relative">.</dir>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
</fontconfig>
EOF

{
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  echo "glibc: $(ldd --version | head -1)"
} >"$out/BUILD.txt"

if [ $record = 1 ]; then
  # The PoCL column of every later check: this machine's PoCL, same bundle, same commands.
  echo "make_gpu_bundle: recording the PoCL reference (gpu-check.sh --record)" >&2
  "$out/gpu-check.sh" --record "$out/reference/pocl.tsv" --out "$build/gpu-bundle-record" >"$out/reference/record.log" 2>&1 || {
    echo "make_gpu_bundle: recording failed; see $out/reference/record.log" >&2; tail -20 "$out/reference/record.log" >&2; exit 1; }
  cp "$build/gpu-bundle-record/devbench.json" "$out/reference/pocl-devbench.json" 2>/dev/null || true
  echo "pocl: $(grep -m1 -o 'pthread[^|]*' "$out/reference/record.log" || true)" >>"$out/BUILD.txt"
fi

size=$(du -sb "$out" | awk '{ print $1 }')
echo "make_gpu_bundle: $out, $((size / 1024 / 1024)) MiB ($size bytes; limit $((limit / 1024 / 1024)) MiB)"
if [ "$size" -gt "$limit" ]; then
  du -ab "$out" | sort -n | tail -10 >&2
  echo "make_gpu_bundle: over the limit" >&2
  exit 1
fi
