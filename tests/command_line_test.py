#!/usr/bin/env python3
"""Every subcommand of slateconvert and slatetrain through its command line (CLI11): --help
exits 0 and names the command's options; an unknown option, a missing required option, a
value that is not a number and a number out of range each exit 2 with a message naming the
option and write nothing; `--opt=value` and `--opt value` are the same; numbers are read in
base 10; options and arguments mix in any order.

usage: command_line_test.py CASE --bin DIR --work DIR   (CASE: a case_* name below)
"""
import argparse
import os
import shutil
import subprocess
import sys

failures = []


def check(condition, message):
    if condition:
        print(f"ok: {message}")
    else:
        print(f"FAIL: {message}")
        failures.append(message)


class Run:
    def __init__(self, command, cwd):
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
        self.command = " ".join(command[1:])
        self.status, self.out, self.err = result.returncode, result.stdout, result.stderr


class Program:
    def __init__(self, path, work):
        self.path, self.work = path, work

    def __call__(self, *arguments):
        return Run([self.path] + list(arguments), self.work)


def expect_help(program, command, options):
    for flag in ("--help", "-h"):
        result = program(*command, flag)
        name = " ".join([os.path.basename(program.path)] + list(command))
        check(result.status == 0 and not result.err,
              f"{name} {flag}: exit {result.status}, stderr {result.err[:300]!r}")
        check(f"usage: {name}" in result.out, f"{name} {flag} prints the usage line")
        for option in options:
            check(option in result.out, f"{name} {flag} names {option}")


def expect_refusal(result, *texts, nothing_written=None):
    """Exit 2, each text on stderr, nothing on stdout; `nothing_written`: a path that must
    not exist afterwards."""
    check(result.status == 2, f"`{result.command}`: exit {result.status}, expected 2 "
                              f"(stderr {result.err[:400]!r})")
    for text in texts:
        check(text in result.err, f"`{result.command}`: stderr names {text!r}: {result.err[:400]!r}")
    check(not result.out, f"`{result.command}`: nothing on stdout: {result.out[:200]!r}")
    if nothing_written:
        check(not os.path.exists(nothing_written), f"`{result.command}` wrote {nothing_written}")


SYNTH = ["--output", "--users", "--items", "--groups", "--full", "--seed", "--int64", "--stored",
         "--level", "--anomaly-rate", "--threads", "--split-seed", "--truth-users", "--no-truth",
         "--oracle-rollouts", "--no-oracle", "--force"]
FINN = ["--input", "--output", "--shards", "--force", "--strict", "--gzip", "--block-users",
        "--quiet", "--split-seed", "--valid-fraction", "--test-fraction", "--t-testsplit"]
SESSIONS = ["--format", "--input PATH...", "--output", "--shards", "--force", "--protocol",
            "--gzip", "--memory-mb", "--quiet", "--user-column", "--item-column",
            "--time-column", "--weight-column", "--type-column", "--group-column", "--delimiter",
            "--locale", "--min-rating", "--remove-consecutive-duplicates",
            "--min-user-interactions", "--min-item-interactions", "--split-seed",
            "--valid-fraction", "--test-fraction", "--t-testsplit", "recbole", "movielens",
            "amazon-m2", "csv", "leave-one-out"]
VERIFY = ["--input PATH...", "--output", "--memory-mb", "--quiet"]


def case_slateconvert_help(args):
    convert = Program(os.path.join(args.bin, "slateconvert"), args.work)
    result = convert("--help")
    check(result.status == 0, "slateconvert --help exits 0")
    for command in ("synth", "finn", "sessions", "verify", "check", "inspect"):
        check(command in result.out, f"slateconvert --help lists {command}")
    expect_help(convert, ["synth"], SYNTH)
    expect_help(convert, ["finn"], FINN)
    expect_help(convert, ["sessions"], SESSIONS)
    expect_help(convert, ["verify"], VERIFY)
    expect_help(convert, ["check"], ["DIR", "--quiet"])
    expect_help(convert, ["inspect"], ["DIR"])
    # Ranges and defaults come from the declaration.
    result = convert("finn", "--help")
    for text in ("--gzip LEVEL", "[0, 9]", "default 16384", "--input DIR", "(required)"):
        check(text in result.out, f"finn --help shows ranges, defaults and required options: {text}")


