#!/usr/bin/env bash
# `slateconvert check DIR` and `slateconvert inspect DIR` on damaged conversions, through the
# command line: check exits 0 on a good conversion and 1 on each failure (missing shard, a
# flipped bit in a dataset, a shard swapped in from another conversion of the same shape, even
# with the manifest edited to match it, a missing manifest, an id past num_items), naming the
# file, for FINN and session conversions; a directory without a conversion id passes with a
# warning; inspect exits non-zero on a missing or corrupt shard.
#
# usage: convert_check_cli_test.sh CASE SLATECONVERT SHARD_FLIP_BIT WORKDIR
#   CASE: good | missing_shard | flipped_bit | swapped_shard | missing_manifest | id_range |
#         inspect_damaged | sessions
set -uo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 CASE SLATECONVERT SHARD_FLIP_BIT WORKDIR" >&2
  exit 2
fi
case_name=$1
slateconvert=$2
flip_bit=$3
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

run() {
  "$slateconvert" "$@" >stdout.txt 2>stderr.txt
  status=$?
  out=$(<stdout.txt)
  err=$(<stderr.txt)
}
expect_status() {
  local want=$1 what=$2
  if [[ $want == nonzero && $status -ne 0 ]] || [[ $want != nonzero && $status -eq $want ]]; then
    pass "$what: exit $status"
  else
    fail "$what: exit $status, expected $want; stdout: ${out:0:300} stderr: ${err:0:400}"
  fi
}
expect_text() {
  local where=$1 text=$2 what=$3 haystack
  if [[ $where == stdout ]]; then haystack=$out; else haystack=$err; fi
  if [[ $haystack == *"$text"* ]]; then
    pass "$what: $where names '$text'"
  else
    fail "$what: $where lacks '$text'; it was: ${haystack:0:600}"
  fi
}
finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$case_name: $failures failure(s)"
    exit 1
  fi
  echo "$case_name: passed"
  exit 0
}
# convert NAME SEED: a 300-user synthetic FINN dataset converted to 2 uncompressed shards.
convert() {
  run synth --output "$1-source" --users 300 --items 500 --seed "$2" --no-truth
  [[ $status -eq 0 ]] || fail "synth $1: $err"
  run finn --input "$1-source" --output "$1" --shards 2 --quiet
  [[ $status -eq 0 ]] || fail "finn $1: $err"
  [[ $failures -eq 0 ]] || finish
}
# manifest_edit DIR PYTHON: runs PYTHON on `manifest` (manifest.json's object), saves it.
manifest_edit() {
  python3 - "$1/manifest.json" "$2" <<'PY'
import json, sys
path, statement = sys.argv[1], sys.argv[2]
with open(path) as f:
    manifest = json.load(f)
exec(statement)
with open(path, "w") as f:
    json.dump(manifest, f, indent=2)
PY
}
expect_check_fails() {
  local what=$1 file=$2 text=$3
  run check converted --quiet
  expect_status 1 "check: $what"
  expect_text stderr "$file" "check: $what"
  expect_text stderr "$text" "check: $what"
  expect_text stdout "check: FAILED" "check: $what"
}

shard1=converted/shard-00001-of-00002.h5

case $case_name in
  good)
    convert converted 3
    run check converted
    expect_status 0 "check on a good conversion"
    expect_text stdout "check: OK" "check on a good conversion"
    expect_text stdout "shard-00001-of-00002.h5  ok" "check on a good conversion"
    [[ $err != *"no conversion_id"* ]] && pass "a new conversion has a conversion id" ||
      fail "a new conversion warns of no conversion id: $err"
    # A directory converted before conversion ids: still good, with the warning.
    manifest_edit converted "del manifest['conversion_id']"
    run check converted --quiet
    expect_status 0 "check on a conversion without a conversion id"
    expect_text stderr "no conversion_id" "check on a conversion without a conversion id"
    run check --help
    expect_status 0 "check --help"
    run check
    expect_status 2 "check without a directory"
    ;;
  missing_shard)
    convert converted 3
    rm "$shard1"
    expect_check_fails "missing shard" "shard-00001-of-00002.h5" "missing"
    ;;
  flipped_bit)
    convert converted 3
    "$flip_bit" "$shard1" /steps/click 17 >/dev/null || fail "could not flip a bit"
    expect_check_fails "flipped bit" "shard-00001-of-00002.h5" "CRC-32"
    ;;
  swapped_shard)
    convert converted 3
    convert other 4
    cp other/shard-00001-of-00002.h5 "$shard1"
    run check converted --quiet
    expect_status 1 "check: swapped shard"
    expect_text stderr "shard-00001-of-00002.h5" "check: swapped shard"
    # The manifest edited to the foreign file's size and CRC: the conversion id still differs.
    manifest_edit converted "
other = json.load(open('other/manifest.json'))
for key in ('bytes', 'crc32', 'steps', 'slate_items'):
    manifest['shards'][1][key] = other['shards'][1][key]"
    expect_check_fails "swapped shard, manifest edited" "shard-00001-of-00002.h5" \
      "another conversion"
    ;;
  missing_manifest)
    convert converted 3
    rm converted/manifest.json
    expect_check_fails "missing manifest" "converted/manifest.json" "cannot open the manifest"
    ;;
  id_range)
    # An id past num_items with a manifest that agrees with the file (CRC recomputed): only the
    # range check can see it. Lower the manifest's num_items below the largest item instead of
    # writing a bad id: every click id >= the new bound is out of range.
    convert converted 3
    manifest_edit converted "manifest['num_items'] = 5"
    expect_check_fails "ids past num_items" "shard-00000-of-00002.h5" "outside [0, 5)"
    expect_text stderr "user row" "check: ids past num_items"
    expect_text stderr "step t=" "check: ids past num_items"
    ;;
  inspect_damaged)
    convert converted 3
    run inspect converted
    expect_status 0 "inspect on a good conversion"
    cp -r converted flipped
    "$flip_bit" flipped/shard-00000-of-00002.h5 /slates/item 30 >/dev/null || fail "flip"
    run inspect flipped
    expect_status 1 "inspect on a flipped bit"
    expect_text stderr "shard-00000-of-00002.h5" "inspect on a flipped bit"
    expect_text stdout "FAILED" "inspect on a flipped bit"
    rm "$shard1"
    run inspect converted
    expect_status 1 "inspect on a missing shard"
    expect_text stderr "shard-00001-of-00002.h5: missing" "inspect on a missing shard"
    ;;
  sessions)
    # A session conversion carries the same fields: a CSV log of 60 users, 2 shards.
    {
      echo "user,item,time"
      for u in $(seq 1 60); do
        for e in 1 2 3 4 5; do echo "u$u,i$(((u * 7 + e * 3) % 40)),$((u * 100 + e))"; done
      done
    } >events.csv
    run sessions --format csv --input events.csv --user-column user --item-column item \
      --time-column time --output converted --shards 2 --quiet
    expect_status 0 "sessions --format csv"
    run check converted
    expect_status 0 "check on a session conversion"
    expect_text stdout "check: OK" "check on a session conversion"
    [[ $err != *"no conversion_id"* ]] && pass "the session conversion has a conversion id" ||
      fail "the session conversion warns of no conversion id: $err"
    "$flip_bit" "$shard1" /steps/click 30 >/dev/null || fail "could not flip a bit"
    expect_check_fails "flipped bit in a session shard" "shard-00001-of-00002.h5" "CRC-32"
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
finish
