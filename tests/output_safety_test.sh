#!/usr/bin/env bash
# --force replaces only what slateconvert wrote (docs/DATA_SAFETY.md): an output that is the
# input, holds it (a parent directory, `..` forms, symbolic links), a user's directory, a
# directory with a foreign manifest or with a user's file added, or a symbolic link is refused
# with a message naming the path and non-zero exit, and every file is still there byte for
# byte; --force over an earlier output of the same command still works.
#
# launch/make-bundle.sh follows the same rule (case bundle).
#
# usage: output_safety_test.sh CASE SLATECONVERT WORKDIR  (CASE: finn, synth, sessions, bundle)
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 CASE SLATECONVERT WORKDIR" >&2
  exit 2
fi
case_name=$1
slateconvert=$(realpath "$2")
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$3
[[ -x $slateconvert ]] || {
  echo "FAIL: $slateconvert is not an executable"
  exit 1
}
rm -rf "$work"
mkdir -p "$work/user"
cd "$work" || exit 1
# Everything the "user" owns lives in user/; the test's own files (stdout.txt, stderr.txt) stay
# outside it, so a wrongly deleted user/ cannot take them along.

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

tool=$slateconvert # what run() runs
run() {
  "$tool" "$@" >stdout.txt 2>stderr.txt
  status=$?
  out=$(<stdout.txt)
  err=$(<stderr.txt)
}

# Every entry under user/: type, link target or SHA-256 of the content.
snapshot() {
  find user -mindepth 1 | LC_ALL=C sort | while read -r path; do
    if [[ -L $path ]]; then
      echo "link $path -> $(readlink "$path")"
    elif [[ -f $path ]]; then
      echo "file $path $(sha256sum <"$path" | cut -c1-64)"
    else
      echo "dir  $path"
    fi
  done
}

# refused WHAT NAMED ARGS...: slateconvert ARGS must exit non-zero, name NAMED on stderr and
# leave user/ exactly as it was (no *.tmp-* or *.old-* beside anything either).
refused() {
  local what=$1 named=$2 before after
  shift 2
  before=$(snapshot)
  run "$@"
  after=$(snapshot)
  if [[ $status -ne 0 ]]; then pass "$what: exit $status"; else fail "$what: exit 0 (not refused)"; fi
  if [[ $err == *"$named"* ]]; then
    pass "$what: stderr names $named"
  else
    fail "$what: stderr lacks '$named': ${err:0:500}"
  fi
  if [[ $before == "$after" ]]; then
    pass "$what: every file unchanged ($(wc -l <<<"$before") entries)"
  else
    fail "$what: user/ changed:"$'\n'"$(diff <(echo "$before") <(echo "$after") | head -20)"
  fi
}

# accepted WHAT ARGS...: slateconvert ARGS must succeed.
accepted() {
  local what=$1
  shift
  run "$@"
  if [[ $status -eq 0 ]]; then pass "$what: exit 0"; else fail "$what: exit $status: ${err:0:500}"; fi
}

no_leftovers() {
  local leftovers
  leftovers=$(find user -name '*.tmp-*' -o -name '*.old-*')
  [[ -z $leftovers ]] && pass "no *.tmp-* or *.old-* left" || fail "left behind: $leftovers"
}

finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$case_name: $failures failure(s)"
    exit 1
  fi
  echo "$case_name: passed"
  exit 0
}

synth_small() {
  run synth --output "$1" --users 200 --items 300 --seed 4 --no-truth
  [[ $status -eq 0 ]] || {
    fail "synth $1: exit $status: $err"
    finish
  }
}

# A user's directory: files slateconvert never wrote.
make_user_directory() {
  mkdir -p "$1/notes"
  echo "thesis draft" >"$1/draft.txt"
  echo "keep me" >"$1/notes/todo.txt"
}

case_finn() {
  synth_small user/finn
  echo "unrelated notes next to the dataset" >user/finn/README.txt
  make_user_directory user/mine
  local input=user/finn
  refused "output is the input" "user/finn" finn --input $input --output user/finn --shards 2 --force --quiet
  refused "output is the input with a trailing slash" "user/finn" finn --input $input --output user/finn/ --shards 2 --force --quiet
  refused "output is the input through .." "user/mine/../finn" finn --input $input --output user/mine/../finn --shards 2 --force --quiet
  refused "output is the input's parent" "user" finn --input $input --output user --shards 2 --force --quiet
  refused "output is the input's parent, absolute" "$work/user" finn --input $input --output "$work/user" --shards 2 --force --quiet
  refused "output is the input's parent through .." "user/finn/.." finn --input $input --output user/finn/.. --shards 2 --force --quiet
  ln -s finn user/finn-link
  refused "output is a symbolic link to the input" "user/finn-link" finn --input $input --output user/finn-link --shards 2 --force --quiet
  refused "input through a link, output the real directory" "user/finn" finn --input user/finn-link --output user/finn --shards 2 --force --quiet
  refused "output is a user's directory" "user/mine" finn --input $input --output user/mine --shards 2 --force --quiet
  refused "without --force too" "user/mine" finn --input $input --output user/mine --shards 2 --quiet
  mkdir -p user/fake
  echo '{"format": "something-else", "shards": []}' >user/fake/manifest.json
  echo "data" >user/fake/shard-00000-of-00001.h5
  refused "output has a foreign manifest.json" "user/fake" finn --input $input --output user/fake --shards 2 --force --quiet
  echo "not json" >user/fake/manifest.json
  refused "output has an unreadable manifest.json" "user/fake" finn --input $input --output user/fake --shards 2 --force --quiet
  # An earlier conversion is replaced; one a user has put a file into is not.
  accepted "first conversion" finn --input $input --output user/converted --shards 2 --quiet
  accepted "--force over an earlier conversion" finn --input $input --output user/converted --shards 3 --force --quiet
  [[ -f user/converted/shard-00002-of-00003.h5 && ! -e user/converted/shard-00000-of-00002.h5 ]] &&
    pass "--force left exactly the new 3 shards" || fail "--force: $(ls user/converted)"
  echo "my results" >user/converted/results.txt
  refused "an earlier conversion holding a user's file" "results.txt" finn --input $input --output user/converted --shards 2 --force --quiet
  rm user/converted/results.txt
  ln -s converted user/converted-link
  refused "a symbolic link to an earlier conversion" "user/converted-link" finn --input $input --output user/converted-link --shards 2 --force --quiet
  refused "a synth dataset is not a conversion" "user/finn" finn --input user/mine --output user/finn --shards 2 --force --quiet
  no_leftovers
}