def case_slateconvert_errors(args):
    convert = Program(os.path.join(args.bin, "slateconvert"), args.work)
    out = os.path.join(args.work, "never")
    # Unknown options, reported first even when a required option is missing too.
    for command in ("synth", "finn", "sessions", "verify", "check", "inspect"):
        expect_refusal(convert(command, "--no-such-option"), "unknown option '--no-such-option'",
                       f"slateconvert {command} --help")
    expect_refusal(convert("synth", "--output", out, "--user", "5"), "unknown option '--user'",
                   nothing_written=out)
    # Missing required options and arguments.
    expect_refusal(convert("synth", "--users", "10"), "--output is required")
    expect_refusal(convert("finn", "--input", "somewhere"), "--output is required")
    expect_refusal(convert("finn", "--output", out), "--input is required", nothing_written=out)
    expect_refusal(convert("sessions", "--format", "csv", "--output", out), "--input is required")
    expect_refusal(convert("sessions", "--input", "x.csv", "--output", out),
                   "--format is required")
    expect_refusal(convert("verify", "--output", out), "--input is required")
    expect_refusal(convert("check"), "DIR is required")
    expect_refusal(convert("inspect"), "DIR is required")
    expect_refusal(convert("inspect", "one", "two"), "unexpected argument 'two'")
    expect_refusal(convert("finn", "--input", "somewhere", "--output", out, "--shards"),
                   "--shards needs a value")
    # Values that are not numbers (or not whole numbers of the option's type).
    expect_refusal(convert("finn", "--input", "x", "--output", out, "--shards", "three"),
                   "--shards expects an integer, got 'three'", nothing_written=out)
    expect_refusal(convert("synth", "--output", out, "--users", "12x"),
                   "--users expects an integer, got '12x'", nothing_written=out)
    expect_refusal(convert("synth", "--output", out, "--users", "2.5"),
                   "--users expects an integer, got '2.5'")
    expect_refusal(convert("synth", "--output", out, "--seed", "-1"), "--seed",
                   "non-negative integer")
    expect_refusal(convert("synth", "--output", out, "--anomaly-rate", "lots"), "--anomaly-rate",
                   "'lots'")
    expect_refusal(convert("synth", "--output", out, "--anomaly-rate", "nan"), "--anomaly-rate",
                   "finite")
    expect_refusal(convert("synth", "--output", out, "--threads", "4294967297"), "--threads",
                   "out of range")
    expect_refusal(convert("synth", "--output", out, "--items", "99999999999999999999"),
                   "--items", "out of range")
    expect_refusal(convert("verify", "--input", "x", "--output", out, "--memory-mb", "lots"),
                   "--memory-mb", "'lots'")
    expect_refusal(convert("sessions", "--format", "csv", "--input", "x", "--output", out,
                           "--min-rating", "high"), "--min-rating", "'high'")
    # Numbers out of their range, in both forms.
    expect_refusal(convert("finn", "--input", "x", "--output", out, "--shards", "0"),
                   "--shards must be >= 1, got 0", nothing_written=out)
    expect_refusal(convert("finn", "--input=x", "--output=" + out, "--shards=0"),
                   "--shards must be >= 1, got 0")
    expect_refusal(convert("finn", "--input", "x", "--output", out, "--gzip", "12"),
                   "--gzip must be in [0, 9], got 12")
    expect_refusal(convert("finn", "--input", "x", "--output", out, "--valid-fraction", "1.5"),
                   "--valid-fraction must be in [0, 1], got 1.5")
    expect_refusal(convert("sessions", "--format", "csv", "--input", "x", "--output", out,
                           "--min-user-interactions", "-2"), "--min-user-interactions must be >= 0, got -2")
    expect_refusal(convert("synth", "--output", out, "--users", "0"),
                   "--users must be in [1, 2147483647], got 0")
    expect_refusal(convert("synth", "--output", out, "--level", "12"), "--level must be in [0, 9], got 12")
    expect_refusal(convert("synth", "--output", out, "--oracle-rollouts", "1"),
                   "--oracle-rollouts must be in [2, 1000000000], got 1")
    expect_refusal(convert("verify", "--input", "x", "--output", out, "--memory-mb", "0"),
                   "--memory-mb must be in [1, 8388608], got 0")
    # Words out of their list.
    expect_refusal(convert("sessions", "--format", "parquet", "--input", "x", "--output", out),
                   "--format must be recbole, movielens, amazon-m2 or csv, not 'parquet'")
    expect_refusal(convert("sessions", "--format", "csv", "--input", "x", "--output", out,
                           "--protocol", "random"),
                   "--protocol must be leave-one-out or users, not 'random'")


