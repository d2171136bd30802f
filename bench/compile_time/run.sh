#!/usr/bin/env bash
# Compile-time benchmark: how long each example (examples/*.cpp) and synthetic networks of 20, 100
# and 300 layers (gen.sh: dense<16, relu> chains and conv/batch_norm/relu triples) take to compile,
# with g++ and clang++ at -O2, as a user builds (ARCH_FLAGS=-march=native for a native build: the
# kernels then compile for one instruction set instead of three). Each file is compiled RUNS times
# (default 3) to an object file; the table gives the min and median wall time, the median CPU time (user + sys: robust on a busy machine) and the peak memory
# (GNU /usr/bin/time when present). The issue's target: each seed example <= 10 s at -O2, judged on the
# median CPU time (user + sys), which is what one compile takes on an idle core; on a shared machine
# the wall time also counts waiting for the CPU (the load average is printed with the table).
#
#   bench/compile_time/run.sh                     everything
#   RUNS=1 COMPILERS="g++" bench/compile_time/run.sh
#   ONLY="seed_models synthetic" bench/compile_time/run.sh   (substring filter on the file names)
#   PRECOMPILED=1 bench/compile_time/run.sh       as a program linked with typenet::kernels compiles
#                                                 (-DTYPENET_PRECOMPILED_KERNELS: the float
#                                                 micro-kernels are not compiled, src/kernels.cpp)
#
# No Python; needs bash, coreutils, awk.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNS=${RUNS:-3}
COMPILERS=${COMPILERS:-"g++ clang++"}
OPT_FLAGS=${OPT_FLAGS:-"-O2"}
ARCH_FLAGS=${ARCH_FLAGS-}
STD_FLAGS=${STD_FLAGS:-"-std=c++20"}
ONLY=${ONLY:-}
TARGET_S=${TARGET_S:-10}
PRECOMPILED=${PRECOMPILED:-0}
if [[ "$PRECOMPILED" == 1 ]]; then OPT_FLAGS="$OPT_FLAGS -DTYPENET_PRECOMPILED_KERNELS"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/typenet-compile-time.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The files to compile: the examples, then the generated networks.
files=()
for f in "$root"/examples/*.cpp; do
    [[ -e "$f" ]] && files+=("$f")
done
for kind in dense conv; do
    for n in 20 100 300; do
        out="$work/synthetic_${kind}_${n}.cpp"
        "$here/gen.sh" "$kind" "$n" > "$out"
        files+=("$out")
    done
done
if [[ -n "$ONLY" ]]; then
    kept=()
    for f in "${files[@]}"; do
        for pat in $ONLY; do
            if [[ "$(basename "$f")" == *"$pat"* ]]; then kept+=("$f"); break; fi
        done
    done
    files=("${kept[@]}")
fi

gnu_time=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f "%e" true 2>/dev/null; then gnu_time=/usr/bin/time; fi

# One compile: prints "wall cpu peak_kb" (peak 0 without GNU time) or "FAIL".
compile_once() {
    local cxx=$1 src=$2 log=$work/compile.log
    local -a cmd=("$cxx" $STD_FLAGS $OPT_FLAGS $ARCH_FLAGS -I"$root/include" -I"$(dirname "$src")"
                  -DTYPENET_FIXTURES="\"$root/tests/fixtures\"" -c "$src" -o "$work/out.o")
    if [[ -n "$gnu_time" ]]; then
        if "$gnu_time" -f "TIME %e %U %S %M" -o "$work/time.txt" "${cmd[@]}" > "$log" 2>&1; then
            awk '/^TIME/ { printf "%.2f %.2f %d\n", $2, $3 + $4, $5 }' "$work/time.txt"
        else
            echo FAIL
        fi
    else
        local t0 t1 ok=1
        t0=$(date +%s.%N)
        "${cmd[@]}" > "$log" 2>&1 || ok=0
        t1=$(date +%s.%N)
        if ((ok)); then awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f %.2f 0\n", b - a, b - a }'; else echo FAIL; fi
    fi
}

printf "typenet compile times: %s %s %s, %d run(s) each, %s cores, load average %s\n" "$STD_FLAGS" "$OPT_FLAGS" "$ARCH_FLAGS" "$RUNS" "$(nproc)" "$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo \?)"
printf "%-28s %-9s %9s %9s %9s %9s  %s\n" "file" "compiler" "min s" "median s" "cpu s" "peak MB" "note"
printf "%-28s %-9s %9s %9s %9s %9s  %s\n" "----" "--------" "-----" "--------" "-----" "-------" "----"
over=0
for cxx in $COMPILERS; do
    if ! command -v "$cxx" > /dev/null; then
        printf "%-28s %-9s  (not installed)\n" "-" "$cxx"
        continue
    fi
    for src in "${files[@]}"; do
        name=$(basename "$src" .cpp)
        walls=() cpus=() peak=0 failed=0
        for ((r = 0; r < RUNS; ++r)); do
            res=$(compile_once "$cxx" "$src")
            if [[ "$res" == FAIL ]]; then failed=1; break; fi
            read -r w c m <<< "$res"
            walls+=("$w")
            cpus+=("$c")
            ((m > peak)) && peak=$m
        done
        if ((failed)); then
            printf "%-28s %-9s %9s %9s %9s %9s  %s\n" "$name" "$cxx" "-" "-" "-" "-" "FAILED: $(head -c 200 "$work/compile.log" | tr '\n' ' ')"
            continue
        fi
        min=$(printf "%s\n" "${walls[@]}" | sort -g | head -1)
        med=$(printf "%s\n" "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        cpu=$(printf "%s\n" "${cpus[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        mb=$(awk -v k="$peak" 'BEGIN { printf (k > 0 ? "%.0f" : "-"), k / 1024 }')
        note=""
        if [[ "$src" == "$root/examples/"* ]] && awk -v m="$cpu" -v t="$TARGET_S" 'BEGIN { exit !(m > t) }'; then
            note="over the ${TARGET_S} s target (cpu)"
            over=$((over + 1))
        fi
        printf "%-28s %-9s %9s %9s %9s %9s  %s\n" "$name" "$cxx" "$min" "$med" "$cpu" "$mb" "$note"
    done
done
if ((over)); then echo "$over example compile(s) over the ${TARGET_S} s target (median CPU time)"; fi
