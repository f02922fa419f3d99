#!/usr/bin/env bash
# MovieLens-100K (launch/fetch-ml-100k.sh) through slateconvert, as CTest's ml100k cases run it:
#   fetch    the recbole 1.2.1 wheel's ml-100k files into the data cache (fails clearly offline)
#   convert  slateconvert sessions --format recbole under leave-one-out: the counts before
#            filtering (100,000 ratings, 943 users, 1,682 items) and after, verify, inspect;
#            the converted directory stays in WORKDIR/converted for the training tests
#   filters  the same with --min-rating 3 and a 10-core, verified
# usage: ml100k_test.sh CASE SLATECONVERT WORKDIR
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 CASE SLATECONVERT WORKDIR" >&2
  exit 2
fi
case_name=$1
slateconvert=$2
work=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SLATETRAIN_DATA_CACHE:-$root/out/data-cache}
mkdir -p "$work"

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_values DIR EXPRESSION WANT [EXPRESSION WANT ...]: values of DIR/manifest.json (python
# expressions over m), one interpreter for all.
expect_values() {
  python3 - "$@" <<'PYTHON' || failures=$((failures + 1))
import json, sys
directory, pairs = sys.argv[1], sys.argv[2:]
m = json.load(open(directory + "/manifest.json"))
bad = 0
for expression, want in zip(pairs[::2], pairs[1::2]):
    got = str(eval(expression))
    print(("ok: " if got == want else "FAIL: ") + expression + " = " + got +
          ("" if got == want else ", expected " + want))
    bad += got != want
sys.exit(1 if bad else 0)
PYTHON
}

data=$cache/ml-100k
case $case_name in
  fetch)
    bash "$root/launch/fetch-ml-100k.sh" "$cache" >/dev/null || {
      echo "FAIL: launch/fetch-ml-100k.sh could not provide MovieLens-100K in $cache"
      exit 1
    }
    ;;
  convert)
    out=$work/converted
    rm -rf "$out"
    "$slateconvert" sessions --format recbole --input "$data/ml-100k.inter" "$data/ml-100k.item" \
      --output "$out" --shards 2 --protocol leave-one-out --quiet || fail "conversion failed"
    # Every ml-100k user rated at least 20 movies: all have validation and test events.
    expect_values "$out" \
      "m['conversion']['counts']['source']['records']" 100000 \
      "m['conversion']['counts']['source']['users']" 943 \
      "m['conversion']['counts']['source']['items']" 1682 \
      "m['num_users']" 943 \
      "m['num_items'] - m['ids']['first_item']" 1682 \
      "m['num_interactions']" 100000 \
      "m['protocol']" leave-one-out \
      "m['slate_slots']" 0 \
      "m['leave_one_out']['users']['evaluated']" 943 \
      "m['max_steps']" 737 \
      "len(m['item_groups'])" 20
    "$slateconvert" verify --input "$data/ml-100k.inter" "$data/ml-100k.item" --output "$out" \
      --quiet || fail "verify failed"
    "$slateconvert" inspect "$out" >"$work/inspect.txt" || fail "inspect failed"
    grep -q "943 users have validation and test events" "$work/inspect.txt" ||
      fail "inspect does not report the evaluated users: $(cat "$work/inspect.txt")"
    ;;
  filters)
    out=$work/filtered
    rm -rf "$out"
    "$slateconvert" sessions --format recbole --input "$data/ml-100k.inter" "$data/ml-100k.item" \
      --output "$out" --shards 3 --min-rating 3 --min-user-interactions 10 \
      --min-item-interactions 10 --quiet || fail "conversion failed"
    # 17,480 ratings are below 3 in ml-100k; the 10-core of the rest is reached in 2 passes.
    expect_values "$out" \
      "m['conversion']['counts']['min_rating']['removed_events']" 17480 \
      "m['conversion']['counts']['output']['users']" 939 \
      "m['conversion']['counts']['output']['items']" 1016 \
      "m['num_interactions']" 80393
    "$slateconvert" verify --input "$data/ml-100k.inter" "$data/ml-100k.item" --output "$out" \
      --quiet || fail "verify failed"
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "ml100k $case_name: passed"
