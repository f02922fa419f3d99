#!/usr/bin/env python3
"""`slatetrain evaluate` through real mpirun runs (run by CTest, one case each).

usage: evaluate_command_test.py CASE --bin DIR --work DIR

Cases:
  data         generate and convert two datasets of the same shape (the fixture of the others)
  gru          a GRU run trained at np=2: evaluate on checkpoints/best.h5 (--split test) at
               np=1, 2 and 3 gives the summary's `test`, on the final checkpoint its `test_last`
               and (--split valid) its `valid`; popularity equals the summary's
  transformer  the same for a transformer run
  refusals     a checkpoint of another dataset (refused; allowed with data.allow_other_dataset),
               a missing, truncated, non-HDF5 or bit-flipped file, another model shape
               (model.dim, model.hidden, model.kind):
               refused, naming the file and the key; bad arguments exit 2; --help
  read-only    evaluate leaves the run directory as it was (no file added or changed), works
               while another process holds the run's lock, and never creates run.dir
Standard library only.
"""
import fcntl
import json
import os
import shutil
import sys

from mpi_run_support import CONFIG, check, launcher, main_for, run, settings_arguments

USERS, ITEMS = 2000, 300  # about 50 test users
# Shared by training and evaluation: the evaluation settings must be the same for the figures
# to be comparable (every user of the split is evaluated, on any world size).
COMMON = ["model.dim=16", "logging.metrics_every_steps=1", "schedule.warmup_steps=0",
          "evaluation.batch_users=32", "evaluation.max_users=0", "run.device=cpu",
          "run.threads=1"]
TRAIN = ["schedule.max_steps=9", "schedule.batch_users=32", "evaluation.every_steps=2",
         "evaluation.patience=0", "checkpoint.every_steps=3", "checkpoint.keep=10",
         # Large steps: the best validation comes early (step 2 on this data), so best.h5 and
         # the final checkpoint hold different weights with different test figures.
         "optimizer.dense.learning_rate=0.1", "optimizer.embedding.learning_rate=0.1"]
# The GRU without the slate head: with it, this run's validation rises to the last step and
# best.h5 is the final weights, which leaves the test nothing to tell apart.
MODELS = {"gru": ["model.kind=gru", "objective.slate_head=none"],
          "transformer": ["model.kind=transformer", "objective.kind=mixed"]}
TOLERANCE = 1e-9


def data(args, name="tiny"):
    return os.path.join(args.work, name, "converted")


def train(args, model, run_dir):
    shutil.rmtree(run_dir, ignore_errors=True)
    settings = COMMON + TRAIN + MODELS[model] + [f"data.path={data(args)}", f"run.dir={run_dir}"]
    result = run(launcher(2) + [os.path.join(args.bin, "slatetrain"), CONFIG] +
                 settings_arguments(settings))
    return json.loads(result.stdout.strip().splitlines()[-1])


def evaluate(args, model, checkpoint, ranks, extra=(), split=None, expect_ok=True):
    command = launcher(ranks) + [os.path.join(args.bin, "slatetrain"), "evaluate", CONFIG,
                                 "--checkpoint", checkpoint]
    if split:
        command += ["--split", split]
    # run.dir names a directory that does not exist: evaluation must not need it.
    settings = COMMON + MODELS[model] + [f"data.path={data(args)}",
                                         f"run.dir={os.path.join(args.work, 'no-such-run-dir')}"]
    result = run(command + settings_arguments(settings + list(extra)), expect_ok=expect_ok)
    check(not os.path.exists(os.path.join(args.work, "no-such-run-dir")),
          "slatetrain evaluate created run.dir")
    if not expect_ok:
        return result
    return json.loads(result.stdout.strip().splitlines()[-1])


def final_checkpoint(run_dir):
    directory = os.path.join(run_dir, "checkpoints")
    names = sorted(name for name in os.listdir(directory)
                   if name.startswith("checkpoint-") and name.endswith(".h5"))
    check(names, f"no checkpoint in {directory}")
    return os.path.join(directory, names[-1])


def same_metrics(got, expected, what):
    check(sorted(got) == sorted(expected), f"{what}: metric names {sorted(got)} != {sorted(expected)}")
    for name, value in expected.items():
        if value is None:
            check(got[name] is None, f"{what}: {name} = {got[name]}, expected null")
            continue
        check(got[name] is not None and abs(got[name] - value) <= TOLERANCE,
              f"{what}: {name} = {got[name]!r}, the training summary says {value!r}")


