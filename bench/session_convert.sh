#!/usr/bin/env bash
# Conversion rate and peak memory of `slateconvert sessions` on generated logs of ROWS rows
# (tests/session_log_generator.hpp; 20M by default), one source format at a time: the log is
# written by session_log_writer, converted under /usr/bin/time -v (wall time, maximum resident
# set size), optionally verified, then deleted. Prints one markdown table row per run.
#
# usage: bench/session_convert.sh [BUILD_DIR] [WORK_DIR] [ROWS] [RUNS...]
#   RUNS: FORMAT:MEMORY_MB[:verify], default
#         csv:1024:verify movielens-dat:1024 movielens-csv:1024 recbole:1024 amazon-m2:1024
#         csv:256 movielens-dat:256
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
work=${2:-${TMPDIR:-/tmp}/slatetrain-session-bench}
rows=${3:-20000000}
shift $(($# < 3 ? $# : 3))
runs=("$@")
if ((${#runs[@]} == 0)); then
  runs=(csv:1024:verify movielens-dat:1024 movielens-csv:1024 recbole:1024 amazon-m2:1024
        csv:256 movielens-dat:256)
fi
writer=$build/bin/session_log_writer
slateconvert=$build/bin/slateconvert
[[ -x $writer && -x $slateconvert ]] || {
  echo "build first: $writer and $slateconvert are needed" >&2
  exit 1
}
mkdir -p "$work"

# timed LOG COMMAND...: runs under /usr/bin/time -v; sets seconds (wall), cpu (user + system)
# and peak_mb (maximum resident set size).
timed() {
  local log=$1
  shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log"
  seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + p[i]; print s }' "$log")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$log")
  peak_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$log")
}

echo "| format | rows | source MB | --memory-mb | convert wall s | CPU s | rows/s (wall) | peak RSS MB | sort buckets | verify wall s | verify CPU s | verify peak MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for run in "${runs[@]}"; do
  IFS=: read -r format memory verify <<<"$run"
  source_dir=$work/source-$format
  output=$work/converted-$format
  rm -rf "$source_dir" "$output"
  # Users and items about MovieLens-20M's (138k, 27k); Amazon-M2 sessions are the users.
  mapfile -t inputs < <("$writer" "$format" "$source_dir" "$rows" 140000 30000 1)
  case $format in
    csv)
      args=(--format csv --user-column session --item-column item --time-column time
            --type-column event --weight-column value --group-column category)
      ;;
    movielens-*) args=(--format movielens) ;;
    *) args=(--format "$format") ;;
  esac
  source_mb=$(du -cm "${inputs[@]}" | tail -1 | cut -f1)
  timed "$work/convert-$format.log" "$slateconvert" sessions "${args[@]}" --input "${inputs[@]}" \
    --output "$output" --shards 8 --memory-mb "$memory" --quiet
  convert_seconds=$seconds convert_cpu=$cpu convert_peak=$peak_mb
  buckets=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['conversion']['sort']['buckets'])" "$output/manifest.json")
  verify_seconds=- verify_cpu=- verify_peak=-
  if [[ ${verify:-} == verify ]]; then
    timed "$work/verify-$format.log" "$slateconvert" verify --input "${inputs[@]}" --output "$output" \
      --memory-mb "$memory" --quiet
    verify_seconds=$seconds verify_cpu=$cpu verify_peak=$peak_mb
  fi
  rate=$(python3 -c "print(f'{$rows / $convert_seconds / 1e6:.2f}M')")
  echo "| $format | $rows | $source_mb | $memory | $convert_seconds | $convert_cpu | $rate | $convert_peak | $buckets | $verify_seconds | $verify_cpu | $verify_peak |"
  rm -rf "$source_dir" "$output"
done
