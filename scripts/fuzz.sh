#!/usr/bin/env bash
# The long fuzz runs (docs/reliability.md quotes their figures). Each harness of tests/fuzz runs
# for RUNS executions (default 1,000,000) from its seed corpus, one after another, and the script
# prints each one's executions, run time and result. The harnesses must be built first (the README's
# test command does it; or `cmake --build build --target typenet_fuzz_npz ...`).
#
#   scripts/fuzz.sh [--runs N] [--jobs J] [--build DIR] [harness ...]     (default: all six)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs=1000000 jobs=1 build="${TYPENET_BUILD_DIR:-$root/build}"
names=()
while (($#)); do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --build) build="$2"; shift 2 ;;
        *) names+=("$1"); shift ;;
    esac
done
((${#names[@]})) || names=(npz npy datasets image state text)
dir="$build/tests/fuzz"
status=0
for h in "${names[@]}"; do
    bin="$dir/fuzz_$h"
    [ -x "$bin" ] || { echo "fuzz_$h: not built ($bin)"; status=1; continue; }
    work="$dir/long/$h"
    mkdir -p "$work"
    log="$dir/long/$h.log"
    t0=$(date +%s)
    parallel=()  # with -jobs, libFuzzer runs children that log to fuzz-<i>.log in the current directory
    if ((jobs > 1)); then parallel=(-jobs="$jobs" -workers="$jobs"); fi
    regressions=()  # inputs that once failed (tests/fuzz/regressions), replayed first
    if [ -d "$root/tests/fuzz/regressions/$h" ]; then regressions=("$root/tests/fuzz/regressions/$h"); fi
    if (cd "$dir/long" && TMPDIR="$dir/long" "$bin" -runs="$runs" -seed=1 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 "${parallel[@]}" "$work" "$dir/seeds/$h" "${regressions[@]}" > "$log" 2>&1); then
        result="no crash"
    else
        result="FAILED (see $log)"
        status=1
    fi
    logs=("$log")  # with -jobs, each job's statistics are in its own fuzz-<i>.log
    if ((jobs > 1)); then logs=("$dir"/long/fuzz-*.log); fi
    execs=$(cat "${logs[@]}" | { grep -o 'stat::number_of_executed_units: *[0-9]*' || true; } |
        awk '{s += $2} END {print s + 0}')
    rm -f "$dir"/long/fuzz-*.log
    printf 'fuzz_%-9s %12s executions  %5ss  %s\n' "$h" "$execs" "$(($(date +%s) - t0))" "$result"
done
exit $status
