#!/usr/bin/env bash
# The data path at full FINN size: generate (slateconvert synth) -> convert (finn, N shards)
# -> verify -> read back with loader_bench at 1 and 2 ranks. Every stage runs under
# /usr/bin/time -v; the figures (generation time, converter MB/s and interactions/s, peak
# resident memory, shard bytes against source bytes, verify time, loader interactions/s per
# rank) are printed as Markdown and written to --report. The load average is recorded around
# each stage, since on a shared machine it says how much of the CPU the stage really had.
#
# usage: bench/data_path_benchmark.sh [--build DIR] [--work DIR] [--report FILE]
#            [--users N --items M] [--shards N] [--truth-users N] [--epochs N]
#            [--reuse-source] [--keep]
#   --build DIR        build directory holding bin/slateconvert and bin/loader_bench (build)
#   --work DIR         where the data goes; removed at the end unless --keep (out/data_path_bench)
#   --report FILE      the Markdown report (out/data_path_report.md)
#   --users/--items    dataset size (default the full 2,277,645 users x 1,311,775 items)
#   --shards N         shard files (16)
#   --truth-users N    users ranked per held-out split for truth.json (2000: the full truth
#                      ranks 1.31M items for ~228k users, hours on 2 cores, and is not what
#                      this benchmark measures)
#   --epochs N         timed loader epochs after the checked one (2)
#   --reuse-source     keep an existing generated source in --work (skip generation)
#   --keep             keep --work at the end
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
work=$root/out/data_path_bench
report=$root/out/data_path_report.md
users=2277645
items=1311775
shards=16
truth_users=2000
epochs=2
reuse_source=false
keep=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$(realpath "$2"); shift 2 ;;
    --work) work=$(realpath -m "$2"); shift 2 ;;
    --report) report=$(realpath -m "$2"); shift 2 ;;
    --users) users=$2; shift 2 ;;
    --items) items=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --truth-users) truth_users=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --reuse-source) reuse_source=true; shift ;;
    --keep) keep=true; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "data_path_benchmark: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

slateconvert=$build/bin/slateconvert
loader_bench=$build/bin/loader_bench
for program in "$slateconvert" "$loader_bench"; do
  [[ -x $program ]] || { echo "data_path_benchmark: $program missing (build it first)" >&2; exit 1; }
done
if [[ ! -x /usr/bin/time ]]; then
  echo "data_path_benchmark: installing GNU time (for peak resident memory)"
  apt-get install -y time >/dev/null
fi
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

source_dir=$work/source
converted_dir=$work/converted
logs=$work/logs
stages=$work/stages.tsv
mkdir -p "$logs"
[[ $reuse_source == true ]] || rm -rf "$source_dir"
rm -rf "$converted_dir"
printf 'stage\tseconds\tmax_rss_kb\tuser_s\tsystem_s\tload_before\tload_after\n' >"$stages"
cleanup() {
  if [[ $keep == false ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

load_average() { cut -d' ' -f1 /proc/loadavg; }

# timed NAME COMMAND...: runs the command under /usr/bin/time -v with its output in
# logs/NAME.log and appends one line to stages.tsv; a failing stage stops the benchmark.
timed() {
  local name=$1 before start end
  shift
  before=$(load_average)
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$logs/$name.time" "$@" >"$logs/$name.log" 2>&1; then
    echo "data_path_benchmark: stage $name failed; the end of $logs/$name.log:" >&2
    tail -20 "$logs/$name.log" >&2
    keep=true
    exit 1
  fi
  end=$(date +%s.%N)
  printf '%s\t%.2f\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(echo "$end - $start" | bc)" \
    "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logs/$name.time")" \
    "$(awk -F': ' '/User time/ {print $2}' "$logs/$name.time")" \
    "$(awk -F': ' '/System time/ {print $2}' "$logs/$name.time")" \
    "$before" "$(load_average)" >>"$stages"
  echo "  $name: $(tail -1 "$stages" | cut -f2) s"
}

echo "data_path_benchmark: $users users x $items items, $shards shards, in $work"
if [[ $reuse_source == true && -f $source_dir/data.npz ]]; then
  echo "  generate: reusing $source_dir"
else
  group_option=()
  if [[ $users -eq 2277645 && $items -eq 1311775 ]]; then group_option=(--groups 290); fi
  timed generate "$slateconvert" synth --output "$source_dir" --users "$users" --items "$items" \
    "${group_option[@]}" --truth-users "$truth_users"
fi
# The source files are read once from disk by each stage that follows; drop nothing (no root
# cache control on shared machines), so convert and verify see a warm or cold cache as it
# happens: the report gives the source size against the memory, to judge it.
timed convert "$slateconvert" finn --input "$source_dir" --output "$converted_dir" \
  --shards "$shards"
timed verify "$slateconvert" verify --input "$source_dir" --output "$converted_dir"
timed inspect "$slateconvert" inspect "$converted_dir"
timed loader_1_rank "$loader_bench" "$converted_dir" --epochs "$epochs"
# Two ranks: each process reads its own share (rank and size from Open MPI's environment).
timed loader_2_ranks mpirun -np 2 --oversubscribe sh -c \
  'exec "$0" "$1" --epochs "$2" --rank "$OMPI_COMM_WORLD_RANK" --world-size "$OMPI_COMM_WORLD_SIZE"' \
  "$loader_bench" "$converted_dir" "$epochs"

/usr/bin/python3 - "$work" "$report" "$users" "$items" "$shards" "$truth_users" "$root" <<'PYTHON'
import csv, json, os, platform, subprocess, sys, time, zipfile

work, report, users, items, shards, truth_users, root = sys.argv[1:]
source, converted, logs = (os.path.join(work, d) for d in ("source", "converted", "logs"))
stages = {row["stage"]: row for row in csv.DictReader(open(os.path.join(work, "stages.tsv")),
                                                      delimiter="\t")}
manifest = json.load(open(os.path.join(converted, "manifest.json")))

def size(directory, names=None):
    names = names or os.listdir(directory)
    return sum(os.path.getsize(os.path.join(directory, n)) for n in names)

source_files = ["data.npz", "itemattr.npz", "ind2val.json"]
source_bytes = size(source, source_files)
data_bytes = os.path.getsize(os.path.join(source, "data.npz"))
with zipfile.ZipFile(os.path.join(source, "data.npz")) as archive:
    array_bytes = sum(member.file_size for member in archive.infolist())
shard_bytes = size(converted)
interactions = manifest["num_interactions"]

def loader_lines(name):
    lines = [l for l in open(os.path.join(logs, name + ".log")) if l.startswith("loader_bench ")]
    return [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in lines]

def stage(name):
    s = stages[name]
    return float(s["seconds"]), int(s["max_rss_kb"]) / 1024, s

def cpu(name):
    s = stages[name]
    return float(s["user_s"]) + float(s["system_s"])

cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), platform.processor())
memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                        capture_output=True, text=True).stdout.strip()
out = []
out.append(f"### Data path at {int(users):,} users x {int(items):,} items, {shards} shards")
out.append("")
out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}")
out.append(f"- machine: {cpu_model}, {os.cpu_count()} cores, {memory_gb:.0f} GiB, "
           f"{platform.system()} {platform.release()}")
