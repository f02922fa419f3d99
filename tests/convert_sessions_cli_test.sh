#!/usr/bin/env bash
# slateconvert sessions through its command line, as scripts use it: --help, usage errors,
# generated logs (session_log_writer, next to slateconvert) -> sessions -> verify -> inspect for
# each format, bad input (exit non-zero, the file and line on stderr, neither the output nor a
# *.tmp-* directory left), and an existing output.
#
# usage: convert_sessions_cli_test.sh CASE SLATECONVERT WORKDIR   (CASE: a case_* name below)
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 CASE SLATECONVERT WORKDIR" >&2
  exit 2
fi
case_name=$1
slateconvert=$2
work=$3
writer=$(dirname "$slateconvert")/session_log_writer
for program in "$slateconvert" "$writer"; do
  [[ -x $program ]] || {
    echo "FAIL: $program is not an executable"
    exit 1
  }
done
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

expect_status() {
  local want=$1 what=$2
  if [[ $want == nonzero && $status -ne 0 ]] || [[ $want != nonzero && $status -eq $want ]]; then
    pass "$what: exit $status"
  else
    fail "$what: exit $status, expected $want; stderr: ${err:0:400}"
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

finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$case_name: $failures failure(s)"
    exit 1
  fi
  echo "$case_name: passed"
  exit 0
}

