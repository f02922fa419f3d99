#!/usr/bin/env python3
"""Evaluation edge cases through real mpirun runs of the built slatetrain (run by CTest).

usage: evaluation_edge_cases.py CASE --bin DIR --work DIR

Cases:
  data           generate one synthetic log and convert it three ways: a normal split, one
                 with no validation users, one with no test users (the fixture of the others)
  empty-valid    no validation users: the valid metrics are null (never 0.0) with one warning
                 line naming the split; the test metrics are real; exit 0. With early stopping
                 (evaluation.patience > 0) the run is refused at start, naming the key
  empty-test     no test users: the test and popularity metrics are null with one warning line
  max-users-N    evaluation.max_users is exact on N ranks: 37 users with batches of 16 per rank
                 (not a multiple of the batch, nor of the ranks); a cap above the split's size
                 evaluates the whole split
Standard library only.
"""
import argparse
import json
import math
import os
import shutil
import sys

from mpi_run_support import CONFIG, Failure, check, run

USERS, ITEMS = 600, 300
COMMON = ["model.dim=8", "schedule.max_steps=2", "schedule.batch_users=64",
          "evaluation.every_steps=0", "checkpoint.every_steps=0", "schedule.warmup_steps=0",
          "run.device=cpu", "run.threads=1"]
# The ranking metrics every split reports (evaluation.k of gru-small.yaml is a superset).
RANKING = ("hitrate@10", "ndcg@10", "mrr@10", "recall@10", "hits@10", "coverage@10")


def not_json(name):
    raise Failure(f"the summary holds {name}, which is not JSON")


def dataset(args, name):
    return os.path.join(args.work, name)


