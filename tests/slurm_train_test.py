#!/usr/bin/python3
"""The real SLURM batch scripts against a real one-node SLURM (launch/slurm/local-cluster.sh).

usage: slurm_train_test.py SLATETRAIN_BIN_DIR SLATECONVERT_BIN_DIR

1. convert.sbatch makes the data: a `synth` job, then a `--verify finn` job chained behind it
   with --dependency=afterok.
2. train.sbatch on 2 ranks (srun) trains to the end: the job completes once, the run
   directory holds metrics.jsonl, a checkpoint and the summary with valid/test metrics.
3. train.sbatch with a longer run gets SLURM's preemption signal mid-run
   (`scancel --batch --signal=USR1`, what `--signal=B:USR1@...` sends before the time limit):
   the ranks checkpoint and exit, the script requeues the job, the restarted job resumes from
   the checkpoint (the log says so, steps continue past it, not from 0) and finishes.

Exit 77 (skipped) only where SLURM cannot run here, with the reason printed. Every daemon the
test started is stopped before it returns, also on failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER = os.path.join(ROOT, "launch", "slurm", "local-cluster.sh")
TRAIN = os.path.join(ROOT, "launch", "slurm", "train.sbatch")
CONVERT = os.path.join(ROOT, "launch", "slurm", "convert.sbatch")
# The whole test stays well inside CTest's timeout, so cleanup always runs.
DEADLINE = time.monotonic() + 240
RANKS = 2


class TestFailure(Exception):
    pass


def require(condition, message):
    if not condition:
        raise TestFailure(message)
    print("ok: " + message.split("\n")[0], flush=True)


def run(command, env, check=True):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise TestFailure(
            "%s exited %d\nstdout: %s\nstderr: %s"
            % (" ".join(command), result.returncode, result.stdout, result.stderr))
    return result.stdout


def job_fields(job, env):
    """scontrol's record of a job as a dict (JobState, Restarts, ExitCode, ...)."""
    text = run(["scontrol", "show", "job", "--oneliner", str(job)], env)
    return dict(field.split("=", 1) for field in text.split() if "=" in field)


def wait_for_job(job, env, what):
    """Waits until the job has ended for good (a requeued job passes through PENDING again)."""
    while time.monotonic() < DEADLINE:
        fields = job_fields(job, env)
        state = fields.get("JobState", "")
        if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                     "BOOT_FAIL", "DEADLINE", "PREEMPTED"):
            return fields
        time.sleep(0.5)
    raise TestFailure("%s (job %s) still %s at the test's deadline"
                      % (what, job, job_fields(job, env).get("JobState")))


def read_text(path):
    with open(path, errors="replace") as file:
        return file.read()


def metrics_steps(run_dir):
    """The `step` of every training record ("phase": "train") in metrics.jsonl, in file order."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    steps = []
    for line in read_text(path).splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line being written right now
        if (isinstance(record, dict) and record.get("phase", "train") == "train"
                and isinstance(record.get("step"), int)):
            steps.append(record["step"])
    return steps


def summary_of(log_path):
    """slatetrain's final JSON summary line (the one with the test metrics), or None."""
    for line in reversed(read_text(log_path).splitlines()):
        if line.startswith("{") and '"test"' in line:
            return json.loads(line)
    return None


def checkpoints_in(run_dir):
    directory = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(directory):
        return []
    return sorted(name for name in os.listdir(directory) if name.endswith(".h5"))


def attempt_log(run_dir, job, restart):
    return os.path.join(run_dir, "slurm", "job-%s-restart-%d.log" % (job, restart))


def describe_job(job, work, run_dir):
    """Everything a failed check needs: the job's output and each attempt's log."""
    parts = []
    for path in sorted(
            [os.path.join(work, name) for name in os.listdir(work) if name.endswith(".out")] +
            [os.path.join(run_dir, "slurm", name)
             for name in (os.listdir(os.path.join(run_dir, "slurm"))
                          if os.path.isdir(os.path.join(run_dir, "slurm")) else [])]):
        if str(job) in os.path.basename(path):
            parts.append("---- %s\n%s" % (path, read_text(path)[-4000:]))
    return "\n".join(parts)


def write_config(path, data_dir):
    # Small and quick: 2 ranks on 2 cores, a few users per batch, validation only at the end.
    with open(path, "w") as file:
        file.write(
            "data:\n"
            "  path: %s\n"
            "run:\n"
            "  seed: 5\n"
            "  threads: 1\n"
            "  device: cpu\n"
            "model:\n"
            "  dim: 8\n"
            "schedule:\n"
            "  epochs: 1000\n"
            "  batch_users: 8\n"
            "evaluation:\n"
            "  every_steps: 0\n"
            "  max_users: 64\n"
            "checkpoint:\n"
            "  keep: 2\n"
            "logging:\n"
            "  metrics_every_steps: 1\n" % data_dir)


