#!/usr/bin/env bash
# One full-size epoch on the GPU: generates FINN-size data (2,277,645 users, 1,311,775 items,
# ~37.4M interactions; stored, truth on 1000 users to keep it short), converts it, trains one
# epoch of configs/gru.yaml on one GPU, evaluates on 10,000 users per split over the whole
# catalogue, then 300 steps with logging.phase_timing (the device synchronised at each phase)
# to show where a step's GPU time goes. The last line: seconds per epoch and interactions/s.
#   bench/gpu-epoch.sh BUILD_DIR     (OUT: GPU_EPOCH_OUT, default out/gpu-epoch)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
bin=$build/bin
out=${GPU_EPOCH_OUT:-$root/out/gpu-epoch}
threads=$(nproc)
mkdir -p "$out"
start=$(date +%s.%N)
"$bin/slateconvert" synth --output "$out/finn" --full --stored --truth-users 1000 --seed 1 \
  --threads "$threads" --force
generated=$(date +%s.%N)
"$bin/slateconvert" finn --input "$out/finn" --output "$out/converted" --shards 16 --force
converted=$(date +%s.%N)
rm -rf "$out/run"
"$bin/slatetrain" "$root/configs/gru.yaml" --set data.path="$out/converted" \
  --set run.dir="$out/run" --set run.device=cuda --set schedule.epochs=1 \
  --set evaluation.every_steps=0 --set evaluation.max_users=10000 \
  --set checkpoint.every_steps=0 | tee "$out/train.log"
rm -rf "$out/phases"
"$bin/slatetrain" "$root/configs/gru.yaml" --set data.path="$out/converted" \
  --set run.dir="$out/phases" --set run.device=cuda --set schedule.max_steps=300 \
  --set evaluation.every_steps=0 --set evaluation.max_users=1000 \
  --set checkpoint.every_steps=0 --set logging.phase_timing=true >"$out/phases.log"
python3 - "$out/train.log" "$start" "$generated" "$converted" "$out/phases.log" <<'PY'
import json, sys
summary = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
phased = json.loads(open(sys.argv[5]).read().strip().splitlines()[-1])
start, generated, converted = map(float, sys.argv[2:5])
def phases(record):
    return ", ".join(f"{name} {ms:.2f}" for name, ms in record["step_ms"].items())
print(f"step ms, host-timed over the epoch: {phases(summary)}; batch preparation "
      f"{1e3 * summary['prepare_s'] / max(1, summary['steps']):.2f} ms/step on its own thread")
print(f"step ms, device-synchronised over {phased['steps']} steps: {phases(phased)}")
interactions = summary["interactions"]
rate = summary["interactions_per_s"]
print(f"generate {generated - start:.1f} s, convert {converted - generated:.1f} s, "
      f"train wall {summary['wall_s']:.1f} s, evaluation {summary.get('evaluation_s', 0):.1f} s")
print(f"test hitrate@20 {summary['test']['hitrate@20']:.4f} (popularity "
      f"{summary['popularity']['hitrate@20']:.4f}), loglik {summary['test']['loglik']:.4f}")
print(f"epoch: {interactions / rate:.1f} s for {interactions:,} interactions, "
      f"{rate:,.0f} interactions/s on {summary['device']}")
PY
