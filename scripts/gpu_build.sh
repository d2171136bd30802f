#!/usr/bin/env bash
# Builds, on the development machine (CUDA toolkit and cuDNN, no GPU), what scripts/gpu_check.sh
# runs on a GPU machine: the CUDA policy's test binary for the H200 (sm_90), in build-gpu/.
# The GPU machine has no Debian packages (doctest, zlib headers), so the binary is built here and
# carried: device run with carry=["build-gpu/tests/cuda/typenet_cuda_tests",
# "build-gpu/bench/gpu/typenet_gpu_bench"].
#
#   scripts/gpu_build.sh [ARCH]      ARCH: CUDA architectures, default 90
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
arch="${1:-90}"
cmake -S "$root" -B "$root/build-gpu" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch" \
      -DTYPENET_BUILD_EXAMPLES=OFF -DTYPENET_BUILD_BENCH=OFF > "$root/build-gpu.configure.log"
cmake --build "$root/build-gpu" --target typenet_cuda_tests typenet_gpu_bench -j"$(nproc)"
ls -la "$root/build-gpu/tests/cuda/typenet_cuda_tests" "$root/build-gpu/bench/gpu/typenet_gpu_bench"