# ---- cases --------------------------------------------------------------------------------

def case_data(args):
    convert = os.path.join(args.bin, "slateconvert")
    for name, seed in (("tiny", 7), ("other", 8)):
        base = os.path.join(args.work, name)
        shutil.rmtree(base, ignore_errors=True)
        run([convert, "synth", "--output", os.path.join(base, "finn"), "--users", str(USERS),
             "--items", str(ITEMS), "--seed", str(seed)])
        run([convert, "finn", "--input", os.path.join(base, "finn"), "--output",
             os.path.join(base, "converted"), "--shards", "3"])


def case_model(args, model):
    run_dir = os.path.join(args.work, f"run-{model}")
    summary = train(args, model, run_dir)
    best = summary["best"]
    print(f"{model}: summary best {best}, final step {summary['steps']}")
    check(best["test_from"] == "best" and best["checkpoint"],
          f"{model}: the run's test is not from best.h5 ({best}); the test needs one")
    check(best["step"] != summary["steps"] and summary["test"] != summary["test_last"],
          f"{model}: best.h5 is the final weights (step {best['step']}): the test cannot tell "
          "them apart")
    best_path = os.path.join(run_dir, "checkpoints", "best.h5")
    check(os.path.samefile(best["checkpoint"], best_path), f"best checkpoint {best['checkpoint']}")
    last_path = final_checkpoint(run_dir)
    for ranks in (1, 2, 3):
        result = evaluate(args, model, best_path, ranks, split="test")
        print(f"np={ranks} best.h5 test: {result['metrics']}")
        same_metrics(result["metrics"], summary["test"], f"{model} np={ranks} best.h5 test")
        same_metrics(result["popularity"], summary["popularity"], f"{model} np={ranks} popularity")
        check(result["split"] == "test" and result["step"] == best["step"] and
              result["checkpoint"] == best_path and result["world_size"] == ranks and
              result["written_by_world_size"] == 2 and
              result["dataset_id"] == result["checkpoint_dataset_id"] and
              result["data"] == data(args), f"{model}: the summary's description: {result}")
    result = evaluate(args, model, last_path, 1)  # --split test is the default
    same_metrics(result["metrics"], summary["test_last"], f"{model} final checkpoint test_last")
    check(result["step"] == summary["steps"], f"{model}: final checkpoint step {result['step']}")
    result = evaluate(args, model, last_path, 3, split="valid")
    same_metrics(result["metrics"], summary["valid"], f"{model} final checkpoint valid")
    same_metrics(result["popularity"], summary["popularity_valid"], f"{model} popularity_valid")
    check(result["split"] == "valid", "split not reported")


def expect_refusal(result, *needles):
    print(result.stderr.strip()[-1500:])
    check(result.returncode == 1, f"exit {result.returncode}, expected 1")
    for needle in needles:
        check(needle in result.stderr, f"the refusal does not name {needle!r}")
    check(not result.stdout.strip(), f"a refused evaluation printed {result.stdout!r}")


