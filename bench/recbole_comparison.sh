#!/usr/bin/env bash
# RecBole 1.2.1 (GRU4Rec, SASRec) against slatetrain (gru, transformer, popularity) on
# MovieLens-100K in one run: the same interactions, leave-one-out split (RecBole's
# `LS: valid_and_test`, `order: TO`), full ranking, CE / full softmax, NDCG@10, HR@10, MRR@10
# and seconds per epoch side by side (bench/recbole_ml100k.py does the runs and the checks).
#
# RecBole lives in its own virtual environment, bench/.venv-recbole (git-ignored; never used by
# CI, the tests or the README's commands), installed from PyPI with every package pinned in
# bench/requirements-recbole.txt and `--no-deps`: RecBole 1.2.1 needs NumPy < 2 and pandas < 2.2,
# and of its declared dependencies only those it imports on the path used here are installed
# (ray, thop, plotly, tabulate, psutil are left out: ray is imported by recbole.quick_start
# only, which this benchmark does not import). torch is PyPI's build (with its CUDA wheels;
# it runs on the CPU here). The environment is made once and reused while the pins are unchanged.
#
# usage: bench/recbole_comparison.sh [--quick] [options of bench/recbole_ml100k.py]
#   --quick   5 epochs, stopping_step 2: checks the pipeline in minutes, figures not meaningful
# env: SLATETRAIN_BUILD_DIR (default build/; needs bin/slatetrain and bin/slateconvert),
#      SLATETRAIN_DATA_CACHE (the ml-100k cache of launch/fetch-ml-100k.sh),
#      RECBOLE_BENCH_WORK (default out/recbole-bench), PYTHON (default python3, >= 3.9)
# writes: bench/results/recbole_ml100k.md (unless --report) and every figure with the curves
#         in $RECBOLE_BENCH_WORK/results.json (unless --json).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SLATETRAIN_BUILD_DIR:-$root/build}
work=${RECBOLE_BENCH_WORK:-$root/out/recbole-bench}
venv=$root/bench/.venv-recbole
requirements=$root/bench/requirements-recbole.txt
python=${PYTHON:-python3}

say() { echo "recbole_comparison: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

extra=()
for argument in "$@"; do
  if [[ $argument == --quick ]]; then
    extra+=(--epochs 5 --stopping-step 2)
  else
    extra+=("$argument")
  fi
done

for program in slatetrain slateconvert; do
  [[ -x $build/bin/$program ]] || fail "$build/bin/$program not found: build first (launch/build.sh)"
done

# 1. The environment: made (or remade) when the pins change; a stamp holds their hash.
stamp=$venv/.requirements-sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "creating $venv from $requirements (PyPI; a few GB, minutes)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade "pip==24.3.1"
  "$venv/bin/python" -m pip install --quiet --no-deps -r "$requirements"
  echo "$want" >"$stamp"
fi
"$venv/bin/python" -c "import recbole, torch, numpy, pandas, h5py; \
from recbole.config import Config; from recbole.data import create_dataset; \
from recbole.utils import get_model, get_trainer" ||
  fail "$venv does not import RecBole; remove it and run again"
say "environment: $(du -sh "$venv" | cut -f1) in $venv; $("$venv/bin/python" -c \
  'import recbole, torch, numpy, pandas; print("recbole", recbole.__version__, "torch", \
torch.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__)')"

# 2. MovieLens-100K from the recbole wheel.
data=$(bash "$root/launch/fetch-ml-100k.sh")

# 3. The slatetrain conversion, as tests/ml100k_test.sh makes it (leave-one-out, every rating).
mkdir -p "$work"
converted=$work/converted
rm -rf "$converted"
"$build/bin/slateconvert" sessions --format recbole --input "$data/ml-100k.inter" \
  "$data/ml-100k.item" --output "$converted" --shards 2 --protocol leave-one-out --quiet
"$build/bin/slateconvert" verify --input "$data/ml-100k.inter" "$data/ml-100k.item" \
  --output "$converted" --quiet

# 4. Both systems, one after the other, on this machine.
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
has_report=false
has_json=false
for argument in "${extra[@]}"; do
  [[ $argument == --report ]] && has_report=true
  [[ $argument == --json ]] && has_json=true
done
$has_json || extra+=(--json "$work/results.json")
if ! $has_report; then
  extra+=(--report "$root/bench/results/recbole_ml100k.md")
fi
"$venv/bin/python" "$root/bench/recbole_ml100k.py" --data "$data" --converted "$converted" \
  --slatetrain "$build/bin/slatetrain" --work "$work" --command-line "$*" "${extra[@]}"
