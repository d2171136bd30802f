#!/usr/bin/env bash
# All of typenet's tests: unit and Keras-parity tests, header self-containment, must-not-compile
# diagnostics (g++ and clang), -fno-exceptions build, heap-allocation counts, a find_package
# consumer, the examples, the CUDA policy (compiled and linked; SKIPPED without a GPU), the
# benchmark driver in --quick mode (perf_quick: outputs compared with libtorch and dlib; no timing),
# the Keras-to-C++ generator, M2 and M9 cross-built for a Cortex-M4 and run under QEMU, a short run
# of every fuzz harness (ASan + UBSan), the headers under the users' warning flags; then the
# threaded tests under TSan, and with TYPENET_ASAN=1 the unit tests and examples under ASan + UBSan
# (docs/reliability.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
build="${TYPENET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)"

# Sanitizers (docs/reliability.md), after the main suite passed. The threaded tests under TSan
# (tests/tsan, a small program: about a minute). TYPENET_ASAN=1 also builds the unit tests and
# the examples under ASan + UBSan and runs them (their short modes): about 20 minutes of build on
# two cores, too long for the default suite yet; the fuzz harnesses of the main suite run every
# file reader under ASan + UBSan. TYPENET_NO_SANITIZERS=1 skips both.
if [ "${TYPENET_NO_SANITIZERS:-0}" != 1 ]; then
    cmake -S "$root" -B "$build-tsan" -DCMAKE_BUILD_TYPE=Release -DTYPENET_SANITIZE=thread \
        -DTYPENET_BUILD_BENCH=OFF -DTYPENET_BUILD_EXAMPLES=OFF -DTYPENET_CUDA=OFF > /dev/null
    cmake --build "$build-tsan" -j "$(nproc)" --target typenet_thread_tests
    (cd "$build-tsan" && ctest --output-on-failure -R '^threads$')
    if [ "${TYPENET_ASAN:-0}" = 1 ]; then
        examples=(quickstart seed_models toy_regression fashion_mnist_cnn bn_cnn fnn resnet text_rnn newcomer)
        cmake -S "$root" -B "$build-asan" -DCMAKE_BUILD_TYPE=Release -DTYPENET_SANITIZE=address,undefined \
            -DTYPENET_BUILD_BENCH=OFF -DTYPENET_CUDA=OFF > /dev/null
        cmake --build "$build-asan" -j "$(nproc)" --target typenet_tests "${examples[@]}"
        (cd "$build-asan" && ctest --output-on-failure -j "$(nproc)" -R '^(unit|unit_generic|example_.*)$')
    fi
fi
