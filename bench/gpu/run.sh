#!/usr/bin/env bash
# The GPU benchmark of issue #10, one run on a GPU machine: typenet's CUDA policy
# (bench/gpu/typenet_gpu_bench, built by scripts/gpu_build.sh) and PyTorch (its Python package) on
# M1, M2, M6, M8, M10 and VGG16, then one table and the line
#   GPU_SUMMARY min_speedup_vs_torch_fp32=... min_speedup_vs_torch_tf32=... m2_batch1_us=...
# Speed-ups are time ratios (> 1: typenet faster) of best times, against PyTorch's best mode of
# the same precision for that row (eager or CUDA graph, NCHW or channels-last).
#
#   bench/gpu/run.sh [--quick] [BINARY]      logs in $OUT (the device tool) or build-gpu/
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
quick=""
[[ "${1:-}" == "--quick" ]] && { quick="--quick"; shift; }
bin="${1:-$root/build-gpu/bench/gpu/typenet_gpu_bench}"
out="${OUT:-$root/build-gpu}"
mkdir -p "$out"
"$bin" $quick | tee "$out/gpu_bench_typenet.tsv"
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || { echo "typenet_gpu_bench exit code $rc"; exit $rc; }
PYTHONUNBUFFERED=1 python3 "$root/bench/gpu/torch_bench.py" $quick | tee "$out/gpu_bench_torch.tsv"
python3 "$root/bench/gpu/report.py" "$out/gpu_bench_typenet.tsv" "$out/gpu_bench_torch.tsv" | tee "$out/gpu_bench_table.md"