def case_refusals(args):
    run_dir = os.path.join(args.work, "run-refusals")
    summary = train(args, "gru", run_dir)
    checkpoint = final_checkpoint(run_dir)
    slatetrain = os.path.join(args.bin, "slatetrain")

    other = ["data.path=" + data(args, "other")]
    for ranks in (1, 2):
        expect_refusal(evaluate(args, "gru", checkpoint, ranks, extra=other, expect_ok=False),
                       checkpoint, "another dataset", "data.allow_other_dataset")
    allowed = evaluate(args, "gru", checkpoint, 2,
                       extra=other + ["data.allow_other_dataset=true"])
    check(allowed["dataset_id"] != allowed["checkpoint_dataset_id"], "the dataset ids agree")
    check(allowed["data"] == data(args, "other"), "evaluated on the wrong data")

    missing = os.path.join(run_dir, "checkpoints", "no-such.h5")
    expect_refusal(evaluate(args, "gru", missing, 2, expect_ok=False), missing)
    corrupt = os.path.join(args.work, "corrupt.h5")
    with open(checkpoint, "rb") as source, open(corrupt, "wb") as target:
        target.write(source.read()[:4096])  # truncated
    expect_refusal(evaluate(args, "gru", corrupt, 2, expect_ok=False), corrupt)
    with open(corrupt, "wb") as target:
        target.write(b"not a checkpoint at all\n" * 100)
    expect_refusal(evaluate(args, "gru", corrupt, 1, expect_ok=False), corrupt)

    # One flipped byte inside the weights: the Fletcher-32 checksum fails the read on rank 0
    # (the only reader), which ends the job with the file's name (MPI_Abort at np=2).
    with open(checkpoint, "rb") as source:
        damaged = bytearray(source.read())
    damaged[len(damaged) // 2] ^= 0xFF
    with open(corrupt, "wb") as target:
        target.write(damaged)
    for ranks in (1, 2):
        result = evaluate(args, "gru", corrupt, ranks, expect_ok=False)
        print(result.stderr.strip()[:600])
        check(result.returncode != 0, f"np={ranks}: a corrupted checkpoint was evaluated")
        check(corrupt in result.stderr and "corrupted checkpoint" in result.stderr,
              f"np={ranks}: the refusal of a corrupted checkpoint does not name it")
        check(not result.stdout.strip(), "a refused evaluation printed a result")

    for ranks in (1, 2):
        expect_refusal(evaluate(args, "gru", checkpoint, ranks, extra=["model.dim=24"],
                                expect_ok=False), checkpoint, "model.dim", "16", "24")
    expect_refusal(evaluate(args, "gru", checkpoint, 2, extra=["model.hidden=24"],
                            expect_ok=False), checkpoint, "model.hidden", "dense/parameters",
                   "gru.weight_ih [48,16] at 0 in the checkpoint, gru.weight_ih [72,16] at 0 here")
    expect_refusal(evaluate(args, "gru", checkpoint, 2, extra=["model.kind=transformer"],
                            expect_ok=False), checkpoint, "model.kind")

    for bad in ([], ["--checkpoint", checkpoint, "--split", "train"], ["--checkpoint"]):
        result = run([slatetrain, "evaluate", CONFIG] + bad, expect_ok=False)
        check(result.returncode == 2, f"arguments {bad}: exit {result.returncode}, expected 2")
    result = run([slatetrain, "evaluate", "--help"])
    check("--checkpoint FILE" in result.stdout and "--split" in result.stdout,
          "slatetrain evaluate --help does not describe the command")
    result = run([slatetrain, "--help"])
    check("slatetrain evaluate" in result.stdout and "model.dim" in result.stdout,
          "slatetrain --help lost the training usage or the evaluate line")
    check(summary["status"] == "finished", "the training run did not finish")


def snapshot(directory):
    """Every path under `directory` with its size, modification time and inode."""
    entries = {}
    for parent, folders, files in os.walk(directory):
        for name in folders + files:
            path = os.path.join(parent, name)
            status = os.lstat(path)
            entries[os.path.relpath(path, directory)] = (status.st_size, status.st_mtime_ns,
                                                         status.st_ino)
    return entries


def case_read_only(args):
    run_dir = os.path.join(args.work, "run-read-only")
    train(args, "gru", run_dir)
    best = os.path.join(run_dir, "checkpoints", "best.h5")
    before = snapshot(run_dir)
    lock_path = os.path.join(run_dir, "slatetrain.lock")
    # Another process (this one) holds the run's lock, as a training run of it would.
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for ranks in (1, 2):
            result = evaluate(args, "gru", best, ranks,
                              extra=[f"run.dir={run_dir}"])  # even pointed at the run itself
            check(result["metrics"], "no metrics")
        # The lock is still ours: training of the same run.dir is refused meanwhile.
        refused = run(launcher(1) + [os.path.join(args.bin, "slatetrain"), CONFIG] +
                      settings_arguments(COMMON + TRAIN + [f"data.path={data(args)}",
                                                           f"run.dir={run_dir}"]) + ["--resume"],
                      expect_ok=False)
        check(refused.returncode != 0, "training ran while the lock was held (the test is void)")
        fcntl.flock(lock_file, fcntl.LOCK_UN)
    after = snapshot(run_dir)
    added = sorted(set(after) - set(before))
    changed = sorted(path for path in before if path in after and before[path] != after[path])
    removed = sorted(set(before) - set(after))
    check(not added and not changed and not removed,
          f"the run directory changed: added {added}, changed {changed}, removed {removed}")


def main():
    return main_for({
        "data": case_data,
        "gru": lambda a: case_model(a, "gru"),
        "transformer": lambda a: case_model(a, "transformer"),
        "refusals": case_refusals,
        "read-only": case_read_only,
    })

if __name__ == "__main__":
    sys.exit(main())
