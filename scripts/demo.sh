#!/usr/bin/env bash
# The main job: build typenet's seed-models demo and run it (summaries with Keras' numbers,
# Keras weights loaded from numpy files, inference compared with Keras' outputs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
build="${TYPENET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target seed_models -j "$(nproc)"
"$build/examples/seed_models"