# generate FORMAT DIRECTORY [SEED]: a small log; sets the array inputs.
generate() {
  mapfile -t inputs < <("$writer" "$1" "$2" 3000 120 300 "${3:-5}")
  ((${#inputs[@]} > 0)) || {
    fail "session_log_writer $1 wrote nothing"
    finish
  }
}

case_help() {
  run --help
  expect_status 0 "slateconvert --help"
  expect_text stdout "sessions" "slateconvert --help"
  for flag in -h --help; do
    run sessions "$flag"
    expect_status 0 "slateconvert sessions $flag"
    expect_text stdout "usage: slateconvert sessions" "slateconvert sessions $flag"
  done
  for option in --format --input --output --shards --force --protocol --user-column --item-column \
    --time-column --weight-column --type-column --group-column --delimiter --locale --min-rating \
    --remove-consecutive-duplicates --min-user-interactions --min-item-interactions --memory-mb \
    recbole movielens amazon-m2 csv leave-one-out; do
    expect_text stdout "$option" "slateconvert sessions --help"
  done
  run verify --help
  expect_text stdout "--input PATH..." "slateconvert verify --help"
}

case_usage_errors() {
  run sessions --bogus-option
  expect_status 2 "sessions --bogus-option"
  expect_text stderr "'--bogus-option'" "sessions --bogus-option"
  run sessions --format movielens --output converted
  expect_status 2 "sessions without --input"
  expect_text stderr "--input is required" "sessions without --input"
  run sessions --format parquet --input x --output converted
  expect_status nonzero "sessions --format parquet"
  expect_text stderr "--format must be recbole, movielens, amazon-m2 or csv" "--format parquet"
  run sessions --format csv --input x --output converted --protocol random
  expect_status nonzero "sessions --protocol random"
  expect_text stderr "--protocol must be leave-one-out or users" "--protocol random"
  generate csv source
  run sessions --format csv --input "${inputs[@]}" --output converted
  expect_status nonzero "csv without the column names"
  expect_text stderr "--user-column and --item-column" "csv without the column names"
  expect_nothing_left converted "csv without the column names"
  run sessions --format movielens --input "${inputs[@]}" --output converted --user-column u
  expect_status nonzero "movielens with a column option"
  expect_text stderr "fixed columns" "movielens with a column option"
}

# round_trip FORMAT ARGS...: generate -> sessions -> verify -> inspect, each checked.
round_trip() {
  local format=$1
  shift
  generate "$format" "source-$format"
  local output=converted-$format
  run sessions "$@" --input "${inputs[@]}" --output "$output" --shards 3 --quiet
  expect_status 0 "sessions $format"
  expect_text stdout "into 3 shards" "sessions $format"
  expect_text stdout "protocol leave-one-out" "sessions $format"
  [[ -f $output/manifest.json && -f $output/items.h5 && -f $output/shard-00002-of-00003.h5 ]] &&
    pass "$output has its files" || fail "$output: $(ls "$output" 2>&1)"
  [[ -z $(compgen -G "$output.tmp-*") && ! -e $output/scratch ]] &&
    pass "no temporary directory or run files left" || fail "left behind in $output"
  run verify --input "${inputs[@]}" --output "$output" --quiet
  expect_status 0 "verify $format"
  expect_text stdout "verify: OK" "verify $format"
  run inspect "$output"
  expect_status 0 "inspect $format"
  expect_text stdout "sessions (slatetrain-ragged-sessions" "inspect $format"
  expect_text stdout "protocol leave-one-out" "inspect $format"
}

case_round_trip() {
  round_trip recbole --format recbole
  round_trip movielens-dat --format movielens
  round_trip movielens-csv --format movielens --min-rating 2 --remove-consecutive-duplicates
  round_trip amazon-m2 --format amazon-m2 --locale DE,UK --min-item-interactions 2
  round_trip csv --format csv --user-column session --item-column item --time-column time \
    --type-column event --weight-column value --group-column category \
    --min-user-interactions 5 --memory-mb 1
  # Verify fails against another log (exit 1, the problem on stderr).
  generate recbole other 6
  run verify --input "${inputs[@]}" --output converted-recbole --quiet
  expect_status 1 "verify against another log"
  expect_text stderr "mismatch" "verify against another log"
}

case_bad_input() {
  mkdir -p bad
  printf 'userId,movieId,rating,timestamp\n1,10,4.0,100\n1,11,x,101\n' >bad/ratings.csv
  run sessions --format movielens --input bad/ratings.csv --output converted --quiet
  expect_status nonzero "a non-numeric rating"
  expect_text stderr "bad/ratings.csv:3: column 3 (rating): 'x' is not a number" "non-numeric rating"
  expect_nothing_left converted "a non-numeric rating"
  printf 'user_id:token\titem_id:token\ttimestamp:float\n1\t2\t100\n1\t3\n' >bad/short.inter
  run sessions --format recbole --input bad/short.inter --output converted --quiet
  expect_status nonzero "a short line"
  expect_text stderr "bad/short.inter:3: 2 fields, expected 3" "a short line"
  expect_nothing_left converted "a short line"
  run sessions --format recbole --input bad/missing.inter --output converted --quiet
  expect_status nonzero "a missing file"
  expect_text stderr "bad/missing.inter: no such file" "a missing file"
  expect_nothing_left converted "a missing file"
  printf 'prev_items,next_item,locale\n"['"'"'A1'"'"' ...]",B2,DE\n' >bad/sessions_train.csv
  run sessions --format amazon-m2 --input bad/sessions_train.csv --output converted --quiet
  expect_status nonzero "a summarised list"
  expect_text stderr "sessions_train.csv:2: column 1 (prev_items)" "a summarised list"
  expect_nothing_left converted "a summarised list"
}

case_existing_output() {
  generate movielens-dat source
  run sessions --format movielens --input "${inputs[@]}" --output converted --shards 2 --quiet
  expect_status 0 "first conversion"
  local before
  before=$(cat converted/* | cksum)
  run sessions --format movielens --input "${inputs[@]}" --output converted --shards 3 --quiet
  expect_status nonzero "sessions onto an existing output without --force"
  expect_text stderr "--force" "sessions onto an existing output without --force"
  [[ $(cat converted/* | cksum) == "$before" ]] && pass "the existing output is unchanged" ||
    fail "the existing output was changed"
  run sessions --format movielens --input "${inputs[@]}" --output converted --shards 3 --force --quiet
  expect_status 0 "sessions --force replaces the output"
  [[ -f converted/shard-00002-of-00003.h5 && ! -e converted/shard-00000-of-00002.h5 ]] &&
    pass "--force left exactly the new 3 shards" || fail "--force: $(ls converted)"
}

if ! declare -F "case_$case_name" >/dev/null; then
  echo "unknown case '$case_name'" >&2
  exit 2
fi
"case_$case_name"
finish