def train(args, ranks, data, run_name, settings, expect_ok=True):
    run_dir = os.path.join(args.work, "runs", run_name)
    shutil.rmtree(run_dir, ignore_errors=True)
    command = ["mpirun", "-np", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += [os.path.join(args.bin, "slatetrain"), CONFIG]
    for setting in COMMON + [f"data.path={data}", f"run.dir={run_dir}"] + settings:
        command += ["--set", setting]
    result = run(command, expect_ok)
    if result.returncode != 0:
        return None, result
    # NaN is not JSON: a summary that holds one fails to parse here, as it would for a user.
    summary = json.loads(result.stdout.strip().splitlines()[-1], parse_constant=not_json)
    with open(os.path.join(run_dir, "summary.json")) as f:
        check(json.load(f) == summary, "summary.json differs from the printed summary")
    return summary, result


def warnings_about(stderr, split):
    return [line for line in stderr.splitlines()
            if "warning" in line and f"'{split}'" in line]


def check_null_split(summary, stderr, split, sections, likelihoods=("loglik",)):
    """The sections (e.g. valid, popularity_valid) hold null metrics and users 0; the model's
    section (the first) holds the objective's held-out log-likelihoods as null too."""
    for name in likelihoods:
        value = summary[sections[0]].get(name, "absent")
        check(value is None, f"{sections[0]}: {name} is {value!r}, expected null")
        steps = summary[sections[0]].get(name + "_steps")
        check(steps == 0, f"{sections[0]}: {name}_steps is {steps!r}, expected 0")
    for section in sections:
        metrics = summary[section]
        check(metrics.get("users") == 0, f"{section}: users {metrics.get('users')}, expected 0")
        for name in RANKING:
            check(name in metrics and metrics[name] is None,
                  f"{section}: {name} is {metrics.get(name)!r}, expected null")
        for name, value in metrics.items():
            check(value is None or name == "users" or name.endswith("_steps"),
                  f"{section}: {name} = {value!r} on an empty split (expected null)")
    found = warnings_about(stderr, split)
    check(len(found) == 1, f"expected one warning line naming the '{split}' split, got "
          f"{found}\n{stderr[-2000:]}")
    print(found[0])


def check_real_split(summary, section, likelihoods=()):
    metrics = summary[section]
    check(metrics["users"] > 0, f"{section}: no users")
    # A null beside real figures: a likelihood named without data that the data never reports.
    check(all(value is not None for value in metrics.values()), f"{section}: a null in {metrics}")
    for name in RANKING + tuple(likelihoods):
        value = metrics.get(name)
        check(isinstance(value, float) or isinstance(value, int),
              f"{section}: {name} is {value!r}, expected a number")
        check(math.isfinite(value), f"{section}: {name} = {value}")


# ---- cases --------------------------------------------------------------------------------

def case_data(args):
    convert = os.path.join(args.bin, "slateconvert")
    shutil.rmtree(args.work, ignore_errors=True)
    finn = dataset(args, "finn")
    run([convert, "synth", "--output", finn, "--users", str(USERS), "--items", str(ITEMS),
         "--seed", "11"])
    for name, split in (("normal", ["--valid-fraction", "0.2", "--test-fraction", "0.2"]),
                        ("no-valid", ["--valid-fraction", "0", "--test-fraction", "0.2"]),
                        ("no-test", ["--valid-fraction", "0.2", "--test-fraction", "0"])):
        run([convert, "finn", "--input", finn, "--output", dataset(args, name), "--shards", "2"]
            + split)


def case_empty_valid(args):
    # gru-small.yaml's patience only matters with periodic validation (every_steps 0 here).
    summary, result = train(args, 2, dataset(args, "no-valid"), "empty-valid", [])
    check_null_split(summary, result.stderr, "valid", ["valid", "popularity_valid"])
    check_real_split(summary, "test", ["loglik"])
    check_real_split(summary, "popularity")
    check(summary["best"]["step"] is None and summary["best"]["value"] is None
          and summary["best"]["test_from"] == "last",
          f"an empty validation was taken as the best step: {summary['best']}")
    # Early stopping needs validation figures: refused before any training.
    _, refused = train(args, 2, dataset(args, "no-valid"), "empty-valid-patience",
                       ["evaluation.patience=2", "evaluation.every_steps=1"], expect_ok=False)
    check(refused.returncode != 0, "early stopping with no validation users was accepted")
    check("evaluation.patience" in refused.stderr and "valid" in refused.stderr,
          f"the refusal does not name the key and the split:\n{refused.stderr[-1500:]}")
    log = os.path.join(args.work, "runs", "empty-valid-patience", "metrics.jsonl")
    check(not os.path.exists(log) or '"train"' not in open(log).read(),
          "the refused run trained first")


def case_empty_test(args):
    summary, result = train(args, 1, dataset(args, "no-test"), "empty-test", [])
    check_null_split(summary, result.stderr, "test", ["test", "popularity"])
    check_real_split(summary, "valid", ["loglik"])
    check_real_split(summary, "popularity_valid")
    # An objective of two parts: both held-out log-likelihoods are null, on two ranks.
    both = ("loglik", "catalogue_loglik")
    summary, result = train(args, 2, dataset(args, "no-test"), "empty-test-mixed",
                            ["objective.kind=mixed", "objective.catalogue=full_softmax"])
    check_null_split(summary, result.stderr, "test", ["test", "popularity"], both)
    check_real_split(summary, "valid", both)


def case_max_users(args, ranks):
    data = dataset(args, "normal")
    capped, _ = train(args, ranks, data, f"max-users-{ranks}",
                      ["evaluation.max_users=37", "evaluation.batch_users=16"])
    for section in ("valid", "test", "popularity", "popularity_valid"):
        users = capped[section]["users"]
        check(users == 37, f"np={ranks} {section}: {users} users evaluated, "
              f"evaluation.max_users=37")
    whole, _ = train(args, ranks, data, f"all-users-{ranks}", ["evaluation.batch_users=16"])
    above, _ = train(args, ranks, data, f"above-users-{ranks}",
                     ["evaluation.max_users=100000", "evaluation.batch_users=16"])
    for section in ("valid", "test"):
        check(whole[section]["users"] > 37, f"{section}: the split has only "
              f"{whole[section]['users']} users: the cap was not exercised")
        check(above[section]["users"] == whole[section]["users"],
              f"np={ranks} {section}: a cap above the split evaluated "
              f"{above[section]['users']} of {whole[section]['users']} users")
    print(f"np={ranks}: 37 users evaluated in every split (the splits have "
          f"{whole['valid']['users']:.0f} and {whole['test']['users']:.0f})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    cases = {"data": case_data, "empty-valid": case_empty_valid, "empty-test": case_empty_test}
    if args.case.startswith("max-users-"):
        case = lambda a: case_max_users(a, int(args.case.split("-")[2]))
    elif args.case in cases:
        case = cases[args.case]
    else:
        print(f"unknown case {args.case}", file=sys.stderr)
        return 2
    try:
        case(args)
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"{args.case}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
