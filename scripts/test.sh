#!/usr/bin/env bash
# All of typenet's tests: unit and Keras-parity tests, header self-containment, must-not-compile
# diagnostics (g++ and clang), -fno-exceptions build, heap-allocation counts, a find_package
# consumer, the examples, the CUDA policy (compiled and linked; SKIPPED without a GPU), the
# benchmark driver in --quick mode (perf_quick: outputs compared with libtorch and dlib; no timing),
# the Keras-to-C++ generator, M2 and M9 cross-built for a Cortex-M4 and run under QEMU, a short run
# of every fuzz harness (ASan + UBSan), checkpoints under SIGKILL, the headers under the users'
# warning flags; then the threaded tests under TSan, and the I/O and training unit tests and two
# examples under ASan + UBSan (all of them with TYPENET_ASAN=1; docs/reliability.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
build="${TYPENET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)"

# Sanitizers (docs/reliability.md), after the main suite passed:
#  - TSan: the threaded tests (tests/tsan, a small program: about a minute);
#  - ASan + UBSan (-O1, asserts on): the unit tests of everything that reads files, writes them or
#    trains (unit_sanitize), and two examples in their short modes; a few minutes. With
#    TYPENET_ASAN=1, every unit test and example instead (about 20 minutes of build on two cores).
# The fuzz smoke runs of the main suite run every file reader under ASan + UBSan too.
# TYPENET_NO_SANITIZERS=1 skips this stage.
if [ "${TYPENET_NO_SANITIZERS:-0}" != 1 ]; then
    cmake -S "$root" -B "$build-tsan" -DCMAKE_BUILD_TYPE=Release -DTYPENET_SANITIZE=thread \
        -DTYPENET_BUILD_BENCH=OFF -DTYPENET_BUILD_EXAMPLES=OFF -DTYPENET_CUDA=OFF > /dev/null
    cmake --build "$build-tsan" -j "$(nproc)" --target typenet_thread_tests
    (cd "$build-tsan" && ctest --output-on-failure -R '^threads$')

    asan_targets=(typenet_sanitize_tests quickstart text_rnn)
    asan_tests='^(unit_sanitize|example_quickstart|example_text_rnn)$'
    if [ "${TYPENET_ASAN:-0}" = 1 ]; then
        asan_targets=(typenet_tests typenet_sanitize_tests quickstart seed_models toy_regression fashion_mnist_cnn
                      bn_cnn fnn resnet text_rnn newcomer)
        asan_tests='^(unit|unit_generic|unit_sanitize|example_.*)$'
    fi
    cmake -S "$root" -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
        -DTYPENET_SANITIZE=address,undefined -DTYPENET_BUILD_BENCH=OFF -DTYPENET_CUDA=OFF > /dev/null
    cmake --build "$build-asan" -j "$(nproc)" --target "${asan_targets[@]}"
    (cd "$build-asan" && ctest --output-on-failure -j "$(nproc)" -R "$asan_tests")
fi
