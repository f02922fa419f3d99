#!/usr/bin/env python3
"""End-to-end tests of `slatetrain` through real mpirun runs (run by CTest, one case each).

usage: training_end_to_end.py CASE --bin DIR --work DIR

Cases:
  data                 generate and convert the test datasets (the fixture of the others)
  equivalence-N        np=N with batch B makes the update np=1 makes with batch N*B
  resume-bitwise       2N steps straight == N steps, stop, resume, N steps (bitwise)
  resume-other-world   a checkpoint of np=2 resumed on np=3: same evaluation, then continues
  signal               SIGUSR1 to mpirun / SIGTERM to the ranks: checkpoint, exit 0, resumable
  corrupt-checkpoint   a damaged checkpoint is refused with its name, nothing new written
  bad-config           a mistyped key or a missing data directory: a clear error, non-zero exit
  rank-dies            a rank killed mid-run brings the job down (no hang)
  learning             the GRU beats popularity clearly and gets near the true model
  sparse-catalogue     on sparse data (2 items per user) the shipped objective ranks the catalogue
                       well above popularity
  gpu-vs-cpu           the same training on CUDA and on CPU agree; checkpoints move between them
                       (skips, exit 77, without a GPU)
Standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from mpi_run_support import CONFIG, Failure, check, env, run


# Small and fast: every run here takes seconds on 2 cores.
TINY_USERS, TINY_ITEMS = 256, 300
LEARN_USERS, LEARN_ITEMS = 16000, 2000
SPARSE_USERS, SPARSE_ITEMS = 4000, 8000
COMMON = ["model.dim=16", "evaluation.every_steps=0", "checkpoint.every_steps=0",
          "logging.metrics_every_steps=1", "schedule.warmup_steps=0",
          "evaluation.batch_users=128", "run.device=cpu", "run.threads=1"]


def slatetrain_command(args, ranks, data, run_dir, settings, resume=False):
    command = []
    if ranks > 1 or shutil.which("mpirun"):  # one rank also runs as a plain process
        command = ["mpirun", "-np", str(ranks), "--oversubscribe"]
        if os.geteuid() == 0:
            command.append("--allow-run-as-root")
    command += [os.path.join(args.bin, "slatetrain"), CONFIG]
    for setting in COMMON + [f"data.path={data}", f"run.dir={run_dir}"] + settings:
        command += ["--set", setting]
    if resume:
        command.append("--resume")
    return command


def train(args, ranks, data, run_dir, settings, resume=False, fresh=True):
    if fresh and not resume:
        shutil.rmtree(run_dir, ignore_errors=True)
    result = run(slatetrain_command(args, ranks, data, run_dir, settings, resume))
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return summary, result


def checkpoints(run_dir):
    directory = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                  if name.startswith("checkpoint-") and name.endswith(".h5"))


def checkpoint_difference(args, a, b, tolerance):
    """checkpoint_compare's run: exit 0 when every value of a and b agrees within tolerance."""
    result = run([os.path.join(args.bin, "..", "tests", "checkpoint_compare"), a, b,
                  "--tolerance", str(tolerance)], expect_ok=False)
    print(result.stdout.strip()[-2000:])
    return result


def compare(args, a, b, tolerance):
    result = checkpoint_difference(args, a, b, tolerance)
    check(result.returncode == 0, f"checkpoints differ: {a} {b}\n{result.stdout}{result.stderr}")


def tiny(args):
    return os.path.join(args.work, "tiny", "converted")


def learn(args):
    return os.path.join(args.work, "learn")


# ---- cases --------------------------------------------------------------------------------

def case_data(args):
    convert = os.path.join(args.bin, "slateconvert")
    for name, users, items in (("tiny", TINY_USERS, TINY_ITEMS), ("learn", LEARN_USERS, LEARN_ITEMS),
                               ("sparse", SPARSE_USERS, SPARSE_ITEMS)):
        base = os.path.join(args.work, name)
        shutil.rmtree(base, ignore_errors=True)
        run([convert, "synth", "--output", os.path.join(base, "finn"), "--users", str(users),
             "--items", str(items), "--seed", "7"])
        run([convert, "finn", "--input", os.path.join(base, "finn"), "--output",
             os.path.join(base, "converted"), "--shards", "3"])


