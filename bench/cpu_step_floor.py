#!/usr/bin/python3
"""The CPU floor of one training step (issue 13): FLOPs and bytes per phase, counted as
bench/step_floor.py counts them for the GPU, against this machine's peaks measured in the same
run, and (optionally) against a slatetrain run's measured phases.

  /usr/bin/python3 bench/cpu_step_floor.py [--config configs/gru.yaml] [--threads 2]
      [--summary RUN_DIR/summary-or-last-stdout-line.json] [--markdown bench/results/X.md]

Peaks measured here, each the best of --repeats timings (the machine may be shared; the load
average is printed beside them):
  - sgemm: numpy float32 matmul (Debian's numpy calls OpenBLAS, the BLAS slatetrain links), a
    square 1024 product and the GRU's own shape (batch x dim times dim x 3 dim), with
    OPENBLAS_NUM_THREADS = --threads (a child process per thread count);
  - stream copy: numpy copy of a 256 MB float32 array (bytes read + bytes written per second,
    STREAM's convention);
  - random rows: a gather of the step's unique rows (sorted ids, drawn uniformly) from an
    items x dim float32 table, the access pattern of the lookup and of the lazy row Adam.
The counts are step_floor.count()'s: "needed" FLOPs and "min" bytes (what a fused
implementation must still do), grouped into slatetrain's step phases (lookup, forward,
backward, update; launch/step_phases.hpp). A phase's floor is max(FLOPs / sgemm rate,
bytes / stream rate) with the best peaks measured (also with OPENBLAS_CORETYPE set to the CPU's
own kernels: OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs it does not recognise). The row
phases also get a random-row figure (rows touched x the time of numpy's gather per random row):
not a floor (numpy's gather does not prefetch, the row Adam does, and beats it), but the scale of
what a table far larger than the caches costs without prefetching.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import step_floor  # noqa: E402

PHASES = {  # slatetrain's phase -> step_floor stages
    "lookup": ["gather"],
    "forward": ["input", "gru_fwd", "user", "score"],
    "backward": ["score_bwd", "user_bwd", "gru_bwd", "input_bwd", "row_reduce"],
    "update": ["row_adam", "dense"],
}
# Row passes over the table per phase that touch random rows: the lookup reads each row once;
# the lazy row Adam reads and writes the row and its two moments (3 rows read + written).
RANDOM_ROW_PASSES = {"lookup": 1, "update": 3}


def measure(threads, repeats, items, dim, rows):
    """Runs in a child with OPENBLAS_NUM_THREADS set before numpy loads."""
    import numpy as np
    out = {"threads": threads}

    def best(function, count):
        function()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(count):
                function()
            times.append((time.perf_counter() - start) / count)
        return min(times)

    a = np.random.rand(1024, 1024).astype(np.float32)
    out["sgemm_square_flops"] = 2 * 1024 ** 3 / best(lambda: a @ a, 4)
    x = np.random.rand(1024, dim).astype(np.float32)
    w = np.random.rand(dim, 3 * dim).astype(np.float32)
    out["sgemm_gru_flops"] = 2 * 1024 * dim * 3 * dim / best(lambda: x @ w, 200)
    source = np.ones(64 << 20, np.float32)
    target = np.empty_like(source)
    out["stream_copy_bytes"] = 2 * source.nbytes / best(lambda: np.copyto(target, source), 3)
    del source, target
    table = np.ones((items, dim), np.float32)
    ids = np.sort(np.random.default_rng(1).choice(items, size=rows, replace=False))
    gathered = np.empty((rows, dim), np.float32)
    seconds = best(lambda: np.take(table, ids, axis=0, out=gathered), 3)
    out["random_row_seconds"] = seconds / rows
    out["random_row_bytes"] = 2 * rows * dim * 4 / seconds
    return out


def cpu_core_type():
    """The OpenBLAS core type of this CPU's widest vector unit, for OPENBLAS_CORETYPE: OpenBLAS
    0.3.21 (Debian 12) does not recognise some virtual machines' CPUs and falls back to its
    Prescott (SSE3) kernels, which is what slatetrain gets unless the variable is set."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "").split()
    except OSError:
        return None
    if "avx512f" in flags:
        return "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


