#!/usr/bin/env bash
# Installs what typenet's build, tests and demo need on Debian 12, only the packages that are missing
# (dataset-fashion-mnist is the training data of the examples; libjpeg62-turbo-dev (JPEG) and libstb-dev
# (PNG, BMP, GIF) decode image folders;
# libtorch-dev and libdlib-dev are the side-by-side baselines of bench/perf, whose outputs the
# perf_quick test compares with typenet's, and libopenblas0 is the BLAS libtorch is measured with --
# without it libtorch's dense layers fall back to the reference BLAS, see docs/performance.md; the
# word lists wamerican, wngerman, wfrench, witalian and wspanish are the text data of the sequence
# models: language identification of words, docs/data.md; gcc-arm-none-eabi with its newlib C++
# library and qemu-system-arm build and run the Cortex-M4 deployment tests, and python3-numpy with
# python3-h5py run tools/keras_to_typenet.py on the Keras fixtures, docs/embedded.md; libclang-rt-14-dev
# is clang's libFuzzer and sanitizer runtime for the fuzz harnesses of tests/fuzz, docs/reliability.md).
# Needs root (or sudo) when something is missing. CUDA is optional: it is used from /usr/local/cuda
# when present (the CUDA tests then compile and link, and report SKIPPED without a GPU).
set -euo pipefail

packages=(cmake make g++ clang doctest-dev zlib1g-dev libjpeg62-turbo-dev libstb-dev dataset-fashion-mnist
          libtorch-dev libdlib-dev libopenblas0 wamerican wngerman wfrench witalian wspanish
          gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm python3-numpy python3-h5py
          libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "typenet setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# nvcc is not on PATH on every machine that has CUDA.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
fi