def case_equivalence(args, ranks):
    # One global batch holds every user: the same users on any world size. Three steps are
    # three epochs, so the batch pipeline's epoch turns and step-seeded negatives are compared.
    batch = TINY_USERS
    settings = ["schedule.max_steps=3", "evaluation.max_users=64"]
    # Every user model and the objectives whose draws do not depend on the rank split (the
    # in-batch samplers draw from the local batch, so they are left out). The transformer's
    # dropout masks are keyed by user row and step, so they are the same on any world size.
    variants = {
        "slate": ["objective.kind=slate"],
        "sampled_softmax": ["objective.kind=sampled_softmax"],
        "full_softmax": ["objective.kind=full_softmax"],
        "mixed": ["objective.kind=mixed", "objective.sampler=popularity",
                  "objective.catalogue_weight=0.5"],
        "mixed-full": ["objective.kind=mixed", "objective.catalogue=full_softmax"],
        "shared-negatives": ["objective.kind=sampled_softmax", "objective.sampler=popularity",
                             "objective.shared_negatives=true"],
        "transformer": ["model.kind=transformer", "objective.kind=mixed", "model.dropout=0.3"],
    }
    for name, extra in variants.items():
        one = os.path.join(args.work, f"equivalence-{ranks}-{name}-np1")
        many = os.path.join(args.work, f"equivalence-{ranks}-{name}-np{ranks}")
        train(args, 1, tiny(args), one, settings + [f"schedule.batch_users={batch}"] + extra)
        train(args, ranks, tiny(args), many,
              settings + [f"schedule.batch_users={batch // ranks}"] + extra)
        compare(args, checkpoints(one)[-1], checkpoints(many)[-1], 2e-5)


def case_epochs(args):
    # Whole epochs through the batch pipeline: every batch once per epoch, none twice, and the
    # step phase times logged (synchronised, as a GPU run would ask for them).
    settings = ["schedule.batch_users=16", "objective.kind=sampled_softmax", "evaluation.max_users=64",
                "logging.phase_timing=true"]
    one, _ = train(args, 2, tiny(args), os.path.join(args.work, "epochs-1"),
                   settings + ["schedule.epochs=1"])
    three, _ = train(args, 2, tiny(args), os.path.join(args.work, "epochs-3"),
                     settings + ["schedule.epochs=3"])
    print(f"1 epoch: {one['steps']} steps, {one['interactions']} interactions; "
          f"3 epochs: {three['steps']} steps, {three['interactions']} interactions")
    check(one["steps"] > 1 and three["steps"] == 3 * one["steps"], "steps are not 3 epochs' worth")
    check(three["interactions"] == 3 * one["interactions"],
          "3 epochs did not see each training interaction 3 times")
    check(abs(three["epochs"] - 3.0) < 1e-9, f"summary epochs {three['epochs']}, not 3")
    phases = ("batch", "lookup", "forward", "backward", "allreduce", "update")
    for summary in (one, three):
        check(summary["phase_timing_synchronized"] is True, "phase timing was not synchronised")
        check(sorted(summary["step_ms"]) == sorted(phases), f"step_ms phases: {summary['step_ms']}")
        check(all(v >= 0 for v in summary["step_ms"].values()), "a negative phase time")
        check(summary["prepare_s"] > 0, "no time spent preparing batches")
    with open(os.path.join(args.work, "epochs-3", "metrics.jsonl")) as f:
        trained = [json.loads(line) for line in f if '"train"' in line]
    check(trained and all(r["rows_per_step"] > 0 and sorted(r["step_ms"]) == sorted(phases)
                          for r in trained), "training lines lack rows_per_step or step_ms")


MODELS = {"gru": ["model.kind=gru"],
          "transformer": ["model.kind=transformer", "objective.kind=mixed"]}


