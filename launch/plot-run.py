#!/usr/bin/python3
"""Draws a run's training curves from its metrics.jsonl into one PNG.

    launch/plot-run.py RUN_DIR [RUN_DIR ...] [--output FILE] [--labels A,B,...]

Panels: training loss, learning rate and throughput against the step, then one panel per
validation metric (every key of the `valid` records' `metrics`), with the popularity
baseline of the run's summary drawn as a dashed line where the summary has one. Several run
directories are overlaid, one colour each, for comparison. Resumes are marked with a dotted
vertical line. The metrics.jsonl schema is in docs/METRICS_LOG.md.

The PNG carries a "Software: slatetrain plot-run" text chunk. An existing output file is
replaced only when it carries that mark (a picture this script drew); anything else at the
output path is refused, so a user's file is never overwritten.
"""

import argparse
import json
import math
import os
import sys
import tempfile

MARK_KEY = "Software"
MARK_VALUE = "slatetrain plot-run"
DEFAULT_NAME = "training-curves.png"


def fail(message):
    print(f"plot-run: {message}", file=sys.stderr)
    sys.exit(1)


def read_records(run_dir):
    """The records of RUN_DIR/metrics.jsonl in file order; a torn last line is skipped."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.isfile(path):
        fail(f"{path}: no metrics log (is {run_dir} a slatetrain run directory?)")
    records = []
    with open(path, encoding="utf-8") as file:
        lines = file.read().split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            # Only a last line can be torn by a crash mid-write; elsewhere it is corruption.
            if number >= len(lines) - 1:
                print(f"plot-run: {path}:{number}: incomplete last line skipped", file=sys.stderr)
                continue
            fail(f"{path}:{number}: not a JSON record ({error.msg})")
        if not isinstance(record, dict) or "phase" not in record:
            fail(f"{path}:{number}: a record without a 'phase'")
        records.append(record)
    return path, records


class Run:
    """The curves of one run directory: (step, value) series by name."""

    def __init__(self, run_dir, label):
        self.label = label
        self.path, records = read_records(run_dir)
        self.series = {}
        self.validation = {}
        self.resumes = []
        self.popularity = {}
        for record in records:
            phase = record["phase"]
            step = record.get("step")
            if phase == "train" and step is not None:
                for name in ("loss", "learning_rate", "interactions_per_s"):
                    if isinstance(record.get(name), (int, float)):
                        self.series.setdefault(name, []).append((step, record[name]))
            elif phase == "valid" and step is not None:
                for name, value in (record.get("metrics") or {}).items():
                    if isinstance(value, (int, float)) and name not in ("users", "loglik_steps"):
                        self.validation.setdefault(name, []).append((step, value))
            elif phase == "resume" and step is not None:
                self.resumes.append(step)
            elif phase == "summary":
                self.popularity = record.get("popularity_valid") or record.get("popularity") or {}
        if not self.series and not self.validation:
            fail(f"{self.path}: no train or valid records to draw")


def segments(points):
    """Splits a series where the step goes back (a later run appended to the same log)."""
    out, current = [], []
    for step, value in points:
        if current and step <= current[-1][0]:
            out.append(current)
            current = []
        current.append((step, value))
    if current:
        out.append(current)
    return out


def draw(runs, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    training = [("loss", "training loss"), ("learning_rate", "learning rate (dense)"),
                ("interactions_per_s", "interactions / s")]
    metric_names = sorted({name for run in runs for name in run.validation})
    panels = training + [(name, f"validation {name}") for name in metric_names]
    columns = 3
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.4 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    for index, (name, title) in enumerate(panels):
        axis = axes[index // columns][index % columns]
        for number, run in enumerate(runs):
            colour = colours[number % len(colours)]
            points = run.series.get(name) or run.validation.get(name) or []
            for part, segment in enumerate(segments(points)):
                steps, values = zip(*segment)
                axis.plot(steps, values, color=colour, marker="o" if len(steps) < 30 else None,
                          markersize=3, label=run.label if part == 0 else None)
            for step in run.resumes:
                axis.axvline(step, color=colour, linestyle=":", linewidth=0.8)
            baseline = run.popularity.get(name)
            if name in run.validation and isinstance(baseline, (int, float)):
                axis.axhline(baseline, color=colour, linestyle="--", linewidth=0.8,
                             label=f"{run.label}: popularity" if len(runs) > 1 else "popularity")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("step", fontsize=8)
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
        if index == 0 or (name in metric_names and index == len(training)):
            axis.legend(fontsize=7)
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    figure.suptitle(", ".join(run.label for run in runs), fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.97))

    # Written beside the target and renamed, so a reader never sees half a picture.
    directory = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(prefix=".plot-run-", suffix=".png", dir=directory)
    os.close(handle)
    try:
        figure.savefig(temporary, dpi=110, metadata={MARK_KEY: MARK_VALUE})
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide the picture from others
        os.replace(temporary, output)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    plt.close(figure)


def png_text_chunks(path):
    """The tEXt chunks of a PNG file, or None when the file is not a PNG."""
    with open(path, "rb") as file:
        data = file.read()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    chunks, offset = {}, 8
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        if kind == b"tEXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            chunks[key.decode("latin-1")] = value.decode("latin-1")
        if kind == b"IEND":
            break
        offset += 12 + length
    return chunks


def check_replaceable(output):
    if not os.path.lexists(output):
        return
    if os.path.islink(output) or not os.path.isfile(output):
        fail(f"{output}: exists and is not a regular file: refusing to replace it")
    chunks = png_text_chunks(output)
    if chunks is None or chunks.get(MARK_KEY) != MARK_VALUE:
        fail(f"{output}: exists and was not drawn by plot-run: refusing to replace it "
             "(choose another --output)")


def main():
    parser = argparse.ArgumentParser(
        description="Draw training loss, learning rate, throughput and every validation metric "
                    "of one or more slatetrain run directories into a PNG.")
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--output", help=f"the PNG to write (default: FIRST_RUN_DIR/{DEFAULT_NAME})")
    parser.add_argument("--labels", help="comma-separated legend names, one per RUN_DIR "
                                         "(default: the directories' names)")
    args = parser.parse_args()

    labels = args.labels.split(",") if args.labels else [
        os.path.basename(os.path.normpath(path)) for path in args.run_dirs]
    if len(labels) != len(args.run_dirs):
        fail(f"--labels has {len(labels)} names for {len(args.run_dirs)} run directories")
    runs = [Run(path, label) for path, label in zip(args.run_dirs, labels)]
    output = args.output or os.path.join(args.run_dirs[0], DEFAULT_NAME)
    if not output.lower().endswith(".png"):
        fail(f"{output}: the output must be a .png file")
    check_replaceable(output)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail("matplotlib is missing: apt-get install python3-matplotlib "
             "(launch/install-dependencies.sh installs it)")
    draw(runs, output)
    print(output)


if __name__ == "__main__":
    main()