def measure_in_child(threads, a, core_type=None):
    environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    environment.pop("OPENBLAS_CORETYPE", None)
    if core_type:
        environment["OPENBLAS_CORETYPE"] = core_type
    command = [sys.executable, os.path.abspath(__file__), "--measure-child", str(threads),
               "--repeats", str(a.repeats), "--items", str(a.items), "--dim", str(a.dim),
               "--unique-rows", str(a.unique_rows)]
    result = subprocess.run(command, env=environment, check=True, stdout=subprocess.PIPE,
                            text=True)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    measured["core_type"] = core_type or "OpenBLAS's own choice"
    return measured


def measured_phases(path):
    """step_ms of a slatetrain summary (a run directory's summary.json, or the last stdout
    line) or of metrics.jsonl's last train record."""
    last = None
    with open(path) as handle:
        text = handle.read()
    try:
        whole = json.loads(text)
        if isinstance(whole, dict) and "step_ms" in whole:
            return whole["step_ms"]
    except json.JSONDecodeError:
        pass  # one record per line
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            if "step_ms" in record:
                last = record
    if last is None:
        raise SystemExit(f"{path}: no JSON line with step_ms")
    return last["step_ms"]


def add_cpu_options(parser):
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--summary", help="slatetrain summary/metrics file with step_ms")
    parser.add_argument("--markdown", help="append the table to this file")
    parser.add_argument("--measure-child", type=int, help=argparse.SUPPRESS)


def parse_arguments(argv):
    """step_floor's options (and its --config handling) plus this script's."""
    cpu = argparse.ArgumentParser(add_help=False)
    add_cpu_options(cpu)
    cpu_args, rest = cpu.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        full = step_floor.make_parser()
        add_cpu_options(full)
        full.parse_args(["--help"])
    a = step_floor.parse_args(rest)
    for key, value in vars(cpu_args).items():
        setattr(a, key, value)
    return a


def main():
    a = parse_arguments(sys.argv[1:])
    if a.measure_child is not None:
        print(json.dumps(measure(a.measure_child, a.repeats, a.items, a.dim, a.unique_rows)))
        return 0
    load_before = os.getloadavg()
    peaks = {f"{t} thread(s)": measure_in_child(t, a) for t in sorted({1, a.threads})}
    core_type = cpu_core_type()
    if core_type:
        peaks[f"{a.threads} thread(s), {core_type}"] = measure_in_child(a.threads, a, core_type)
    load_after = os.getloadavg()
    # The machine's peaks: the best of the configurations (the kernels OpenBLAS can run here).
    peak = {key: max(p[key] for p in peaks.values())
            for key in ("sgemm_square_flops", "sgemm_gru_flops", "stream_copy_bytes")}
    peak["random_row_seconds"] = min(p["random_row_seconds"] for p in peaks.values())
    stages, derived = step_floor.count(a)
    stage_of = dict(zip(step_floor_keys(), stages))
    measured = measured_phases(a.summary) if a.summary else {}
    sgemm = max(peak["sgemm_square_flops"], peak["sgemm_gru_flops"])
    rows = []
    for phase, names in PHASES.items():
        chosen = [stage_of[name] for name in names]
        flops = sum(s.flops_needed for s in chosen)
        flops_impl = sum(s.flops_impl for s in chosen)
        bytes_min = sum(s.bytes_min for s in chosen)
        compute_ms = 1e3 * flops / sgemm
        stream_ms = 1e3 * bytes_min / peak["stream_copy_bytes"]
        random_ms = 1e3 * RANDOM_ROW_PASSES.get(phase, 0) * a.unique_rows * \
            peak["random_row_seconds"]
        floor_ms = max(compute_ms, stream_ms)
        rows.append({"phase": phase, "gflop_needed": flops / 1e9, "gflop_impl": flops_impl / 1e9,
                     "mb_min": bytes_min / 1e6, "compute_ms": compute_ms, "stream_ms": stream_ms,
                     "random_row_ms": random_ms, "floor_ms": floor_ms,
                     "measured_ms": measured.get(phase)})
    total_floor = sum(r["floor_ms"] for r in rows)
    interactions = derived["training_steps"]
    result = {"peaks": peaks, "load_before": load_before, "load_after": load_after,
              "phases": rows, "floor_step_ms": total_floor,
              "floor_interactions_per_s": interactions / (total_floor / 1e3),
              "training_steps_per_batch": interactions, "unique_rows": a.unique_rows,
              "measured": measured}
    print_text(a, result)
    if a.markdown:
        write_markdown(a, result)
    if a.json:
        print(json.dumps(result, indent=2, default=float))
    return 0


