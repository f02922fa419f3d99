#!/usr/bin/env python3
"""A stop request to the launcher of a multi-rank run ends in a checkpoint and exit 0 (as under
srun): SIGTERM to launch/mpirun-preemptible.sh, and SIGTERM to its whole process group (what a
scheduler or Ctrl-C sends), after the run has trained a few steps. docs/DATA_SAFETY.md.

usage: preemption_launcher_test.py --bin DIR --work DIR [--launcher PROGRAM]

--launcher defaults to launch/mpirun-preemptible.sh; `--launcher mpirun` shows what plain
Open MPI 4.1 mpirun does (exit 1 after the ranks checkpointed and exited 0).
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

from mpi_run_support import CONFIG, ROOT, Failure, check, env

SETTINGS = ["model.dim=16", "evaluation.every_steps=0", "checkpoint.every_steps=0",
            "logging.metrics_every_steps=1", "schedule.warmup_steps=0", "run.device=cpu",
            "run.threads=1", "schedule.batch_users=16"]


def converted(args):
    source, output = os.path.join(args.work, "finn"), os.path.join(args.work, "converted")
    if os.path.isdir(output):
        return output
    for command in ([os.path.join(args.bin, "slateconvert"), "synth", "--output", source,
                     "--users", "256", "--items", "300", "--seed", "6", "--no-truth"],
                    [os.path.join(args.bin, "slateconvert"), "finn", "--input", source,
                     "--output", output, "--quiet"]):
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check(result.returncode == 0, f"{' '.join(command)}: {result.stderr}")
    return output


def command(args, run_dir, settings):
    line = [args.launcher, "-np", "2", "--oversubscribe"]
    if os.geteuid() == 0:
        line.append("--allow-run-as-root")
    line += [os.path.join(args.bin, "slatetrain"), CONFIG, "--set", f"data.path={converted(args)}",
             "--set", f"run.dir={run_dir}"]
    for setting in SETTINGS + settings:
        line += ["--set", setting]
    return line


def wait_for_training(run_dir, process, steps=3, timeout=120):
    metrics = os.path.join(run_dir, "metrics.jsonl")
    deadline = time.time() + timeout
    while time.time() < deadline:
        check(process.poll() is None, "the run ended before it could be signalled")
        if os.path.exists(metrics):
            with open(metrics) as f:
                if sum('"train"' in line for line in f) >= steps:
                    return
        time.sleep(0.2)
    raise Failure("the run did not start training in time")


def stop_and_check(args, how):
    run_dir = os.path.join(args.work, f"run-{how}")
    shutil.rmtree(run_dir, ignore_errors=True)
    print("$ " + " ".join(command(args, run_dir, ["schedule.epochs=100000"])), flush=True)
    # Its own process group, as a batch script or a terminal job has.
    process = subprocess.Popen(command(args, run_dir, ["schedule.epochs=100000"]),
                               env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        wait_for_training(run_dir, process)
        if how == "term-to-launcher":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print(stderr[-1500:])
    summary = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    checkpoints = sorted(os.listdir(os.path.join(run_dir, "checkpoints"))) \
        if os.path.isdir(os.path.join(run_dir, "checkpoints")) else []
    print(f"{how}: exit {process.returncode}, status {summary.get('status')}, "
          f"steps {summary.get('steps')}, checkpoints {checkpoints}")
    check(summary.get("status") == "preempted", f"{how}: no 'preempted' summary")
    check(checkpoints and f"{summary['steps']:012d}" in checkpoints[-1],
          f"{how}: no checkpoint at the stop")
    check(process.returncode == 0, f"{how}: the launcher exited {process.returncode}, not 0")
    check("MPI_ABORT" not in stderr and "failed" not in stderr, f"{how}: a failure was reported")
    # The checkpoint continues.
    resumed = subprocess.run(command(args, run_dir, [f"schedule.max_steps={summary['steps'] + 2}"])
                             + ["--resume"], env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=300)
    check(resumed.returncode == 0, f"{how}: resume failed: {resumed.stderr[-1500:]}")
    final = json.loads(resumed.stdout.strip().splitlines()[-1])
    check(final["steps"] == summary["steps"] + 2 and final["status"] == "finished",
          f"{how}: resume did not continue: {final}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--launcher", default=os.path.join(ROOT, "launch", "mpirun-preemptible.sh"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    try:
        for how in ("term-to-launcher", "term-to-process-group"):
            stop_and_check(args, how)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    print("preemption through the launcher: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
