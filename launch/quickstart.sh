#!/usr/bin/env bash
# The main job of README.md, end to end on an embedded default: installs what is missing,
# builds, generates a FINN-format dataset (slateconvert synth), converts it to sharded HDF5
# (slateconvert finn), verifies the conversion, trains the GRU slate model and the transformer
# on MPI ranks on the same converted data, each in its own run directory
# (mpirun slatetrain configs/gru-small.yaml, configs/transformer-small.yaml), evaluates them on
# the test users, and prints their metrics side by side with the popularity baseline, the
# generator's oracle (the ceiling: its own exposure and choice process rolled out from each test
# user's true state) and the choice model's ranking (docs/GENERATOR.md); draws both runs' training
# curves into out/quickstart/training-curves.png (launch/plot-run.py).
#
# Knobs (environment): QUICKSTART_USERS (20000), QUICKSTART_ITEMS (3000), QUICKSTART_RANKS (2),
# QUICKSTART_OUT (out/quickstart), QUICKSTART_CONFIG (configs/gru-small.yaml),
# QUICKSTART_TRANSFORMER_CONFIG (configs/transformer-small.yaml; empty: the GRU only).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

users=${QUICKSTART_USERS:-20000}
items=${QUICKSTART_ITEMS:-3000}
ranks=${QUICKSTART_RANKS:-2}
out=${QUICKSTART_OUT:-$root/out/quickstart}
config=${QUICKSTART_CONFIG:-$root/configs/gru-small.yaml}
transformer_config=${QUICKSTART_TRANSFORMER_CONFIG-$root/configs/transformer-small.yaml}

launch/install-dependencies.sh
launch/build.sh
bin=${SLATETRAIN_BUILD_DIR:-$root/build}/bin

step() { printf '\n== %s\n' "$*"; }

step "generate a FINN-format dataset: $users users, $items items"
"$bin/slateconvert" synth --output "$out/finn" --users "$users" --items "$items" --seed 1 --force

step "convert to sharded HDF5"
"$bin/slateconvert" finn --input "$out/finn" --output "$out/converted" --shards 4 --force

step "verify the conversion against the source arrays"
"$bin/slateconvert" verify --input "$out/finn" --output "$out/converted"
"$bin/slateconvert" inspect "$out/converted"

mpi_flags=(--oversubscribe)
if [[ $(id -u) -eq 0 ]]; then mpi_flags+=(--allow-run-as-root); fi
# train NAME CONFIG: out/NAME (run directory), out/NAME.log (stdout), out/NAME-summary.json.
train() {
  local name=$1 config=$2
  step "train $name on $ranks MPI ranks: mpirun -np $ranks slatetrain $(basename "$config")"
  # A run directory holds one run: an earlier quickstart's run is moved aside (to
  # out/NAME/replaced/<time>/), never deleted (docs/RUN_DIRECTORY.md).
  local again=()
  if [[ -e "$out/$name/checkpoints" ]]; then again=(--overwrite); fi
  mpirun -np "$ranks" "${mpi_flags[@]}" "$bin/slatetrain" "$config" "${again[@]}" \
    --set data.path="$out/converted" --set run.dir="$out/$name" | tee "$out/$name.log"
  tail -n 1 "$out/$name.log" > "$out/$name-summary.json"
}
models=()
train gru "$config"
models+=("gru=$out/gru-summary.json")
if [[ -n $transformer_config ]]; then
  train transformer "$transformer_config"
  models+=("transformer=$out/transformer-summary.json")
fi

step "training curves (launch/plot-run.py)"
labels=gru
if [[ -n $transformer_config ]]; then labels+=,transformer; fi
# Debian's interpreter: it has python3-matplotlib (launch/install-dependencies.sh).
/usr/bin/python3 "$root/launch/plot-run.py" "$out/gru" ${transformer_config:+"$out/transformer"} \
  --labels "$labels" --output "$out/training-curves.png"

step "test metrics against the popularity baseline, the oracle and the choice model"
python3 "$root/launch/compare_with_truth.py" "$out/finn/truth.json" "${models[@]}"
