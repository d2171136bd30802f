#!/usr/bin/env bash
# The main job: the Keras Fashion-MNIST CNN tutorial in C++ (M2 on Debian's dataset-fashion-mnist):
# summary, 10 epochs with progress and validation, test accuracy, confusion matrix, curves in
# build/demo/. TYPENET_DEMO=seed_models runs the inference demo instead (summaries, Keras weights);
# TYPENET_DEMO=text_rnn the text tutorial (M3 and M4 on English / German words, curves in build/demo/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
build="${TYPENET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_BENCH=OFF >/dev/null
demo="${TYPENET_DEMO:-fashion_mnist_cnn}"
cmake --build "$build" --target "$demo" -j "$(nproc)"
if [ "$demo" = fashion_mnist_cnn ] || [ "$demo" = text_rnn ]; then
    "$build/examples/$demo" --out "$build/demo"
else
    "$build/examples/$demo"
fi
