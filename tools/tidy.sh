#!/usr/bin/env bash
# clang-tidy's bugprone checks (the top-level .clang-tidy) over every src/ and
# tools/ file of a build's compilation database. Exit status 0 when clean, 1
# when clang-tidy reports anything, 2 when it cannot run.
# Usage: tools/tidy.sh [BUILD_DIR]   (default $CLTRAIN_BUILD_DIR, then build/)
# The build must have been configured (CMakeLists.txt always writes
# compile_commands.json). CTest runs this as the test `clang_tidy`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-${CLTRAIN_BUILD_DIR:-$root/build}}"
tidy="${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}"
if [ -z "$tidy" ]; then
  echo "tidy.sh: clang-tidy not found: install the Debian package 'clang-tidy'" >&2
  exit 2
fi
db="$build/compile_commands.json"
if [ ! -f "$db" ]; then
  echo "tidy.sh: $db not found: configure the build first (tools/build.sh)" >&2
  exit 2
fi

# CMake writes one `"file": "PATH"` line per entry.
mapfile -t files < <(sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' "$db" | grep -E "^$root/(src|tools)/" | sort -u)
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy.sh: no src/ or tools/ files in $db" >&2
  exit 2
fi

# --quiet drops clang-tidy's "N warnings generated" lines; the warnings
# themselves go to stdout, and any of them fails its file. -Wno-error: in a
# CI build (-Werror) clang's own compiler warnings, which differ from gcc's,
# would otherwise come back as errors; the compiler that builds is gcc.
status=0
printf '%s\0' "${files[@]}" |
  xargs -0 -n 8 -P "$(nproc)" "$tidy" -p "$build" --quiet --warnings-as-errors='*' --extra-arg=-Wno-error \
    2>/dev/null || status=1
if [ $status -eq 0 ]; then
  echo "tidy.sh: ${#files[@]} files, no findings ($("$tidy" --version | grep -o 'version [0-9.]*'))"
else
  echo "tidy.sh: clang-tidy reported the findings above (checks and reasons: .clang-tidy)" >&2
fi
exit $status
