#!/usr/bin/env bash
# All of typenet's tests: unit and Keras-parity tests, header self-containment, must-not-compile
# diagnostics (g++ and clang), -fno-exceptions build, heap-allocation counts, a find_package
# consumer, the examples, the CUDA policy (compiled and linked; SKIPPED without a GPU) and the
# benchmark driver in --quick mode (perf_quick: outputs compared with libtorch and dlib; no timing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
build="${TYPENET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
