#!/usr/bin/env bash
# The test command of README.md: installs what is missing, builds, runs every test (CTest).
# Arguments go to ctest, e.g. -L mpi or -R loader.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/launch/install-dependencies.sh"
"$root/launch/build.sh"
build_dir=${SLATETRAIN_BUILD_DIR:-$root/build}
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "${SLATETRAIN_TEST_JOBS:-2}" "$@"