case_synth() {
  make_user_directory user/mine
  refused "synth over a user's directory" "user/mine" synth --output user/mine --users 50 --items 100 --no-truth --force
  synth_small user/generated
  accepted "synth --force over an earlier synth" synth --output user/generated --users 60 --items 100 --no-truth --force
  [[ $(python3 -c "import json;print(json.load(open('user/generated/generator.json'))['users'])") == 60 ]] &&
    pass "the earlier synth output was replaced" || fail "generator.json not replaced"
  echo "my notes" >user/generated/notes.txt
  refused "synth over its output holding a user's file" "notes.txt" synth --output user/generated --users 50 --items 100 --no-truth --force
  rm user/generated/notes.txt
  accepted "conversion of the synth output" finn --input user/generated --output user/converted --quiet
  refused "synth over a conversion" "user/converted" synth --output user/converted --users 50 --items 100 --no-truth --force
  refused "synth over the parent of its output" "user" synth --output user --users 50 --items 100 --no-truth --force
  echo '{"seed": 1}' >user/mine/generator.json
  refused "synth over a directory with a foreign generator.json" "user/mine" synth --output user/mine --users 50 --items 100 --no-truth --force
  ln -s generated user/generated-link
  refused "synth over a symbolic link to its output" "user/generated-link" synth --output user/generated-link --users 50 --items 100 --no-truth --force
  no_leftovers
}

# A MovieLens ratings.csv of 20 users with 6 ratings each.
write_ratings() {
  {
    echo "userId,movieId,rating,timestamp"
    for user in $(seq 1 20); do
      for step in $(seq 1 6); do
        echo "$user,$(((user * 7 + step * 3) % 25 + 1)),4.0,$((1000 * user + step))"
      done
    done
  } >"$1"
}

case_sessions() {
  mkdir -p user/logs
  write_ratings user/logs/ratings.csv
  echo "where the log came from" >user/logs/SOURCE.txt
  make_user_directory user/mine
  local convert=(sessions --format movielens --input user/logs/ratings.csv --shards 2 --quiet)
  refused "sessions output is the input's directory" "user/logs" "${convert[@]}" --output user/logs --force
  refused "sessions output is the input file" "user/logs/ratings.csv" "${convert[@]}" --output user/logs/ratings.csv --force
  refused "sessions output is the input's parent" "user" "${convert[@]}" --output user --force
  refused "sessions output is a user's directory" "user/mine" "${convert[@]}" --output user/mine --force
  ln -s logs user/logs-link
  refused "sessions output is a link to the input's directory" "user/logs-link" "${convert[@]}" --output user/logs-link --force
  accepted "first sessions conversion" "${convert[@]}" --output user/converted
  accepted "sessions --force over an earlier conversion" "${convert[@]}" --output user/converted --force
  echo "mine" >user/converted/extra.txt
  refused "sessions over a conversion holding a user's file" "extra.txt" "${convert[@]}" --output user/converted --force
  no_leftovers
}

case_bundle() {
  local build_dir
  build_dir=$(dirname "$(dirname "$slateconvert")")
  tool=$source_dir/launch/make-bundle.sh
  export SLATETRAIN_BUNDLE_GZIP_LEVEL=1
  local bundle=(--build-dir "$build_dir" --no-install)
  make_user_directory user/mine
  refused "make-bundle over a user's directory" "user/mine" "${bundle[@]}" --output user/mine --force --no-tarball
  # A user's project with its own build directory (copies of the programs) as --output.
  mkdir -p user/project/build/bin
  cp "$build_dir/bin/slatetrain" "$build_dir/bin/slateconvert" user/project/build/bin/
  echo "int main() {}" >user/project/main.cpp
  refused "make-bundle over the project holding the build directory" "user/project" --build-dir user/project/build --no-install --output user/project --force --no-tarball
  ln -s mine user/mine-link
  refused "make-bundle over a symbolic link" "user/mine-link" "${bundle[@]}" --output user/mine-link --force --no-tarball
  echo "my archive" >user/archive.tar.gz
  refused "make-bundle over a tarball it did not make" "user/archive.tar.gz" "${bundle[@]}" --output user/archive --force
  accepted "first bundle" "${bundle[@]}" --output user/bundle
  echo "marker" >user/bundle/libexec/.old-bundle-marker
  accepted "make-bundle --force over its earlier bundle" "${bundle[@]}" --output user/bundle --force
  [[ -x user/bundle/bin/slatetrain && ! -e user/bundle/libexec/.old-bundle-marker && -s user/bundle.tar.gz ]] &&
    pass "the earlier bundle and tarball were replaced" || fail "bundle not replaced: $(ls user/bundle)"
  no_leftovers
}

if ! declare -F "case_$case_name" >/dev/null; then
  echo "unknown case '$case_name'" >&2
  exit 2
fi
"case_$case_name"
finish
