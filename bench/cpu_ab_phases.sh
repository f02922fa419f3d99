#!/bin/bash
# A/B of two slatetrain builds on the same data, interleaved (A, B, A, B) for noisy shared
# machines (issue 13): prints each run's interactions/s and ms per step phase with the load
# average at its start and end, and checks that the two builds' logged losses and final
# checkpoints (/dense, /embedding, compared with h5diff) are identical.
#   bench/cpu_ab_phases.sh CONVERTED_DIR STEPS LABEL BINARY_A BINARY_B [--set key=value ...]
# e.g. bench/cpu_ab_phases.sh out/prof/converted 20 slate-dot4 old/slatetrain build/bin/slatetrain
# (configs/gru.yaml: batch 1024, dim 64, slate loss; np=1, 2 threads; no evaluation.)
# A binary may be a wrapper script that sets the environment (e.g. OPENBLAS_CORETYPE).
set -euo pipefail
if [ $# -lt 5 ]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
data=$1; steps=$2; label=$3; binary_a=$4; binary_b=$5; shift 5
extra=("$@")  # more --set options for both builds
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cpu-ab.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
run() {  # BINARY RUN_DIR
  "$1" "$root/configs/gru.yaml" --set data.path="$data" --set run.dir="$2" --set run.device=cpu \
    --set run.threads=2 --set schedule.max_steps="$steps" --set schedule.warmup_steps=10 \
    --set schedule.epochs=1000 --set evaluation.every_steps=0 --set evaluation.patience=0 \
    --set evaluation.max_users=1 --set checkpoint.every_steps="$steps" --set checkpoint.keep=1 \
    --set logging.metrics_every_steps=10 "${extra[@]}"
}
for round in 1 2; do
  for side in a b; do
    binary=binary_$side
    load_start=$(cut -d' ' -f1 /proc/loadavg)
    run "${!binary}" "$scratch/$side" > "$scratch/$side.log" 2>&1
    python3 - "$label" "$side" "$round" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" \
      "$scratch/$side.log" <<'PY'
import json, sys
label, side, rnd, load_start, load_end, path = sys.argv[1:]
summary = json.loads(open(path).read().strip().splitlines()[-1])
phases = " ".join(f"{k} {v:.1f}" for k, v in summary["step_ms"].items())
print(f"{label} {side} round {rnd} load {load_start}->{load_end}: "
      f"{summary['interactions_per_s']:.0f}/s ms per step: {phases}")
PY
  done
  python3 "$root/bench/compare_run_losses.py" "$scratch/a" "$scratch/b"
  checkpoint_a=$(ls "$scratch"/a/checkpoints/checkpoint-*.h5 | tail -1)
  checkpoint_b=$(ls "$scratch"/b/checkpoints/checkpoint-*.h5 | tail -1)
  for group in /dense /embedding; do
    if h5diff -q "$checkpoint_a" "$checkpoint_b" $group $group; then
      echo "checkpoint $group identical"
    else
      echo "checkpoint $group DIFFERS"
    fi
  done
  rm -rf "$scratch/a" "$scratch/b"
done
