#!/usr/bin/env bash
# slateconvert through its command line, as scripts use it: --help on every command, usage
# errors, synth -> finn (2 and 3 shards) -> verify -> inspect, and bad input, which must exit
# non-zero with a message on stderr naming the file and leave neither the output directory nor
# a *.tmp-* directory behind.
#
# usage: convert_cli_test.sh CASE SLATECONVERT WORKDIR    (CASE: one of the case_* names below)
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 CASE SLATECONVERT WORKDIR" >&2
  exit 2
fi
case_name=$1
slateconvert=$2
work=$3
[[ -x $slateconvert ]] || {
  echo "FAIL: $slateconvert is not an executable"
  exit 1
}
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# run ARGS...: runs slateconvert; sets $status, $out (stdout) and $err (stderr).
run() {
  "$slateconvert" "$@" >stdout.txt 2>stderr.txt
  status=$?
  out=$(<stdout.txt)
  err=$(<stderr.txt)
}

# expect_status WANT WHAT: the last run exited with WANT ("nonzero" for any failure).
expect_status() {
  local want=$1 what=$2
  if [[ $want == nonzero && $status -ne 0 ]] || [[ $want != nonzero && $status -eq $want ]]; then
    pass "$what: exit $status"
  else
    fail "$what: exit $status, expected $want; stderr: ${err:0:400}"
  fi
}

# expect_text WHERE TEXT WHAT: stdout or stderr of the last run contains TEXT.
expect_text() {
  local where=$1 text=$2 what=$3 haystack
  if [[ $where == stdout ]]; then haystack=$out; else haystack=$err; fi
  if [[ $haystack == *"$text"* ]]; then
    pass "$what: $where names '$text'"
  else
    fail "$what: $where lacks '$text'; it was: ${haystack:0:600}"
  fi
}

# expect_nothing_left OUTPUT WHAT: neither OUTPUT nor OUTPUT.tmp-* exists.
expect_nothing_left() {
  local output=$1 what=$2 leftovers
  leftovers=$(compgen -G "$output.tmp-*")
  if [[ -e $output ]]; then
    fail "$what: $output exists after a failed run"
  elif [[ -n $leftovers ]]; then
    fail "$what: temporary directory left behind: $leftovers"
  else
    pass "$what: no $output, no $output.tmp-*"
  fi
}