def case_slateconvert_forms(args):
    """`--opt=value`, `--opt value`, options in any order, several inputs: the same run."""
    convert = Program(os.path.join(args.bin, "slateconvert"), args.work)
    shutil.rmtree(os.path.join(args.work, "forms"), ignore_errors=True)
    os.makedirs(os.path.join(args.work, "forms"))
    base = os.path.join(args.work, "forms")
    # "010" is ten users (base 10), not eight (C's octal).
    result = convert("synth", f"--output={base}/a", "--users=010", "--items=200", "--seed=3",
                     "--no-truth")
    check(result.status == 0 and "synth: 10 users" in result.out,
          f"synth with --opt=value: {result.status} {result.out} {result.err}")
    # Given twice, an option takes its last value (scripts append to a command line).
    result = convert("synth", "--no-truth", "--seed", "4", "--items", "200", "--users", "10",
                     "--output", f"{base}/b", "--seed", "3")
    check(result.status == 0, f"synth with --opt value: {result.err}")
    same = all(open(f"{base}/a/{name}", "rb").read() == open(f"{base}/b/{name}", "rb").read()
               for name in ("data.npz", "itemattr.npz", "ind2val.json"))
    check(same, "both forms generate the same dataset")
    result = convert("finn", "--quiet", f"--input={base}/a", "--shards=2", "--output", f"{base}/c",
                     "--valid-fraction=0.2", "--gzip", "1")
    check(result.status == 0 and "into 2 shards" in result.out, f"finn: {result.out} {result.err}")
    result = convert("check", "--quiet", f"{base}/c")
    check(result.status == 0 and "check: OK" in result.out, f"check --quiet DIR: {result.err}")
    result = convert("verify", f"--input={base}/a", f"--output={base}/c", "--quiet")
    check(result.status == 0 and "verify: OK" in result.out, f"verify: {result.err}")
    # A session log in two files: --input takes both, until the next option.
    with open(f"{base}/one.csv", "w") as log:
        log.write("user,item,time\n" + "".join(f"u{u},i{(u * 7 + s) % 13},{s}\n"
                                               for u in range(12) for s in range(4)))
    with open(f"{base}/two.csv", "w") as log:
        log.write("user,item,time\n" + "".join(f"v{u},i{(u * 5 + s) % 13},{s}\n"
                                               for u in range(12) for s in range(4)))
    result = convert("sessions", "--format=csv", "--input", f"{base}/one.csv", f"{base}/two.csv",
                     "--output", f"{base}/s", "--user-column=user", "--item-column", "item",
                     "--time-column=time", "--shards=2", "--quiet")
    check(result.status == 0 and "converted 24 users" in result.out,
          f"sessions with two inputs: {result.out} {result.err}")
    result = convert("verify", "--input", f"{base}/one.csv", f"{base}/two.csv", "--output",
                     f"{base}/s", "--memory-mb=1", "--quiet")
    check(result.status == 0 and "verify: OK" in result.out, f"verify two inputs: {result.err}")


def case_slatetrain(args):
    train = Program(os.path.join(args.bin, "slatetrain"), args.work)
    result = train("--help")
    check(result.status == 0, f"slatetrain --help: exit {result.status}")
    for text in ("slatetrain evaluate", "slatetrain train", "CONFIG", "--set", "--resume",
                 "--overwrite", "--config-reference", "model.dim", "schedule.max_steps"):
        check(text in result.out, f"slatetrain --help names {text}")
    expect_help(train, ["train"], ["CONFIG", "--set", "--resume", "--overwrite", "model.dim"])
    expect_help(train, ["evaluate"], ["CONFIG", "--checkpoint FILE", "--split", "--set"])
    result = train("--config-reference")
    check(result.status == 0 and "model.dim" in result.out, "slatetrain --config-reference")

    result = train()
    check(result.status == 2 and "slatetrain evaluate" in result.err, "slatetrain alone: exit 2")
    missing = os.path.join(args.work, "no-such-config.yaml")
    expect_refusal(train(missing, "--resume", "--overwrite"), "--resume excludes --overwrite")
    expect_refusal(train("--resume"), "CONFIG is required")
    expect_refusal(train(missing, "--bogus"), "unknown option '--bogus'")
    expect_refusal(train(missing, "other.yaml"), "unexpected argument 'other.yaml'")
    expect_refusal(train(missing, "--set"), "--set needs a value")
    expect_refusal(train("train", missing, "--frobnicate"), "slatetrain train: unknown option")
    # --set takes one value each time: the configuration after it is not swallowed, and
    # --set=k=v is the same; the run then fails on the missing file (not an argument error).
    for form in (["--set", "model.dim=8", missing], ["--set=model.dim=8", missing, "--set",
                                                     "model.hidden=8"]):
        result = train(*form)
        check(result.status not in (0, 2) and missing in result.err,
              f"slatetrain {form}: exit {result.status}, the missing CONFIG named: {result.err}")
    result = train("evaluate", missing, "--checkpoint=x.h5", "--set", "model.dim=8",
                   "--split=valid")
    check(result.status not in (0, 2) and missing in result.err,
          f"evaluate with --opt=value reaches the configuration: {result.err}")

    expect_refusal(train("evaluate", missing), "--checkpoint is required")
    expect_refusal(train("evaluate", "--checkpoint", "x.h5"), "CONFIG is required")
    expect_refusal(train("evaluate", missing, "--checkpoint", "x.h5", "--split", "train"),
                   "--split must be test or valid, not 'train'")
    expect_refusal(train("evaluate", missing, "--checkpoint"), "--checkpoint needs a value")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)
    args.work = os.path.abspath(os.path.join(args.work, args.case))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    case = globals().get(f"case_{args.case}")
    if case is None:
        print(f"unknown case '{args.case}'", file=sys.stderr)
        return 2
    case(args)
    print(f"{args.case}: {len(failures)} failure(s)" if failures else f"{args.case}: passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
