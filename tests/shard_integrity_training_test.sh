#!/usr/bin/env bash
# Training through `mpirun -np 2 slatetrain` refuses a converted directory with a bit flipped in
# one shard before it trains: exit non-zero, the file named, no summary line; the same
# directory before the flip trains and exits 0 (so the refusal is the check's, not the setup's).
#
# usage: shard_integrity_training_test.sh BIN_DIR SHARD_FLIP_BIT CONFIG WORKDIR
set -uo pipefail
if [[ $# -ne 4 ]]; then
  echo "usage: $0 BIN_DIR SHARD_FLIP_BIT CONFIG WORKDIR" >&2
  exit 2
fi
bin=$1
flip_bit=$2
config=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

"$bin/slateconvert" synth --output source --users 256 --items 300 --seed 7 --no-truth >/dev/null ||
  fail "synth"
"$bin/slateconvert" finn --input source --output converted --shards 3 --quiet >/dev/null ||
  fail "finn"
[[ $failures -eq 0 ]] || exit 1

root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
train() {
  mpirun -np 2 --oversubscribe "${root[@]}" "$bin/slatetrain" "$config" \
    --set data.path=converted --set run.dir="run-$1" --set model.dim=16 \
    --set evaluation.every_steps=0 --set checkpoint.every_steps=0 --set schedule.max_steps=2 \
    --set schedule.warmup_steps=0 --set evaluation.batch_users=128 --set run.device=cpu \
    --set run.threads=1 >"$1.out" 2>"$1.err"
  status=$?
}

train good
[[ $status -eq 0 ]] && pass "training on the good directory: exit 0" ||
  fail "training on the good directory: exit $status: $(tail -c 1500 good.err)"

"$flip_bit" converted/shard-00002-of-00003.h5 /steps/click 40 >/dev/null || fail "flip a bit"
train flipped
[[ $status -ne 0 ]] && pass "training on a flipped bit: exit $status" ||
  fail "training on a flipped bit: exit 0 (it trained on corrupt data)"
grep -q "shard-00002-of-00003.h5" flipped.err && grep -q "CRC-32" flipped.err &&
  pass "the error names the shard and the CRC-32" ||
  fail "the error lacks the shard or CRC-32: $(tail -c 1500 flipped.err)"
grep -q '"test"' flipped.out && fail "a summary was printed: $(tail -c 500 flipped.out)" ||
  pass "no summary line"

[[ $failures -eq 0 ]] && echo "passed" && exit 0
echo "$failures failure(s)"
exit 1
