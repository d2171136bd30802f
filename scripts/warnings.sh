#!/usr/bin/env bash
# The whole warning matrix of docs/reliability.md: tests/warnings/every_header.cpp (every public
# header, the templates users instantiate) with -Wall -Wextra -Wpedantic -Wshadow -Wconversion
# -Werror, by g++ and clang++, at -O0 -O1 -O2 -O3, each with and without -march=native; and the
# CUDA headers (tests/cuda/test_cuda.cu) under nvcc -Werror all-warnings when nvcc is found.
# Prints one line per compile; exits non-zero if any compile warns.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
flags=(-std=c++20 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -I "$root/include")
status=0
for cxx in g++ clang++; do
    command -v "$cxx" > /dev/null || { echo "$cxx: not found (skipped)"; continue; }
    for o in -O0 -O1 -O2 -O3; do
        for arch in "" -march=native; do
            if "$cxx" "${flags[@]}" $o $arch -c "$root/tests/warnings/every_header.cpp" -o "$out/x.o" 2> "$out/log"; then
                echo "ok      $cxx $o $arch"
            else
                echo "WARNS   $cxx $o $arch"; head -20 "$out/log"; status=1
            fi
        done
    done
done
nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
if [ -x "$nvcc" ]; then
    if "$nvcc" -std=c++20 -arch=sm_90 -Werror all-warnings -Xcompiler -Wall,-Wextra -I "$root/include" -I "$root/examples" \
        -c "$root/tests/cuda/test_cuda.cu" -o "$out/cuda.o" 2> "$out/log"; then
        echo "ok      nvcc -Werror all-warnings (-Xcompiler -Wall,-Wextra)"
    else
        echo "WARNS   nvcc -Werror all-warnings"; head -20 "$out/log"; status=1
    fi
fi
exit $status
