#!/usr/bin/env bash
# Everything that needs a GPU, in one unattended call of at most 6 minutes on a GPU machine (issue #10): the CUDA
# policy's tests, compute-sanitizer memcheck over all of them and racecheck over a small subset,
# then the GPU benchmark against PyTorch (bench/gpu/run.sh).
# The test binary is built on the development machine by scripts/gpu_build.sh and carried
# (build-gpu/tests/cuda/typenet_cuda_tests); it finds cuBLAS and cuDNN here through
# LD_LIBRARY_PATH: the CUDA toolkit's lib64 and PyTorch's nvidia-* wheels (cuDNN is not part of
# the toolkit there). Logs go to $OUT when it is set (the device tool), else to build-gpu/.
#
#   scripts/gpu_check.sh            whole check, well inside 6 minutes
#
#   device run: command "scripts/gpu_check.sh", carry ["build-gpu/tests/cuda/typenet_cuda_tests",
#   "build-gpu/bench/gpu/typenet_gpu_bench"], timeout_s 420
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/build-gpu}"
mkdir -p "$out"
bin="$root/build-gpu/tests/cuda/typenet_cuda_tests"
status=0

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
nvcc --version 2>/dev/null | tail -1 || true

# Libraries: the toolkit's, then every nvidia/*/lib of the Python packages (cuDNN, cuBLAS).
libs=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
    [[ -d "$d" ]] && libs="$libs:$d"
done
py_nvidia=$(python3 - <<'PY' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
paths = list(spec.submodule_search_locations) if spec else []
for p in paths:
    for name in sorted(os.listdir(p)):
        lib = os.path.join(p, name, "lib")
        if os.path.isdir(lib):
            print(lib)
PY
)
for d in $py_nvidia; do libs="$libs:$d"; done
export LD_LIBRARY_PATH="${libs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

if [[ ! -x "$bin" ]]; then
    echo "no test binary at $bin: run scripts/gpu_build.sh on the development machine and carry it"
    exit 2
fi
echo "== libraries the test binary loads"
ldd "$bin" | grep -E "cudnn|cublas|cudart|not found" || true

echo "== tests/cuda"
timeout 100 "$bin" --duration=true 2>&1 | tee "$out/cuda_tests.log"
rc=${PIPESTATUS[0]}
echo "tests/cuda exit code: $rc"
[[ $rc -eq 77 ]] && echo "tests/cuda SKIPPED: no GPU on this machine (this script is for a GPU machine)"
[[ $rc -eq 0 ]] || status=1

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [[ -n "$sanitizer" ]]; then
    echo "== compute-sanitizer memcheck (all tests but the VGG16 base)"
    timeout 60 "$sanitizer" --tool memcheck --error-exitcode 3 --print-limit 20 "$bin" \
        --test-case-exclude="*seed models*" 2>&1 | tail -40 | tee "$out/memcheck.log"
    rc=${PIPESTATUS[0]}
    echo "memcheck exit code: $rc"
    [[ $rc -eq 0 ]] || status=1
    echo "== compute-sanitizer racecheck (dense, conv and residual networks)"
    timeout 40 "$sanitizer" --tool racecheck --error-exitcode 3 --print-limit 20 "$bin" \
        --test-case="*dense + relu*,*conv2d same*,*residual blocks*" 2>&1 | tail -20 | tee "$out/racecheck.log"
    rc=${PIPESTATUS[0]}
    echo "racecheck exit code: $rc"
    [[ $rc -eq 0 ]] || status=1
else
    echo "compute-sanitizer: not found (SKIPPED)"
fi
echo "== bench/gpu"
if [[ -x "$root/build-gpu/bench/gpu/typenet_gpu_bench" ]]; then
    timeout 150 "$root/bench/gpu/run.sh" || status=1
else
    echo "bench/gpu: no binary (scripts/gpu_build.sh builds it) -- SKIPPED"
fi
echo "GPU_CHECK status=$status"
exit $status
