#!/usr/bin/env bash
# The test command of README.md: installs what is missing, builds, runs every test (CTest).
# Arguments go to ctest, e.g. -L mpi or -R loader.
# Without arguments (the whole suite, as CI runs it) two more stages follow (docs/TESTING.md):
# the unit and MPI tests built with ASan + UBSan (launch/sanitize-tests.sh, build-asan/) and each
# fuzz target for SLATETRAIN_FUZZ_SECONDS (launch/fuzz.sh, build-fuzz/). Locally,
# SLATETRAIN_SKIP_SANITIZERS=1 and SLATETRAIN_SKIP_FUZZ=1 leave them out.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/launch/install-dependencies.sh"
"$root/launch/build.sh"
build_dir=${SLATETRAIN_BUILD_DIR:-$root/build}
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "${SLATETRAIN_TEST_JOBS:-2}" "$@"
if (($# > 0)); then exit 0; fi
stage_seconds() { echo "run-tests: $1 stage took $((SECONDS - $2)) s"; }
if [[ "${SLATETRAIN_SKIP_SANITIZERS:-0}" != 1 ]]; then
  start=$SECONDS
  "$root/launch/sanitize-tests.sh"
  stage_seconds sanitizer "$start"
fi
if [[ "${SLATETRAIN_SKIP_FUZZ:-0}" != 1 ]]; then
  start=$SECONDS
  "$root/launch/fuzz.sh" "${SLATETRAIN_FUZZ_SECONDS:-20}"
  stage_seconds fuzz "$start"
fi
