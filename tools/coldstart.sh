#!/bin/sh
# Cold start, measured: a first run with empty caches (a fresh XDG_CACHE_HOME
# and POCL_CACHE_DIR each run), the compile-ahead helper off
# (CLTRAIN_PREBUILD=0, the default) and on (CLTRAIN_PREBUILD=1) taking turns, RUNS rounds.
# Prints each run's wall and CPU seconds (user + sys, the helper's included),
# the work-group functions PoCL compiled and how many of them the helper
# did, and the medians per mode. tools/performance.md, "Cold compile".
#
#   tools/coldstart.sh [RUNS] [WHAT...]     WHAT: sunshine cifar selftest (default: all three)
#
# CLTRAIN (default build/cltrain), CLTRAIN_DATA_DIR (default ../shared/data)
# and PIN (a taskset CPU list, e.g. PIN=1 for one core; default: none) from
# the environment. On one core the helper only competes with the run.
set -eu
runs=${1:-3}
[ $# -gt 0 ] && shift
whats=${*:-sunshine cifar selftest}
here=$(cd "$(dirname "$0")/.." && pwd)
cltrain=${CLTRAIN:-$here/build/cltrain}
data=${CLTRAIN_DATA_DIR:-$here/../shared/data}
pin=${PIN:-}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

command_for() {
    case $1 in
    sunshine) echo "run $here/experiments/sunshine.yaml --data-dir $data --silent --out RUNDIR" ;;
    cifar) echo "run $here/experiments/cifar10_cnn.yaml --data-dir $data --silent --out RUNDIR --set train.epochs=1 --set data.cifar10.train_subset=2000 --set data.cifar10.test_subset=1000" ;;
    selftest) echo "selftest --all" ;;
    *) echo "unknown WHAT '$1' (sunshine, cifar or selftest)" >&2; exit 2 ;;
    esac
}

one_run() { # what mode
    cache=$(mktemp -d)
    cmd=$(command_for "$1" | sed "s|RUNDIR|$cache/run|")
    case $2 in off) pb=0 ;; *) pb=1 ;; esac
    runner=""
    [ -n "$pin" ] && runner="taskset -c $pin"
    # shellcheck disable=SC2086 # runner and cmd are split on purpose
    env CLTRAIN_PREBUILD="$pb" CLTRAIN_PREBUILD_LOG="$cache/helper.log" XDG_CACHE_HOME="$cache" \
        POCL_CACHE_DIR="$cache/pocl" /usr/bin/time -f '%e %U %S' -o "$cache/time" \
        $runner "$cltrain" $cmd > "$cache/out" 2>&1 || echo "($1, helper $2: exit status $?, see the output above)"
    read -r wall user sys < "$cache/time"
    helped=$(grep -c ': done, [0-9.]*[1-9]' "$cache/helper.log" 2>/dev/null || true)
    kernels=$(find "$cache/pocl" -name '*.so' ! -name 'tempfile*' | wc -l)
    cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
    printf '%-8s helper %-3s wall %7.2f s  cpu %7.2f s  work-group functions %3d, by the helper %s\n' \
        "$1" "$2" "$wall" "$cpu" "$kernels" "${helped:-0}"
    echo "$1 $2 $wall $cpu" >> "$results"
    rm -rf "$cache"
}

for what in $whats; do
    i=0
    while [ "$i" -lt "$runs" ]; do
        one_run "$what" off
        one_run "$what" on
        i=$((i + 1))
    done
done
echo "medians (wall s, cpu s):"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for what in $whats; do
    for mode in off on; do
        wall=$(grep "^$what $mode " "$results" | awk '{print $3}' | median)
        cpu=$(grep "^$what $mode " "$results" | awk '{print $4}' | median)
        printf '  %-8s helper %-3s wall %7.2f  cpu %7.2f  (%s runs)\n' "$what" "$mode" "$wall" "$cpu" "$runs"
    done
done