# synth DIR ARGS...: a small generated dataset (must succeed).
synth() {
  local directory=$1
  shift
  run synth --output "$directory" --users 300 --items 500 --seed 3 --no-truth "$@"
  if [[ $status -ne 0 ]]; then
    fail "synth $directory: exit $status: $err"
    finish
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

case_help() {
  run --help
  expect_status 0 "slateconvert --help"
  for command in synth finn verify inspect; do expect_text stdout "$command" "slateconvert --help"; done
  declare -A options=(
    [synth]="--output --users --items --seed --int64 --stored --full --truth-users --force"
    [finn]="--input --output --shards --force --strict --gzip --split-seed --t-testsplit"
    [verify]="--input --output"
    [inspect]="DIR")
  for command in synth finn verify inspect; do
    for flag in -h --help; do
      run "$command" "$flag"
      expect_status 0 "slateconvert $command $flag"
      expect_text stdout "usage: slateconvert $command" "slateconvert $command $flag"
    done
    for option in ${options[$command]}; do
      expect_text stdout "$option" "slateconvert $command --help"
    done
    [[ -z $err ]] || fail "slateconvert $command --help wrote to stderr: $err"
  done
}

case_usage_errors() {
  run
  expect_status 2 "slateconvert without a command"
  expect_text stderr "usage: slateconvert COMMAND" "slateconvert without a command"
  run frobnicate
  expect_status 2 "unknown command"
  expect_text stderr "unknown command 'frobnicate'" "unknown command"
  for command in synth finn verify inspect; do
    run "$command" --bogus-option
    expect_status 2 "slateconvert $command --bogus-option"
    expect_text stderr "'--bogus-option'" "slateconvert $command --bogus-option"
  done
  run finn --input somewhere
  expect_status 2 "finn without --output"
  expect_text stderr "--output is required" "finn without --output"
  run verify --output somewhere
  expect_status 2 "verify without --input"
  expect_text stderr "--input is required" "verify without --input"
  run synth --users 10
  expect_status 2 "synth without --output"
  expect_text stderr "--output is required" "synth without --output"
  run inspect
  expect_status 2 "inspect without a directory"
  run inspect one two
  expect_status 2 "inspect with two directories"
  run finn --input somewhere --output converted --shards three
  expect_status nonzero "finn --shards three"
  expect_text stderr "--shards expects an integer, got 'three'" "finn --shards three"
  expect_nothing_left converted "finn --shards three"
  run synth --output generated --users many
  expect_status nonzero "synth --users many"
  expect_text stderr "--users expects an integer" "synth --users many"
  expect_nothing_left generated "synth --users many"
  run finn --input somewhere --output converted --shards
  expect_status nonzero "finn --shards without a value"
  expect_text stderr "--shards needs a value" "finn --shards without a value"
}

# round_trip SOURCE SHARDS: finn -> verify -> inspect, each checked.
round_trip() {
  local source=$1 shards=$2 output=$1-$2-shards
  run finn --input "$source" --output "$output" --shards "$shards" --quiet
  expect_status 0 "finn $source --shards $shards"
  expect_text stdout "converted 300 users" "finn $source --shards $shards"
  expect_text stdout "into $shards shards" "finn $source --shards $shards"
  local files
  files=$(compgen -G "$output/shard-*-of-0000$shards.h5" | wc -l)
  [[ $files -eq $shards ]] && pass "$output holds $shards shard files" ||
    fail "$output holds $files shard files, expected $shards"
  [[ -f $output/manifest.json && -f $output/items.h5 ]] && pass "$output has manifest and items" ||
    fail "$output lacks manifest.json or items.h5"
  expect_nothing_left_temporary "$output"
  run verify --input "$source" --output "$output" --quiet
  expect_status 0 "verify $output"
  expect_text stdout "verify: OK" "verify $output"
  expect_text stdout "300 users" "verify $output"
  run inspect "$output"
  expect_status 0 "inspect $output"
  expect_text stdout "users         300" "inspect $output"
  expect_text stdout "shards ($shards)" "inspect $output"
  expect_text stdout "slate_length histogram" "inspect $output"
}

expect_nothing_left_temporary() {
  local leftovers
  leftovers=$(compgen -G "$1.tmp-*")
  [[ -z $leftovers ]] && pass "no $1.tmp-* after success" || fail "left behind: $leftovers"
}

case_round_trip() {
  synth source
  expect_text stdout "synth: 300 users" "synth"
  for file in data.npz itemattr.npz ind2val.json; do
    [[ -s source/$file ]] && pass "synth wrote $file" || fail "synth did not write source/$file"
  done
  round_trip source 2
  round_trip source 3
  # The other published variant: int64 arrays, members stored uncompressed.
  synth wide --int64 --stored
  round_trip wide 3
  # Verify fails (exit 1, the mismatch on stderr) against another source.
  synth other --seed 4
  run verify --input other --output source-2-shards --quiet
  expect_status 1 "verify against a different source"
  expect_text stderr "mismatch" "verify against a different source"
  expect_text stderr "other/data.npz" "verify against a different source"
}

case_missing_input() {
  run finn --input no-such-directory --output converted --shards 2 --quiet
  expect_status nonzero "finn from a missing directory"
  expect_text stderr "no-such-directory/data.npz" "finn from a missing directory"
  expect_nothing_left converted "finn from a missing directory"
  # A directory that lacks one of the three files.
  synth source
  rm source/itemattr.npz
  run finn --input source --output converted --shards 2 --quiet
  expect_status nonzero "finn without itemattr.npz"
  expect_text stderr "source/itemattr.npz" "finn without itemattr.npz"
  expect_nothing_left converted "finn without itemattr.npz"
}

case_truncated_npz() {
  synth source
  mkdir truncated damaged
  cp source/itemattr.npz source/ind2val.json truncated/
  cp source/* damaged/
  # Cut in half: the zip directory at the end is gone.
  local size
  size=$(stat -c %s source/data.npz)
  head -c $((size / 2)) source/data.npz >truncated/data.npz
  run finn --input truncated --output converted --shards 2 --quiet
  expect_status nonzero "finn from a truncated data.npz"
  expect_text stderr "truncated/data.npz" "finn from a truncated data.npz"
  expect_nothing_left converted "finn from a truncated data.npz"
  # Bytes overwritten inside a compressed member: the directory is intact, the data not.
  printf '%064d' 0 | dd of=damaged/data.npz bs=1 seek=$((size / 2)) conv=notrunc status=none
  run finn --input damaged --output converted --shards 3 --quiet
  expect_status nonzero "finn from a damaged data.npz"
  expect_text stderr "damaged/data.npz" "finn from a damaged data.npz"
  expect_nothing_left converted "finn from a damaged data.npz"
}

case_existing_output() {
  synth source
  run finn --input source --output converted --shards 2 --quiet
  expect_status 0 "first conversion"
  local before
  before=$(cat converted/* | cksum)
  run finn --input source --output converted --shards 3 --quiet
  expect_status nonzero "finn onto an existing output without --force"
  expect_text stderr "converted" "finn onto an existing output without --force"
  expect_text stderr "--force" "finn onto an existing output without --force"
  [[ $(cat converted/* | cksum) == "$before" && ! -e converted/shard-00000-of-00003.h5 ]] &&
    pass "the existing output is unchanged" || fail "the existing output was changed"
  expect_nothing_left_temporary converted
  run finn --input source --output converted --shards 3 --force --quiet
  expect_status 0 "finn --force replaces the output"
  [[ -f converted/shard-00002-of-00003.h5 && ! -e converted/shard-00000-of-00002.h5 ]] &&
    pass "--force left exactly the new 3 shards" || fail "--force: $(ls converted)"
  expect_nothing_left_temporary converted
  run verify --input source --output converted --quiet
  expect_status 0 "verify after --force"
  # synth too refuses an existing directory without --force.
  run synth --output source --users 300 --items 500 --no-truth
  expect_status nonzero "synth onto an existing directory"
  expect_text stderr "source" "synth onto an existing directory"
}

case_strict_anomalies() {
  # The default anomaly rate puts a few of each kind into 300 users (synth reports them).
  synth source --anomaly-rate 0.01
  run finn --input source --output converted --shards 2 --quiet
  expect_status 0 "finn without --strict keeps the anomalies"
  expect_text stdout "slate_length_over_slots" "finn without --strict keeps the anomalies"
  expect_text stdout "click_not_in_slate" "finn without --strict keeps the anomalies"
  run finn --input source --output strict --shards 2 --strict --quiet
  expect_status nonzero "finn --strict with anomalies"
  expect_text stderr "source/data.npz" "finn --strict with anomalies"
  expect_text stderr "user row" "finn --strict with anomalies"
  expect_text stderr "anomaly" "finn --strict with anomalies"
  expect_nothing_left strict "finn --strict with anomalies"
  # Without anomalies --strict converts.
  synth clean --anomaly-rate 0
  run finn --input clean --output clean-strict --shards 2 --strict --quiet
  expect_status 0 "finn --strict on clean data"
}

if ! declare -F "case_$case_name" >/dev/null; then
  echo "unknown case '$case_name'" >&2
  exit 2
fi
"case_$case_name"
finish
