#!/usr/bin/python3
"""The real SLURM batch scripts against a real one-node SLURM (launch/slurm/local-cluster.sh).

usage: slurm_train_test.py SLATETRAIN_BIN_DIR SLATECONVERT_BIN_DIR

1. convert.sbatch makes the data: a `synth` job, then a `--verify finn` job chained behind it
   with --dependency=afterok.
2. train.sbatch on 2 ranks (srun) trains to the end: the job completes once, the run
   directory holds metrics.jsonl, a checkpoint and the summary with valid/test metrics.
3. train.sbatch with a run far too long to finish gets SLURM's preemption signal once
   metrics.jsonl shows it training (`scancel --batch --signal=USR1`, what
   `--signal=B:USR1@...` sends before the time limit): the ranks checkpoint and exit, the
   script requeues the job, the restarted job resumes from the checkpoint (the log says so,
   steps continue right after it, not from 0) and finishes a few steps later.

No verdict depends on how fast this machine trains: the signal follows a step seen in
metrics.jsonl, the restarted run stops by itself RESUMED_STEPS past its checkpoint, and every
wait allows a generous time per step that remains on top of SLURM's own delays.

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
# The whole test stays well inside CTest's timeout (300 s), so cleanup always runs.
START = time.monotonic()
GUARD = START + 240
RANKS = 2
# Allowances for the waits. Training is allowed PER_STEP_S per step that remains (an idle
# 2-core machine takes about 4 ms); the rest are SLURM's and MPI's fixed costs, which do not
# scale with the steps.
PER_STEP_S = 1.0
JOB_START_S = 60  # submission to the first step: scheduling, srun, MPI start, data load
REQUEUE_START_S = 60  # a requeued job is eligible cred_expire + 1 s later, then scheduled
FINISH_S = 60  # the last checkpoint, validation, test and popularity evaluation, exit
SIGNAL_S = 60  # USR1 to the ranks, their checkpoint and exit, the script's requeue
# The preempted run: signalled once it has logged this step; its first attempt could not end
# on its own in the test's time; the restarted attempt stops this many steps past the resume.
SIGNAL_AT_STEP = 5
FIRST_ATTEMPT_MAX_STEPS = 10 ** 9
RESUMED_STEPS = 10
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
         "DEADLINE", "PREEMPTED")


class TestFailure(Exception):
    pass


def require(condition, message):
    if not condition:
        raise TestFailure(message)
    print("ok [%5.1f s]: %s" % (time.monotonic() - START, message.split("\n")[0]), flush=True)


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


def deadline_after(seconds):
    """now + seconds, but never past the guard that keeps cleanup inside CTest's timeout."""
    return min(GUARD, time.monotonic() + seconds)


def wait_for_job(job, env, what, deadline):
    """Waits until the job has ended for good (a requeued job passes through PENDING again)."""
    while time.monotonic() < deadline:
        fields = job_fields(job, env)
        if fields.get("JobState", "") in ENDED:
            return fields
        time.sleep(0.5)
    raise TestFailure("%s (job %s) still %s at its deadline%s"
                      % (what, job, job_fields(job, env).get("JobState"),
                         " (the test's guard)" if deadline >= GUARD else ""))


def read_text(path):
    with open(path, errors="replace") as file:
        return file.read()