def case_resume_bitwise(args):
    # A constant learning rate, so a run stopped at N steps follows the same schedule.
    for model, model_settings in MODELS.items():
        settings = ["schedule.decay=constant", "schedule.batch_users=32",
                    "evaluation.max_users=64"] + model_settings
        straight = os.path.join(args.work, f"resume-straight-{model}")
        split = os.path.join(args.work, f"resume-split-{model}")
        train(args, 2, tiny(args), straight, settings + ["schedule.max_steps=12"])
        first, _ = train(args, 2, tiny(args), split, settings + ["schedule.max_steps=6"])
        check(first["steps"] == 6, f"{model}: first half ran {first['steps']} steps")
        second, result = train(args, 2, tiny(args), split, settings + ["schedule.max_steps=12"],
                               resume=True)
        check("resumed from" in result.stderr, f"{model}: the second half did not say it resumed")
        check(second["steps"] == 12, f"{model}: resumed run ended at step {second['steps']}")
        compare(args, checkpoints(straight)[-1], checkpoints(split)[-1], 0)


def case_resume_other_world(args):
    for model, model_settings in MODELS.items():
        resume_other_world(args, model, model_settings)


def resume_other_world(args, model, model_settings):
    settings = ["schedule.batch_users=32"] + model_settings
    run_dir = os.path.join(args.work, f"resume-world-{model}")
    before, _ = train(args, 2, tiny(args), run_dir, settings + ["schedule.max_steps=6"])
    # No steps left: np=3 only loads and evaluates the np=2 state.
    after, result = train(args, 3, tiny(args), run_dir, settings + ["schedule.max_steps=6"],
                          resume=True)
    check("written by 2 rank(s)" in result.stderr, "np=3 did not load the np=2 checkpoint")
    for name in ("loglik", "hitrate@20", "ndcg@20"):
        a, b = before["valid"][name], after["valid"][name]
        print(f"valid {name}: np=2 {a:.6f}, np=3 after resume {b:.6f}")
        check(abs(a - b) <= 1e-4 * (1 + abs(a)), f"valid {name} differs after resume: {a} vs {b}")
    later, _ = train(args, 3, tiny(args), run_dir, settings + ["schedule.max_steps=11"],
                     resume=True)
    check(later["steps"] == 11 and later["status"] == "finished", f"np=3 did not continue: {later}")
    check(os.path.basename(checkpoints(run_dir)[-1]) == "checkpoint-000000000011.h5",
          "no checkpoint at step 11")


def wait_for_training(run_dir, steps, process, timeout=120):
    metrics = os.path.join(run_dir, "metrics.jsonl")
    deadline = time.time() + timeout
    while time.time() < deadline:
        check(process.poll() is None, "the run ended before it could be signalled")
        if os.path.exists(metrics):
            with open(metrics) as f:
                trained = [json.loads(line) for line in f if '"train"' in line]
            if len(trained) >= steps:
                return
        time.sleep(0.2)
    raise Failure("the run did not start training in time")


def rank_pids(run_dir):
    result = subprocess.run(["pgrep", "-f", f"run.dir={run_dir}( |$)"], stdout=subprocess.PIPE, text=True)
    own = {os.getpid()}
    pids = []
    for pid in result.stdout.split():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if argv0.endswith(b"slatetrain") and int(pid) not in own:
            pids.append(int(pid))
    return pids