def submit_train(env, work, bin_dir, config, max_steps, extra_sets):
    # The script's own #SBATCH defaults (8 GPUs, 24 h) overridden as a user would.
    command = ["sbatch", "--parsable", "--job-name=train", "--ntasks-per-node=%d" % RANKS,
               "--gpus-per-node=%d" % RANKS, "--cpus-per-task=1", "--time=10",
               "--signal=B:USR1@30", TRAIN, "--bin-dir", bin_dir, config,
               "--set", "schedule.max_steps=%d" % max_steps]
    for setting in extra_sets:
        command += ["--set", setting]
    return run(command, env).strip().split(";")[0]


def convert_data(env, work, convert_bin):
    finn_dir = os.path.join(work, "finn")
    data_dir = os.path.join(work, "data")
    synth = run(["sbatch", "--parsable", "--cpus-per-task=1", CONVERT, "--bin-dir", convert_bin,
                 "synth", "--output", finn_dir, "--users", "400", "--items", "200", "--seed",
                 "11"], env).strip()
    finn = run(["sbatch", "--parsable", "--cpus-per-task=1", "--dependency=afterok:" + synth,
                CONVERT, "--bin-dir", convert_bin, "--verify", "finn", "--input", finn_dir,
                "--output", data_dir, "--shards", "2"], env).strip()
    for job, what in ((synth, "synth job"), (finn, "finn --verify job")):
        fields = wait_for_job(job, env, what)
        require(fields["JobState"] == "COMPLETED",
                "convert.sbatch %s %s completed (state %s)\n%s"
                % (what, job, fields["JobState"], describe_job(job, work, work)))
    require(os.path.exists(os.path.join(data_dir, "manifest.json")),
            "the chained conversion wrote %s/manifest.json" % data_dir)
    return data_dir


def train_to_the_end(env, work, bin_dir, config):
    """A job that trains to the end; returns the measured training rate in steps per second."""
    total_steps = 40
    job = submit_train(env, work, bin_dir, config, total_steps, ["checkpoint.every_steps=10"])
    run_dir = os.path.join(work, "runs", "train-" + job)
    while time.monotonic() < DEADLINE:
        if job_fields(job, env)["JobState"] not in ("PENDING", "RUNNING", "CONFIGURING"):
            break
        time.sleep(0.1)
    fields = wait_for_job(job, env, "training job")
    details = describe_job(job, work, run_dir)
    require(fields["JobState"] == "COMPLETED" and fields.get("ExitCode") == "0:0",
            "training job %s completed with exit 0:0 (state %s, exit %s)\n%s"
            % (job, fields["JobState"], fields.get("ExitCode"), details))
    require(fields.get("Restarts") == "0", "training job %s ran once (restarts %s)"
            % (job, fields.get("Restarts")))
    summary = summary_of(attempt_log(run_dir, job, 0))
    require(summary is not None and "valid" in summary and "test" in summary,
            "the job's log ends with slatetrain's summary holding valid and test metrics\n"
            + details)
    steps = metrics_steps(run_dir)
    require(steps and max(steps) == total_steps,
            "metrics.jsonl records training up to step %d (last steps %s)"
            % (total_steps, steps[-5:]))
    require(checkpoints_in(run_dir), "the run directory holds a checkpoint (%s)"
            % checkpoints_in(run_dir))
    require(os.path.exists(os.path.join(run_dir, "slurm", "finished")),
            "train.sbatch marked the run finished")
    # The trainer's own figures: training seconds = interactions / interactions_per_s, so the
    # rate leaves out start-up and evaluation (polling metrics.jsonl cannot see a run this short).
    training_seconds = summary["interactions"] / max(1e-9, summary["interactions_per_s"])
    rate = summary["steps"] / max(1e-3, training_seconds)
    print("measured about %.1f steps/s on %d ranks" % (rate, RANKS), flush=True)
    return rate


