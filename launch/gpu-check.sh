#!/usr/bin/env bash
# The GPU check, one command on a GPU machine: build with CUDA, run the GPU tests (ctest -L gpu),
# then a full-size epoch on generated FINN-size data and the GPU benchmark where those are wired
# in, and print a short table. Exit status 0 only if every step that ran passed.
#
#   launch/gpu-check.sh                      # sm_90 (H100/H200), build in build-gpu/
#   SLATETRAIN_CUDA_ARCHITECTURES=80 launch/gpu-check.sh     # A100
#   SLATETRAIN_GPU_BUILD_DIR=/scratch/b launch/gpu-check.sh
# Logs of every step: <build dir>/gpu-check/<step>.log
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SLATETRAIN_GPU_BUILD_DIR:-$root/build-gpu}
architectures=${SLATETRAIN_CUDA_ARCHITECTURES:-90}
jobs=${SLATETRAIN_BUILD_JOBS:-$(nproc)}
log_dir=$build_dir/gpu-check
mkdir -p "$log_dir"

rows=()     # "step|result|seconds|note" for the table
failed=0

# run_step NAME NOTE COMMAND...: runs the command with its output in NAME.log, records a row.
run_step() {
  local name=$1 note=$2
  shift 2
  local start end result
  start=$(date +%s.%N)
  echo "== $name: $*" | tee "$log_dir/$name.log"
  if "$@" >>"$log_dir/$name.log" 2>&1; then result=PASS; else result=FAIL; failed=1; fi
  end=$(date +%s.%N)
  rows+=("$name|$result|$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')|$note")
  [ "$result" = FAIL ] && tail -n 30 "$log_dir/$name.log"
  [ "$result" = PASS ]
}

skip_step() { rows+=("$1|SKIP|-|$2"); }

print_table() {
  echo
  printf '%-22s %-6s %9s  %s\n' step result seconds note
  printf '%-22s %-6s %9s  %s\n' ---- ------ ------- ----
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r name result seconds note <<<"$row"
    printf '%-22s %-6s %9s  %s\n' "$name" "$result" "$seconds" "$note"
  done
  echo "logs: $log_dir"
}
trap print_table EXIT

# 0. A GPU must be there: this script checks GPUs, it does not skip them.
if ! nvidia-smi -L >"$log_dir/gpu.log" 2>&1; then
  skip_step gpu "nvidia-smi found no GPU: nothing to check on this machine"
  exit 2
fi
rows+=("gpu|PASS|-|$(head -n 1 "$log_dir/gpu.log" | cut -c1-60)")

# 1. Build: the GPU tests first (they must build), then everything else (programs, benchmarks).
run_step configure "CUDA architectures $architectures" \
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSLATETRAIN_CUDA=ON \
  -DSLATETRAIN_TESTS=ON -DCMAKE_CUDA_ARCHITECTURES="$architectures" || exit 1
run_step build-gpu-tests "cuda_backend_tests, cuda_nccl_communicator_test" \
  cmake --build "$build_dir" -j "$jobs" --target cuda_backend_tests cuda_nccl_communicator_test ||
  exit 1
run_step build-all "every target" cmake --build "$build_dir" -j "$jobs"

# 2. The GPU tests. A skipped GPU test is reported (the two-rank NCCL test needs two GPUs).
gpu_tests() {
  (cd "$build_dir" && ctest -L gpu --output-on-failure --timeout 300 -V)
}
if run_step gpu-tests "ctest -L gpu" gpu_tests; then :; fi
summary=$(grep -E "tests passed|tests failed" "$log_dir/gpu-tests.log" | tail -n 1)
skipped=$(grep -cE "\(Skipped\)$" "$log_dir/gpu-tests.log")
rows[${#rows[@]}-1]="${rows[${#rows[@]}-1]%|*}|$summary; $skipped skipped"

# 3. LEAD: a full-size epoch on generated FINN-size data (37.4M interactions) on the GPU.
#    Wired in when bench/gpu-epoch.sh exists; it gets the build directory and must print its
#    figures (seconds per epoch, interactions/s) on its last line.
if [ -x "$build_dir/bin/slatetrain" ] && [ -x "$root/bench/gpu-epoch.sh" ]; then
  run_step full-size-epoch "bench/gpu-epoch.sh" "$root/bench/gpu-epoch.sh" "$build_dir"
  rows[${#rows[@]}-1]="${rows[${#rows[@]}-1]%|*}|$(tail -n 1 "$log_dir/full-size-epoch.log")"
else
  skip_step full-size-epoch "needs $build_dir/bin/slatetrain and bench/gpu-epoch.sh (not wired yet)"
fi

# 4. LEAD: the GPU benchmark (slatetrain against PyTorch on the same GPU).
if [ -x "$build_dir/bin/slatetrain" ] && [ -x "$root/bench/gpu-benchmark.sh" ]; then
  run_step gpu-benchmark "bench/gpu-benchmark.sh" "$root/bench/gpu-benchmark.sh" "$build_dir"
  rows[${#rows[@]}-1]="${rows[${#rows[@]}-1]%|*}|$(tail -n 1 "$log_dir/gpu-benchmark.log")"
else
  skip_step gpu-benchmark "needs $build_dir/bin/slatetrain and bench/gpu-benchmark.sh (not wired yet)"
fi

exit "$failed"