def case_signal(args):
    settings = ["schedule.batch_users=16", "schedule.epochs=100000"]
    for how in ("usr1-to-mpirun", "term-to-ranks"):
        run_dir = os.path.join(args.work, f"signal-{how}")
        shutil.rmtree(run_dir, ignore_errors=True)
        process = subprocess.Popen(slatetrain_command(args, 2, tiny(args), run_dir, settings),
                                   env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            wait_for_training(run_dir, 3, process)
            if how == "usr1-to-mpirun":
                process.send_signal(signal.SIGUSR1)  # Open MPI forwards SIGUSR1 to the ranks
            else:
                pids = rank_pids(run_dir)
                check(len(pids) == 2, f"expected 2 rank processes, found {pids}")
                for pid in pids:
                    os.kill(pid, signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        check(process.returncode == 0, f"{how}: exit {process.returncode}\n{stderr[-2000:]}")
        summary = json.loads(stdout.strip().splitlines()[-1])
        check(summary["status"] == "preempted", f"{how}: status {summary['status']}")
        saved = checkpoints(run_dir)
        check(saved and f"{summary['steps']:012d}" in saved[-1], f"{how}: no checkpoint at the stop")
        print(f"{how}: stopped at step {summary['steps']}, checkpoint {os.path.basename(saved[-1])}")
        resumed, result = train(args, 2, tiny(args), run_dir,
                                ["schedule.batch_users=16", f"schedule.max_steps={summary['steps'] + 3}"],
                                resume=True)
        check(resumed["steps"] == summary["steps"] + 3 and resumed["status"] == "finished",
              f"{how}: resume did not continue: {resumed}")


def case_corrupt_checkpoint(args):
    run_dir = os.path.join(args.work, "corrupt")
    settings = ["schedule.batch_users=32", "schedule.max_steps=4"]
    train(args, 2, tiny(args), run_dir, settings)
    newest = checkpoints(run_dir)[-1]
    size = os.path.getsize(newest)
    with open(newest, "r+b") as f:  # damage the middle of the file: the dense parameters
        f.seek(size // 3)
        f.write(b"\x5a" * 256)
    before = checkpoints(run_dir)
    result = run(slatetrain_command(args, 2, tiny(args), run_dir,
                                    ["schedule.batch_users=32", "schedule.max_steps=8"], resume=True),
                 expect_ok=False)
    print(result.stderr[-1500:])
    check(result.returncode != 0, "a corrupted checkpoint was accepted")
    check(newest in result.stderr, "the error does not name the checkpoint file")
    check(checkpoints(run_dir) == before, "a checkpoint was written after the refusal")


def case_bad_config(args):
    run_dir = os.path.join(args.work, "bad-config")
    result = run(slatetrain_command(args, 2, tiny(args), run_dir, ["model.dimm=8"]), expect_ok=False)
    check(result.returncode != 0 and "model.dimm" in result.stderr and "did you mean 'model.dim'"
          in result.stderr, f"mistyped --set key: {result.returncode}\n{result.stderr[-1000:]}")
    config = os.path.join(args.work, "typo.yaml")
    with open(config, "w") as f:
        f.write(f"data:\n  path: {tiny(args)}\nschedule:\n  epochs: 1\n  bach_users: 8\n")
    command = ["mpirun", "-np", "2", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    result = run(command + [os.path.join(args.bin, "slatetrain"), config], expect_ok=False)
    check(result.returncode != 0 and f"{config}:5" in result.stderr and "schedule.bach_users" in
          result.stderr, f"typo in the file: {result.stderr[-1000:]}")
    missing = os.path.join(args.work, "no-such-data")
    result = run(slatetrain_command(args, 2, missing, run_dir, []), expect_ok=False)
    check(result.returncode != 0 and missing in result.stderr,
          f"missing data directory: {result.stderr[-1000:]}")


def case_rank_dies(args):
    run_dir = os.path.join(args.work, "rank-dies")
    shutil.rmtree(run_dir, ignore_errors=True)
    process = subprocess.Popen(
        slatetrain_command(args, 2, tiny(args), run_dir, ["schedule.batch_users=16", "schedule.epochs=100000"]),
        env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_training(run_dir, 3, process)
        pids = rank_pids(run_dir)
        check(len(pids) == 2, f"expected 2 rank processes, found {pids}")
        os.kill(max(pids), signal.SIGKILL)
        started = time.time()
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise Failure("the job hung after a rank died")
    print(stderr[-800:])
    check(process.returncode != 0, "the job exited 0 after a rank died")
    print(f"job ended {time.time() - started:.1f} s after the kill, exit {process.returncode}")


def case_sparse_catalogue(args):
    # configs/gru-small.yaml as shipped (the slate objective plus a popularity-sampled catalogue
    # softmax) where items have half a user each. Measured when written (2 ranks, 12 epochs, 174
    # test users): hitrate@20 0.569 against popularity's 0.356 (1.6x); the slate objective alone
    # 0.138, below popularity (the collapse the catalogue term fixes). The bound leaves about
    # 2.8 standard errors of the 174 users' sampling.
    run_dir = os.path.join(args.work, "sparse-catalogue")
    summary, _ = train(args, 2, os.path.join(args.work, "sparse", "converted"), run_dir,
                       ["model.dim=32", "schedule.epochs=12", "evaluation.every_steps=48"])
    model, popularity = summary["test"], summary["popularity"]
    print(f"test hitrate@20: model {model['hitrate@20']:.4f}, popularity "
          f"{popularity['hitrate@20']:.4f}; coverage@20 {model['coverage@20']:.4f}")
    check(model["hitrate@20"] >= 1.3 * popularity["hitrate@20"],
          "on sparse data the shipped objective does not rank 1.3x above popularity")


def case_learning(args):
    run_dir = os.path.join(args.work, "learning")
    # The slate objective alone: this case checks that the slate model learns the planted choice
    # model, its in-slate likelihood included. The shipped default adds a catalogue term that
    # ranks the catalogue better and costs in-slate likelihood (bench/RESULTS.md, quality table).
    summary, _ = train(args, 2, os.path.join(learn(args), "converted"), run_dir,
                       ["model.dim=32", "schedule.epochs=3", "schedule.batch_users=128",
                        "evaluation.batch_users=512", "objective.kind=slate"])
    with open(os.path.join(learn(args), "finn", "truth.json")) as f:
        truth = json.load(f)
    model, popularity, ceiling = summary["test"], summary["popularity"], truth["test"]
    for name in ("hitrate@10", "hitrate@20", "hits@20"):
        print(f"test {name}: model {model[name]:.4f}, popularity {popularity[name]:.4f}, "
              f"true model {ceiling[name]:.4f}, model/true {model[name] / ceiling[name]:.3f}")
    print(f"test loglik: model {model['loglik']:.4f}, true model {ceiling['loglik']:.4f}")
    check(model["hitrate@20"] >= popularity["hitrate@20"] + 0.04,
          "the GRU does not beat popularity by 0.04 on hitrate@20")
    check(model["hitrate@20"] >= 0.75 * ceiling["hitrate@20"],
          "the GRU is not within 75% of the true model's hitrate@20")
    check(model["loglik"] > ceiling["loglik"] - 0.3, "held-out log-likelihood far from the true model's")


def gpu_present():
    if not shutil.which("nvidia-smi"):
        return False
    return subprocess.run(["nvidia-smi", "-L"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def case_gpu_vs_cpu(args):
    if not gpu_present():
        print("SKIP: no GPU on this machine (nvidia-smi -L found none)")
        sys.exit(77)
    settings = ["schedule.batch_users=64", "schedule.max_steps=8", "evaluation.max_users=128"]
    runs = {}
    for device in ("cpu", "cuda"):
        run_dir = os.path.join(args.work, f"device-{device}")
        summary, result = train(args, 1, tiny(args), run_dir, settings + [f"run.device={device}"])
        check(summary["device"].startswith(device), f"asked for {device}, ran on {summary['device']}")
        runs[device] = (summary, run_dir)
    for name in ("loglik", "hitrate@20", "ndcg@20"):
        a, b = runs["cpu"][0]["valid"][name], runs["cuda"][0]["valid"][name]
        print(f"valid {name}: cpu {a:.6f}, cuda {b:.6f}")
        check(abs(a - b) <= 2e-3 * (1 + abs(a)), f"valid {name}: cpu {a} vs cuda {b}")
    compare(args, checkpoints(runs["cpu"][1])[-1], checkpoints(runs["cuda"][1])[-1], 1e-3)
    # A GPU checkpoint continues on the CPU and a CPU one on the GPU.
    for written, resumed_on in (("cuda", "cpu"), ("cpu", "cuda")):
        run_dir = runs[written][1]
        summary, result = train(args, 1, tiny(args), run_dir,
                                ["schedule.batch_users=64", "schedule.max_steps=11",
                                 "evaluation.max_users=128", f"run.device={resumed_on}"], resume=True)
        check("resumed from" in result.stderr and summary["steps"] == 11,
              f"{written} checkpoint did not continue on {resumed_on}")
        print(f"{written} checkpoint continued on {resumed_on} to step {summary['steps']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cases = {
        "data": case_data,
        "epochs": case_epochs,
        "resume-bitwise": case_resume_bitwise,
        "resume-other-world": case_resume_other_world,
        "signal": case_signal,
        "corrupt-checkpoint": case_corrupt_checkpoint,
        "bad-config": case_bad_config,
        "rank-dies": case_rank_dies,
        "learning": case_learning,
        "sparse-catalogue": case_sparse_catalogue,
        "gpu-vs-cpu": case_gpu_vs_cpu,
    }
    if args.case.startswith("equivalence-"):
        case = lambda a: case_equivalence(a, int(args.case.split("-")[1]))
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
