#!/usr/bin/env bash
# What a user's own build of typenet gets: bench/consumer/consumer_speed.cpp (M2 fit + predict, M10
# predict), compiled as a user would -- `g++ -std=c++20 <flags> -I include prog.cpp -lz -pthread`,
# no project flags -- once per flag set below, then run round-robin (each mode once per round, so
# a noisy neighbour hits all modes alike). Prints each mode's min and median images/s and its ratio
# to the fastest mode. docs/performance.md ("What a user's build gets") quotes a run.
#
#   bench/consumer/run.sh [--rounds N] [--compiler g++|clang++] [--quick] [EXTRA_FLAGS...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds=3 cxx=g++ quick=""
extra=()
while (($#)); do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --compiler) cxx="$2"; shift 2 ;;
        --quick) quick="--quick"; rounds=1; shift ;;
        *) extra+=("$1"); shift ;;
    esac
done
out="${TYPENET_CONSUMER_DIR:-$root/build/consumer}"
mkdir -p "$out"
modes=("-O2" "-O3" "-O2 -march=native" "-O3 -march=native")
names=(O2 O3 O2_native O3_native)
for i in "${!modes[@]}"; do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "$cxx" -std=c++20 ${modes[$i]} "${extra[@]}" -I "$root/include" -I "$root/examples" \
        "$root/bench/consumer/consumer_speed.cpp" -o "$out/consumer_${names[$i]}" -lz -pthread
    ms=$((($(date +%s%N) - t0) / 1000000))
    printf 'built %-18s in %d.%01d s\n' "${modes[$i]}" $((ms / 1000)) $((ms % 1000 / 100))
done
for r in $(seq 1 "$rounds"); do
    for i in "${!modes[@]}"; do
        "$out/consumer_${names[$i]}" $quick --repeats 3 | sed "s/^/${names[$i]} /" >>"$out/round_$r.txt"
    done
done
# Each (mode, measurement): the median over the rounds of each round's median, and the min of all.
all="$out/all.txt"
cat "$out"/round_*.txt >"$all"
rm -f "$out"/round_*.txt
for w in $(awk '$2 == "RESULT" { print $3 }' "$all" | sort -u); do
    echo "$w (images/s: median of the rounds' medians, min of all repeats)"
    best=0
    declare -A med=() mn=()
    for n in "${names[@]}"; do
        vals=($(awk -v n="$n" -v w="$w" '$1 == n && $3 == w { print $5 }' "$all" | sort -n))
        med[$n]=${vals[$(((${#vals[@]} - 1) / 2))]}
        mn[$n]=$(awk -v n="$n" -v w="$w" '$1 == n && $3 == w { print $4 }' "$all" | sort -n | head -1)
        ((med[$n] > best)) && best=${med[$n]}
    done
    for n in "${names[@]}"; do
        k=$(awk -v n="$n" '$1 == n && $2 == "kernels:" { print $3; exit }' "$all")
        awk -v n="$n" -v k="${k:-?}" -v md="${med[$n]}" -v mn="${mn[$n]}" -v b="$best" \
            'BEGIN { printf "  %-10s kernels %-10s median %9d  min %9d  fastest/this %.2f\n", n, k, md, mn, b / md }'
    done
done
