#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) into build-fuzz/ and fuzzes each
# for SECONDS (default 20) through `ctest -L fuzz`. See docs/TESTING.md.
# Usage: launch/fuzz.sh [SECONDS] [ctest arguments, e.g. -R npz]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-20}
shift $(($# > 0 ? 1 : 0))
build_dir=${SLATETRAIN_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${SLATETRAIN_BUILD_JOBS:-$(nproc)}
# -O1 -g keeps the code close to the source for the reports; asserts stay on (no NDEBUG).
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DSLATETRAIN_FUZZ=ON -DSLATETRAIN_TESTS=OFF -DSLATETRAIN_CUDA=OFF \
  -DSLATETRAIN_FUZZ_SECONDS="$seconds" ${SLATETRAIN_FUZZ_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs" --target fuzz_targets
cd "$build_dir"
# One target at a time: each fuzzes on one core for the whole time.
ctest --output-on-failure -L fuzz "$@"
