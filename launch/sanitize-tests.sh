#!/usr/bin/env bash
# The sanitizer stage of launch/run-tests.sh (docs/TESTING.md): builds the tests with
# AddressSanitizer + UndefinedBehaviorSanitizer (CUDA off) into build-asan/ and runs the unit and
# MPI tests there. The first report of either sanitizer, or a leak, fails the test that made it.
# Usage: launch/sanitize-tests.sh [ctest arguments]   (default: the labels below)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SLATETRAIN_ASAN_BUILD_DIR:-$root/build-asan}
jobs=${SLATETRAIN_BUILD_JOBS:-$(nproc)}
# -O1: fast enough to run, close enough to the source to read the reports; asserts stay on.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DSLATETRAIN_SANITIZE=ON -DSLATETRAIN_CUDA=OFF ${SLATETRAIN_ASAN_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"

# halt_on_error: stop at the first report (UBSan is fatal by -fno-sanitize-recover=all as well).
# Leaks are reported except Open MPI's own (tests/sanitizers/lsan.supp names only its libraries).
# fast_unwind_on_malloc=0: Open MPI's libraries have no frame pointers, and only the full stack
# shows that a leak comes from them (the suppressions match any frame).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
cd "$build_dir"
if (($# == 0)); then
  # The unit tests and every test under mpirun; GPU, SLURM, the bundle and the ml100k download
  # are the normal suite's (they exercise no code of ours that these do not). Two training runs
  # repeat others on more ranks (the dist tests cover 4 ranks) and would take 2.5 min of CI.
  set -- -L "unit|mpi|loader|dist" -LE "gpu|slurm|bundle|ml100k" \
    -E "training_(equivalence-4|resume-other-world)"
fi
ctest --output-on-failure --timeout 900 -j "${SLATETRAIN_TEST_JOBS:-2}" "$@"
