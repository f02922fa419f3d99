#!/usr/bin/env python3
"""A failed multi-rank run says why once (dist/failure_report.hpp, docs/DATA_SAFETY.md).

usage: failure_report_test.py CASE --bin DIR --work DIR

Cases:
  every-rank   a configuration error every rank hits (np 2 and 3): the message exactly once,
               without a rank number, no "MPI_ABORT was invoked" banner; with `mpirun -q`
               stderr is that one line
  one-rank     only one rank fails (an item id out of range in shard 1, checksums intact; np 2):
               the message exactly once, as "rank R failed", the other rank silent; with
               `mpirun -q` no Open MPI banner
Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import zlib

from mpi_run_support import CONFIG, Failure, check, env

BANNERS = ("MPI_ABORT was invoked", "Primary job", "mpirun detected", "mpirun noticed")


def run(command, timeout=120):
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)


def converted(args, shards):
    """A small dataset converted into `shards` shards (made once per work directory)."""
    source = os.path.join(args.work, "finn")
    if not os.path.isdir(source):
        result = run([os.path.join(args.bin, "slateconvert"), "synth", "--output", source,
                      "--users", "200", "--items", "300", "--seed", "5", "--no-truth"])
        check(result.returncode == 0, f"synth failed: {result.stderr}")
    output = os.path.join(args.work, f"converted-{shards}")
    if not os.path.isdir(output):
        result = run([os.path.join(args.bin, "slateconvert"), "finn", "--input", source,
                      "--output", output, "--shards", str(shards), "--quiet"])
        check(result.returncode == 0, f"finn failed: {result.stderr}")
    return output


def slatetrain(args, ranks, data, settings, quiet=False):
    run_dir = os.path.join(args.work, "run")
    if os.path.isdir(run_dir):
        shutil.rmtree(run_dir)  # this test's own run from an earlier call: every call starts fresh
    command = ["mpirun", "-np", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    if quiet:
        command.append("-q")
    command += [os.path.join(args.bin, "slatetrain"), CONFIG,
                "--set", f"data.path={data}", "--set", f"run.dir={run_dir}",
                "--set", "run.device=cpu", "--set", "run.threads=1"]
    for setting in settings:
        command += ["--set", setting]
    result = run(command)
    print(result.stderr[-3000:])
    return result


def lines_with(text, needle):
    return [line for line in text.splitlines() if needle in line]


def case_every_rank(args):
    data = converted(args, 1)
    for ranks in (2, 3):
        result = slatetrain(args, ranks, data, ["model.dimm=8"])
        check(result.returncode != 0, f"np={ranks}: a mistyped key exited 0")
        said = lines_with(result.stderr, "model.dimm")
        check(len(said) == 1, f"np={ranks}: the error appears {len(said)} times, not once")
        check(said[0].startswith("slatetrain: error: --set model.dimm=8: unknown key"),
              f"np={ranks}: unexpected message: {said[0]}")
        check("MPI_ABORT was invoked" not in result.stderr,
              f"np={ranks}: MPI_Abort for an error every rank had")
        quiet = slatetrain(args, ranks, data, ["model.dimm=8"], quiet=True)
        check(quiet.returncode != 0, f"np={ranks} -q: exited 0")
        check(quiet.stderr.strip().splitlines() == said,
              f"np={ranks} -q: stderr is not exactly the message:\n{quiet.stderr}")
        print(f"np={ranks}: one line, exit {result.returncode} (-q: {quiet.returncode})")


def case_one_rank(args):
    # An item id flipped out of range in shard 1, with the manifest's CRC-32 recomputed so the
    # integrity check at open passes: only the rank that decodes that user fails, mid-epoch.
    source = converted(args, 2)
    data = os.path.join(args.work, "converted-2-bad-id")
    if os.path.isdir(data):
        shutil.rmtree(data)  # this test's own copy from an earlier run
    shutil.copytree(source, data)
    name = "shard-00001-of-00002.h5"
    shard = os.path.join(data, name)
    result = run([args.flip_bit, shard, "/steps/click", "0", "30"])
    check(result.returncode == 0, f"shard_flip_bit failed: {result.stderr}")
    manifest_path = os.path.join(data, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    with open(shard, "rb") as f:
        crc = zlib.crc32(f.read())
    for entry in manifest["shards"]:
        if entry["file"] == name:
            entry["crc32"] = f"{crc:08x}"
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
    for quiet in (False, True):
        result = slatetrain(args, 2, data, [], quiet=quiet)
        check(result.returncode != 0, "an id out of range exited 0")
        said = lines_with(result.stderr, name)
        check(len(said) == 1, f"the error appears {len(said)} times, not once")
        failed = re.match(r"slatetrain: rank (\d) failed: ", said[0])
        check(failed is not None, f"not one rank's failure: {said[0]}")
        other = 1 - int(failed.group(1))
        check(f"rank {other}" not in result.stderr, f"rank {other} printed something")
        check("out of range" in said[0] or "outside" in said[0] or "num_items" in said[0],
              f"the message does not say the id is out of range: {said[0]}")
        if quiet:
            banners = [b for b in BANNERS if b in result.stderr]
            check(not banners, f"-q still shows Open MPI's banner: {banners}")
        print(f"{'-q' if quiet else 'plain'}: rank {failed.group(1)}'s message once, "
              f"exit {result.returncode}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--flip-bit", required=True, help="tests' shard_flip_bit tool")
    args = parser.parse_args()
    args.work = os.path.join(args.work, args.case)
    os.makedirs(args.work, exist_ok=True)
    cases = {"every-rank": case_every_rank, "one-rank": case_one_rank}
    if args.case not in cases:
        print(f"unknown case {args.case}", file=sys.stderr)
        return 2
    try:
        cases[args.case](args)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    print(f"{args.case}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
