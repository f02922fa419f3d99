#!/usr/bin/python3
"""Tests of launch/plot-run.py on metrics logs written here in the trainer's schema
(docs/METRICS_LOG.md): the picture is a PNG with our mark whose size depends on what is
drawn, several runs overlay, a torn last line is skipped, and nothing it did not draw is
ever replaced."""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "launch", "plot-run.py")
failures = 0


def check(condition, message):
    global failures
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures += 1


def plot(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, *args], capture_output=True, text=True)


def write_run(directory, steps, resume_at=None, torn=False, loss_offset=0.0):
    os.makedirs(directory, exist_ok=True)
    lines = []
    for step in steps:
        lines.append({"phase": "train", "step": step, "epoch": step // 10,
                      "loss": 2.0 - 0.01 * step + loss_offset, "learning_rate": 1e-3,
                      "interactions_per_s": 1000.0 + step})
        if step % 10 == 0:
            lines.append({"phase": "valid", "step": step, "epoch": step // 10, "seconds": 0.1,
                          "metrics": {"hitrate@20": 0.5 + 0.001 * step, "ndcg@10": 0.2,
                                      "users": 100.0}})
        if resume_at is not None and step == resume_at:
            lines.append({"phase": "resume", "step": step, "path": "checkpoint.h5"})
    lines.append({"phase": "summary", "status": "finished",
                  "popularity_valid": {"hitrate@20": 0.4, "ndcg@10": 0.1}})
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if torn:
        text += '{"phase": "train", "step": 99'  # a crash mid-write
    with open(os.path.join(directory, "metrics.jsonl"), "w") as file:
        file.write(text)


def png_mark(path):
    with open(path, "rb") as file:
        data = file.read()
    return data.startswith(b"\x89PNG\r\n\x1a\n") and b"tEXtSoftware\0slatetrain plot-run" in data


with tempfile.TemporaryDirectory() as work:
    first = os.path.join(work, "first")
    second = os.path.join(work, "second")
    write_run(first, range(1, 41), resume_at=20)
    write_run(second, range(1, 31), torn=True, loss_offset=0.2)

    result = plot(first)
    default = os.path.join(first, "training-curves.png")
    check(result.returncode == 0, f"one run drawn (stderr: {result.stderr.strip()})")
    check(result.stdout.strip() == default, "prints the picture's path")
    check(os.path.isfile(default) and png_mark(default), "a PNG carrying plot-run's mark")
    check(os.stat(default).st_mode & 0o044 == 0o044, "readable by others as an ordinary file")

    overlay = os.path.join(work, "both.png")
    result = plot(first, second, "--output", overlay, "--labels", "gru,transformer")
    check(result.returncode == 0, "two runs overlaid")
    check("incomplete last line skipped" in result.stderr, "a torn last line is skipped, said once")
    check(os.path.getsize(overlay) != os.path.getsize(default), "the overlay draws more")

    result = plot(first)
    check(result.returncode == 0, "replaces a picture it drew itself")

    user_file = os.path.join(work, "mine.png")
    with open(user_file, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\nnot ours")
    result = plot(first, "--output", user_file)
    with open(user_file, "rb") as file:
        kept = file.read()
    check(result.returncode != 0 and "not drawn by plot-run" in result.stderr,
          "refuses to replace a file it did not draw")
    check(kept == b"\x89PNG\r\n\x1a\nnot ours", "the user's file is byte-identical")

    result = plot(first, second, "--labels", "only-one")
    check(result.returncode != 0 and "--labels" in result.stderr, "a label count mismatch refused")

    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    result = plot(empty)
    check(result.returncode != 0 and "metrics.jsonl" in result.stderr,
          "a directory without a metrics log is named")

    broken = os.path.join(work, "broken")
    write_run(broken, range(1, 5))
    with open(os.path.join(broken, "metrics.jsonl"), "r+") as file:
        text = file.read()
        file.seek(0)
        file.write("garbage\n" + text)
    result = plot(broken)
    check(result.returncode != 0 and "metrics.jsonl:1:" in result.stderr,
          "a corrupt line that is not the last is an error naming the line")
    check(not any(name.startswith(".plot-run-") for name in os.listdir(broken)),
          "no temporary left behind")

print(f"plot_run_test: {failures} failure(s)")
sys.exit(1 if failures else 0)
