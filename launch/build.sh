#!/usr/bin/env bash
# Configures and builds slatetrain into build/ (or $SLATETRAIN_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DSLATETRAIN_CUDA=OFF.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SLATETRAIN_BUILD_DIR:-$root/build}
jobs=${SLATETRAIN_BUILD_JOBS:-$(nproc)}
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j "$jobs"