def preempt_requeue_resume(env, work, bin_dir, config, steps_per_second):
    # About ten seconds of training at the measured rate, so the signal lands mid-run.
    total_steps = max(1500, int(steps_per_second * 10))
    job = submit_train(env, work, bin_dir, config, total_steps, ["checkpoint.every_steps=0"])
    run_dir = os.path.join(work, "runs", "train-" + job)
    # Let it train a few steps, then preempt it the way SLURM warns before the time limit.
    while time.monotonic() < DEADLINE:
        steps = metrics_steps(run_dir)
        if steps and max(steps) >= 3:
            break
        state = job_fields(job, env)["JobState"]
        if state not in ("PENDING", "RUNNING", "CONFIGURING"):
            raise TestFailure("job %s ended (%s) before the signal\n%s"
                              % (job, state, describe_job(job, work, run_dir)))
        time.sleep(0.2)
    run(["scancel", "--batch", "--signal=USR1", job], env)
    print("sent USR1 to job %s's batch shell at step %d of %d"
          % (job, max(metrics_steps(run_dir) or [0]), total_steps), flush=True)

    # The first attempt ends when the script has seen the ranks exit and asked for the requeue.
    first_log = attempt_log(run_dir, job, 0)
    while time.monotonic() < DEADLINE:
        if os.path.exists(first_log) and "requeueing job" in read_text(first_log):
            break
        if job_fields(job, env)["JobState"] in ("COMPLETED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.2)
    details = describe_job(job, work, run_dir)
    require("requeueing job" in read_text(first_log),
            "after the signal the ranks exited cleanly and the script requeued the job\n"
            + details)
    first_attempt_steps = metrics_steps(run_dir)
    stop_step = max(first_attempt_steps or [0])
    checkpoints_at_stop = checkpoints_in(run_dir)
    require(checkpoints_at_stop, "the signalled run left a checkpoint (%s)" % checkpoints_at_stop)
    require(0 < stop_step < total_steps,
            "it stopped mid-run, at step %d of %d" % (stop_step, total_steps))

    fields = wait_for_job(job, env, "preempted training job")
    details = describe_job(job, work, run_dir)
    require(fields["JobState"] == "COMPLETED" and fields.get("ExitCode") == "0:0",
            "the requeued job %s completed with exit 0:0 (state %s, exit %s)\n%s"
            % (job, fields["JobState"], fields.get("ExitCode"), details))
    require(fields.get("Restarts") == "1", "SLURM restarted it exactly once (restarts %s)"
            % fields.get("Restarts"))
    second_log_path = attempt_log(run_dir, job, 1)
    second_log = read_text(second_log_path) if os.path.exists(second_log_path) else ""
    require("resuming from %s" % os.path.join(run_dir, "checkpoints") in second_log,
            "the restarted job passed --resume for the checkpoint\n" + details)
    trainer_lines = [line for line in second_log.splitlines()
                     if not line.startswith("train.sbatch")]
    require(any(re.search(r"resum", line, re.IGNORECASE) for line in trainer_lines),
            "slatetrain's own log says it resumed\n" + second_log[-3000:])
    all_steps = metrics_steps(run_dir)
    resumed_steps = all_steps[len(first_attempt_steps):]
    require(resumed_steps and resumed_steps[0] == stop_step + 1,
            "training continued at step %d, right after the checkpoint's %d, not from the start"
            " (first steps after the restart: %s)"
            % (resumed_steps[0] if resumed_steps else -1, stop_step, resumed_steps[:5]))
    require(max(all_steps) == total_steps, "and went on to the last step %d (got %d)"
            % (total_steps, max(all_steps)))
    summary = summary_of(second_log_path)
    require(summary is not None and "test" in summary,
            "the restarted job printed the final summary\n" + second_log[-3000:])


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    train_bin, convert_bin = (os.path.abspath(path) for path in argv[1:3])
    check = subprocess.run(["bash", CLUSTER, "check"], capture_output=True, text=True)
    if check.returncode != 0:
        print("SKIP: " + (check.stdout + check.stderr).strip())
        return SKIP

    work = tempfile.mkdtemp(prefix="slatetrain-slurm-train.")
    cluster_dir = os.path.join(work, "cluster")
    env = dict(os.environ, LOCAL_CLUSTER_GPUS=str(RANKS))
    try:
        start = subprocess.run(["bash", CLUSTER, "start", cluster_dir], env=env)
        if start.returncode != 0:
            raise TestFailure("the one-node SLURM did not start (see above)")
        env["SLURM_CONF"] = os.path.join(cluster_dir, "slurm.conf")
        os.chdir(work)  # the submit directory: job outputs and runs/ land here

        data_dir = convert_data(env, work, convert_bin)
        config = os.path.join(work, "small.yaml")
        write_config(config, data_dir)
        steps_per_second = train_to_the_end(env, work, train_bin, config)
        preempt_requeue_resume(env, work, train_bin, config, steps_per_second)
        print("all checks passed")
        return 0
    except TestFailure as failure:
        print("FAIL: %s" % failure)
        for name in ("slurmctld.log", "slurmd.log"):
            path = os.path.join(cluster_dir, "log", name)
            if os.path.exists(path):
                print("---- last lines of %s\n%s" % (name, "".join(
                    open(path, errors="replace").readlines()[-15:])))
        return 1
    finally:
        os.chdir("/")
        subprocess.run(["bash", CLUSTER, "stop", cluster_dir], env=env)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