out.append(f"- dataset: {manifest['num_users']:,} users, {interactions:,} interactions, "
           f"{manifest['num_slate_items']:,} slate items; truth.json over {truth_users} users "
           "per held-out split")
out.append(f"- source: {source_bytes/1e6:,.1f} MB on disk (data.npz {data_bytes/1e6:,.1f} MB, "
           f"{manifest['source']['int_dtype']}, deflated; its arrays {array_bytes/1e6:,.1f} MB "
           "decoded)")
out.append(f"- shards: {shard_bytes/1e6:,.1f} MB ({shards} shards + items.h5 + manifest, no "
           f"gzip) = {shard_bytes/source_bytes:.2f}x the source files, "
           f"{shard_bytes/array_bytes:.2f}x the decoded arrays")
out.append("")
out.append("| stage | wall s | CPU s (user+sys) | CPU/wall | peak RSS MB | load avg before/after | rate |")
out.append("|---|---:|---:|---:|---:|---|---|")
for name in ["generate", "convert", "verify", "inspect", "loader_1_rank", "loader_2_ranks"]:
    if name not in stages:
        continue
    seconds, rss, s = stage(name)
    rate = ""
    if name == "generate":
        rate = f"{int(users)/seconds:,.0f} users/s"
    elif name in ("convert", "verify"):
        rate = (f"{data_bytes/seconds/1e6:,.1f} MB/s of data.npz, "
                f"{array_bytes/seconds/1e6:,.0f} MB/s of arrays, "
                f"{interactions/seconds/1e6:,.2f} M interactions/s")
    elif name.startswith("loader"):
        rate = "; ".join(
            f"rank {r['rank']}/{r['world_size']}: {float(r['interactions_per_second'])/1e6:,.2f} M "
            f"interactions/s ({r['interactions']} in {r['seconds']} s, read "
            f"{r['read_seconds']} s, decode {r['decode_seconds']} s)"
            for r in sorted(loader_lines(name), key=lambda r: int(r["rank"])))
    note = " (largest process)" if name == "loader_2_ranks" else ""
    out.append(f"| {name} | {seconds:,.1f} | {cpu(name):,.1f} | {cpu(name) / seconds:.0%} | "
               f"{rss:,.0f}{note} | "
               f"{s['load_before']} / {s['load_after']} | {rate} |")
text = "\n".join(out) + "\n"
print(text)
os.makedirs(os.path.dirname(report), exist_ok=True)
open(report, "w").write(text)
PYTHON
echo "data_path_benchmark: report in $report"