class MetricsFile:
    """A run's metrics.jsonl, read as it grows: each read parses only the bytes added since the
    last one, so polling a run that logs every step stays cheap under load."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, "metrics.jsonl")
        self.offset = 0
        self.partial = b""
        self.records = []
        self.train_steps = []  # the `step` of every training record, in file order

    def read(self):
        if not os.path.exists(self.path):
            return self
        with open(self.path, "rb") as file:
            file.seek(self.offset)
            data = file.read()
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()  # a line being written right now, finished next time
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                raise TestFailure("%s: a line that is not JSON: %r" % (self.path, line[:200]))
            if not isinstance(record, dict):
                continue
            self.records.append(record)
            if record.get("phase", "train") == "train" and isinstance(record.get("step"), int):
                self.train_steps.append(record["step"])
        return self

    def steps_of(self, phase):
        return [record.get("step") for record in self.records if record.get("phase") == phase]


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


def write_config(path, data_dir, max_steps=None):
    # Small and quick: 2 ranks on 2 cores, a few users per batch, validation only at the end.
    text = (
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
    if max_steps is not None:
        text = text.replace("schedule:\n", "schedule:\n  max_steps: %d\n" % max_steps)
    # Replaced whole, so a job starting now reads the old file or the new one, never half.
    with open(path + ".new", "w") as file:
        file.write(text)
    os.replace(path + ".new", path)


def submit_train(env, bin_dir, config, extra_sets):
    # The script's own #SBATCH defaults (8 GPUs, 24 h) overridden as a user would.
    command = ["sbatch", "--parsable", "--job-name=train", "--ntasks-per-node=%d" % RANKS,
               "--gpus-per-node=%d" % RANKS, "--cpus-per-task=1", "--time=10",
               "--signal=B:USR1@30", TRAIN, "--bin-dir", bin_dir, config]
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
    # Two job starts; the data are tiny (about a second of work each on an idle machine).
    deadline = deadline_after(2 * JOB_START_S)
    for job, what in ((synth, "synth job"), (finn, "finn --verify job")):
        fields = wait_for_job(job, env, what, deadline)
        require(fields["JobState"] == "COMPLETED",
                "convert.sbatch %s %s completed (state %s)\n%s"
                % (what, job, fields["JobState"], describe_job(job, work, work)))
    require(os.path.exists(os.path.join(data_dir, "manifest.json")),
            "the chained conversion wrote %s/manifest.json" % data_dir)
    return data_dir


def train_to_the_end(env, work, bin_dir, config):
    """A job that trains to its last step and finishes."""
    total_steps = 40
    job = submit_train(env, bin_dir, config,
                       ["schedule.max_steps=%d" % total_steps, "checkpoint.every_steps=10"])
    run_dir = os.path.join(work, "runs", "train-" + job)
    fields = wait_for_job(job, env, "training job",
                          deadline_after(JOB_START_S + total_steps * PER_STEP_S + FINISH_S))
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
    steps = MetricsFile(run_dir).read().train_steps
    require(steps == list(range(1, total_steps + 1)),
            "metrics.jsonl records every training step 1..%d (last steps %s)"
            % (total_steps, steps[-5:]))
    require(checkpoints_in(run_dir), "the run directory holds a checkpoint (%s)"
            % checkpoints_in(run_dir))
    require(os.path.exists(os.path.join(run_dir, "slurm", "finished")),
            "train.sbatch marked the run finished")


def set_partition_state(env, partition, state):
    run(["scontrol", "update", "PartitionName=" + partition, "State=" + state], env)


def preempt_requeue_resume(env, work, bin_dir, config, data_dir):
    # The first attempt reads a max_steps it cannot reach in the test's time, so only the
    # signal ends it, whatever this machine's speed.
    write_config(config, data_dir, FIRST_ATTEMPT_MAX_STEPS)
    job = submit_train(env, bin_dir, config, ["checkpoint.every_steps=0"])
    run_dir = os.path.join(work, "runs", "train-" + job)
    metrics = MetricsFile(run_dir)
    deadline = deadline_after(JOB_START_S + SIGNAL_AT_STEP * PER_STEP_S)
    while not (metrics.read().train_steps and metrics.train_steps[-1] >= SIGNAL_AT_STEP):
        state = job_fields(job, env)["JobState"]
        if state not in ("PENDING", "RUNNING", "CONFIGURING"):
            raise TestFailure("job %s ended (%s) before the signal\n%s"
                              % (job, state, describe_job(job, work, run_dir)))
        if time.monotonic() >= deadline:
            raise TestFailure("job %s logged no training step %d by its deadline (state %s)\n%s"
                              % (job, SIGNAL_AT_STEP, state, describe_job(job, work, run_dir)))
        time.sleep(0.2)
    # The partition goes down before the signal, so the requeued attempt cannot start before
    # its config is rewritten below (a race otherwise); the running attempt is not affected.
    partition = run(["sinfo", "--noheader", "--format=%R"], env).split()[0]
    set_partition_state(env, partition, "DOWN")
    signal_step = metrics.train_steps[-1]
    run(["scancel", "--batch", "--signal=USR1", job], env)
    print("[%5.1f s] sent USR1 to job %s's batch shell after step %d"
          % (time.monotonic() - START, job, signal_step), flush=True)

    # The first attempt ends when the script has seen the ranks exit and asked for the requeue;
    # slurmctld then holds the job PENDING with one restart (the partition is down).
    first_log = attempt_log(run_dir, job, 0)
    deadline = deadline_after(SIGNAL_S)
    fields = job_fields(job, env)
    while time.monotonic() < deadline and fields.get("JobState") not in ENDED and not (
            fields.get("JobState") == "PENDING" and fields.get("Restarts") == "1"):
        time.sleep(0.2)
        fields = job_fields(job, env)
    details = describe_job(job, work, run_dir)
    require(os.path.exists(first_log) and "requeueing job" in read_text(first_log),
            "after the signal the ranks exited cleanly and the script requeued the job\n"
            + details)
    require(fields.get("JobState") == "PENDING" and fields.get("Restarts") == "1",
            "SLURM requeued job %s: pending again after 1 restart (state %s, restarts %s)\n%s"
            % (job, fields.get("JobState"), fields.get("Restarts"), details))
    metrics.read()
    first_attempt_steps = list(metrics.train_steps)
    stop_step = first_attempt_steps[-1]
    require(first_attempt_steps == list(range(1, stop_step + 1)),
            "the first attempt logged every step 1..%d (%d records)"
            % (stop_step, len(first_attempt_steps)))
    require(signal_step <= stop_step < FIRST_ATTEMPT_MAX_STEPS,
            "it stopped mid-run, at step %d (signalled after step %d of %d)"
            % (stop_step, signal_step, FIRST_ATTEMPT_MAX_STEPS))
    checkpoint_name = "checkpoint-%012d.h5" % stop_step
    require(metrics.steps_of("checkpoint") == [stop_step]
            and checkpoints_in(run_dir) == [checkpoint_name],
            "the signalled run checkpointed at its last step %d (checkpoint records at %s, "
            "files %s)" % (stop_step, metrics.steps_of("checkpoint"), checkpoints_in(run_dir)))
    summaries = [record for record in metrics.records if record.get("phase") == "summary"]
    require(len(summaries) == 1 and summaries[0].get("status") == "preempted",
            "its summary record says preempted (%s)"
            % [record.get("status") for record in summaries])

    # The restarted attempt stops by itself a few steps past the checkpoint, so what remains
    # is RESUMED_STEPS steps, not the rest of a run sized for this machine. Its learning-rate
    # schedule (which follows max_steps) differs from the first attempt's: fine here, this
    # test proves the preemption mechanics; training_resume-bitwise proves exact resumption.
    final_step = stop_step + RESUMED_STEPS
    write_config(config, data_dir, final_step)
    set_partition_state(env, partition, "UP")
    fields = wait_for_job(job, env, "preempted training job",
                          deadline_after(REQUEUE_START_S + JOB_START_S
                                         + RESUMED_STEPS * PER_STEP_S + FINISH_S))
    details = describe_job(job, work, run_dir)
    require(fields["JobState"] == "COMPLETED" and fields.get("ExitCode") == "0:0",
            "the requeued job %s completed with exit 0:0 (state %s, exit %s)\n%s"
            % (job, fields["JobState"], fields.get("ExitCode"), details))
    require(fields.get("Restarts") == "1", "SLURM restarted it exactly once (restarts %s)"
            % fields.get("Restarts"))
    second_log_path = attempt_log(run_dir, job, 1)
    second_log = read_text(second_log_path) if os.path.exists(second_log_path) else ""
    checkpoint_path = os.path.join(run_dir, "checkpoints", checkpoint_name)
    require("resuming from %s" % checkpoint_path in second_log,
            "the restarted job passed --resume for %s\n%s" % (checkpoint_name, details))
    resumed_line = r"slatetrain: resumed from \S*/%s at step %d\b" % (checkpoint_name, stop_step)
    require(re.search(resumed_line, second_log),
            "slatetrain's own log says it resumed from %s at step %d\n%s"
            % (checkpoint_name, stop_step, second_log[-3000:]))
    metrics.read()
    require(metrics.steps_of("resume") == [stop_step],
            "metrics.jsonl records one resume, at step %d (got %s)"
            % (stop_step, metrics.steps_of("resume")))
    resumed_steps = metrics.train_steps[len(first_attempt_steps):]
    require(resumed_steps == list(range(stop_step + 1, final_step + 1)),
            "training continued at step %d, right after the checkpoint's %d, not from the start,"
            " and stopped at its max_steps %d (steps after the restart: %s)"
            % (stop_step + 1, stop_step, final_step, resumed_steps[:5] + ["..."]
               + resumed_steps[-2:]))
    summary = summary_of(second_log_path)
    require(summary is not None and "test" in summary and summary.get("steps") == final_step,
            "the restarted job printed the final summary at step %d\n%s"
            % (final_step, second_log[-3000:]))
    require(os.path.exists(os.path.join(run_dir, "slurm", "finished")),
            "train.sbatch marked the run finished")


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
        train_to_the_end(env, work, train_bin, config)
        preempt_requeue_resume(env, work, train_bin, os.path.join(work, "preempt.yaml"),
                               data_dir)
        print("all checks passed")
        return 0
    except TestFailure as failure:
        print("FAIL [%5.1f s]: %s" % (time.monotonic() - START, failure))
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