def step_floor_keys():
    # The order of step_floor.count()'s stages.
    return ["upload", "gather", "input", "gru_fwd", "user", "score", "score_bwd", "user_bwd",
            "gru_bwd", "input_bwd", "row_reduce", "row_adam", "dense"]


def text_lines(a, r):
    lines = []
    for name, p in r["peaks"].items():
        lines.append(f"- peaks, {name}, OpenBLAS core type {p['core_type']}: sgemm {p['sgemm_square_flops'] / 1e9:.1f} "
                     f"GFLOP/s (1024^3), {p['sgemm_gru_flops'] / 1e9:.1f} GFLOP/s ({a.batch_users}x"
                     f"{a.dim} by {a.dim}x{3 * a.dim}); stream copy "
                     f"{p['stream_copy_bytes'] / 1e9:.2f} GB/s; random {a.dim}-float row "
                     f"{1e9 * p['random_row_seconds']:.1f} ns ({p['random_row_bytes'] / 1e9:.2f} "
                     f"GB/s) from a {a.items} x {a.dim} table")
    lines.append(f"- load average before / after the peaks: "
                 f"{' '.join(f'{x:.2f}' for x in r['load_before'])} / "
                 f"{' '.join(f'{x:.2f}' for x in r['load_after'])}")
    lines.append(f"- batch {a.batch_users} users, dim {a.dim}, {a.loss} loss, "
                 f"{r['unique_rows']} unique rows ({a.unique_rows_source}), "
                 f"{r['training_steps_per_batch']:.0f} training interactions per batch")
    lines.append("")
    lines.append("| phase | GFLOP needed (as implemented) | MB min | compute ms | stream ms | "
                 "floor ms | random-row gather ms (not a floor) | measured ms | "
                 "measured / floor |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in r["phases"]:
        measured = row["measured_ms"]
        lines.append(
            f"| {row['phase']} | {row['gflop_needed']:.3f} ({row['gflop_impl']:.3f}) | "
            f"{row['mb_min']:.1f} | {row['compute_ms']:.2f} | {row['stream_ms']:.2f} | "
            f"{row['floor_ms']:.2f} | {row['random_row_ms']:.2f} | "
            f"{'-' if measured is None else f'{measured:.1f}'} | "
            f"{'-' if measured is None else format(measured / row['floor_ms'], '.1f') + 'x'} |")
    measured_step = sum(r["measured"].get(p, 0.0) for p in PHASES)
    lines.append(f"| **step** | | | | | {r['floor_step_ms']:.2f} | | {measured_step:.1f} | "
                 f"{measured_step / r['floor_step_ms']:.1f}x |")
    lines.append("")
    lines.append(f"Floor: {r['floor_interactions_per_s']:,.0f} training interactions/s "
                 f"({a.threads} threads).")
    return lines


def print_text(a, r):
    print("\n".join(text_lines(a, r)))


def write_markdown(a, r):
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"## CPU step floor, {stamp}", "",
             f"`/usr/bin/python3 bench/cpu_step_floor.py {' '.join(sys.argv[1:])}`", ""]
    lines += text_lines(a, r)
    with open(a.markdown, "a") as handle:
        handle.write("\n".join(lines) + "\n\n")
    print(f"appended to {a.markdown}")


if __name__ == "__main__":
    sys.exit(main())
