#!/bin/bash
# A/B of two slatetrain builds by CPU seconds (user + sys), which other sessions' load changes
# far less than wall time: the same configuration, 1 thread, a fixed number of steps, the
# objectives given, two interleaved rounds each. Prints each run's CPU seconds, wall seconds,
# interactions/s, the OpenBLAS kernels, and whether the two builds' logged losses are identical
# (else their largest relative difference).
#   bench/cpu_seconds_ab.sh CONVERTED_DIR STEPS BINARY_A BINARY_B [OBJECTIVE ...]
# e.g. bench/cpu_seconds_ab.sh out/quality/data-20000x3000-seed1/converted 60 \
#        old/bin/slatetrain build/bin/slatetrain mixed slate
# (configs/gru-small.yaml with the dense learning rate pinned to 0.003, no evaluation.)
# SETTINGS_A / SETTINGS_B: extra space-separated key=value settings of one side, to compare two
# settings of one build (then the losses are expected to differ), e.g.
#   SETTINGS_B="objective.shared_negatives=true" bench/cpu_seconds_ab.sh DATA 60 B B mixed
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
data=$1; steps=$2; binary_a=$3; binary_b=$4; shift 4
objectives=("$@")
[ ${#objectives[@]} -gt 0 ] || objectives=(mixed slate)
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cpu-seconds-ab.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for objective in "${objectives[@]}"; do
  for round in 1 2; do
    for side in a b; do
      binary=binary_$side
      extra=SETTINGS_${side^^}
      settings=()
      for setting in ${!extra:-}; do settings+=(--set "$setting"); done
      rm -rf "$scratch/$side"
      /usr/bin/time -f "%U %S %e" -o "$scratch/time-$side" "${!binary}" "$root/configs/gru-small.yaml" \
        --set data.path="$data" --set run.dir="$scratch/$side" --set run.threads=1 \
        --set schedule.max_steps="$steps" --set schedule.epochs=1000 \
        --set evaluation.every_steps=0 --set evaluation.max_users=1 \
        --set checkpoint.every_steps="$steps" --set objective.kind="$objective" \
        --set logging.phase_timing=true \
        --set optimizer.dense.learning_rate=0.003 ${settings[@]+"${settings[@]}"} >"$scratch/out-$side" \
        2>"$scratch/err-$side"
      read -r user system wall <"$scratch/time-$side"
      summary=$(tail -n 1 "$scratch/out-$side" | python3 -c "import json, sys
d = json.loads(sys.stdin.read())
print(round(d['interactions_per_s']), d['interactions'], d.get('openblas_kernels'),
      'ms per step:', {k: round(v, 1) for k, v in (d.get('step_ms') or {}).items()})")
      echo "$objective round $round $side: cpu ${user}+${system} s, wall $wall s, load" \
        "$(cut -d' ' -f1 /proc/loadavg), interactions/s, interactions, kernels: $summary"
    done
    python3 "$root/bench/compare_run_losses.py" "$scratch/a" "$scratch/b"
  done
done
