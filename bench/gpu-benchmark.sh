#!/usr/bin/env bash
# The GPU benchmark step of launch/gpu-check.sh: slatetrain against PyTorch on the same GPU
# (bench/gpu_benchmark.py). Its last line is the ratio.   bench/gpu-benchmark.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python3 "$root/bench/gpu_benchmark.py" --build-dir "${1:-$root/build}" "${@:2}"
