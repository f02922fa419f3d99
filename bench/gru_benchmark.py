#!/usr/bin/python3
"""CPU training benchmark: slatetrain against the same GRU slate model in PyTorch (issue 3).

  /usr/bin/python3 bench/gru_benchmark.py [--users 50000 --items 20000 --dims 32,64 ...]
      [--torch-python bench/.venv-torch/bin/python]   # also PyPI's newest PyTorch, same run

1. generates FINN-format data (slateconvert synth) and converts it (slateconvert finn);
2. trains the same model in PyTorch (bench/torch_gru_slate.py) on the same users, split, item
   count, dimensions, batch, optimizers, schedule and loss, in every formulation of --variants
   (GRU: packed sequences or the masked GRUCell loop over all steps; item table: SparseAdam on a
   sparse gradient or Adam on a dense one; eager or torch.compile) and thread count of
   --torch-threads, in this interpreter's PyTorch (Debian's 1.13) and in each --torch-python's
   (a child process of this script: e.g. bench/.venv-torch, the newest PyTorch from PyPI, made
   with `python3 -m venv bench/.venv-torch && bench/.venv-torch/bin/pip install torch numpy`;
   never used by CI or the README); the fastest run of each PyTorch build is its reference;
3. trains it with slatetrain at np=1 and under mpirun at np=2 (threads per rank = cores / ranks);
4. prints training interactions/s (interactions: real steps, click != 0, as slatetrain counts
   them) after a warm-up, their ratio against each PyTorch build, the losses of both, and
   full-catalogue evaluation time; --repeats interleaves whole rounds (shared machines), and
   every figure carries the 1-minute load average at its start and end.
Checks before the figures count: the reproduced split equals the shards', the popularity
baseline computed here equals slatetrain's (same data, same split), and both losses fall and
end in the same range. Needs Debian's python3 (torch, numpy); --results FILE appends markdown.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gru_slate  # noqa: E402
from training_benchmark import (ROOT, check_losses, common_overrides, machine_line,  # noqa: E402
                                prepare_data, run_slatetrain, torch_figures)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50000)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--dims", default="32,64", help="comma-separated model dims")
    parser.add_argument("--batch-users", type=int, default=128, help="users per batch per rank")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed steps first (also the learning-rate warm-up)")
    parser.add_argument("--steps", type=int, default=300, help="timed steps after the warm-up")
    parser.add_argument("--ranks", default="1,2",
                        help="slatetrain runs: NP (threads per rank = --threads / NP) or NPxT")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="cores used by each side (slatetrain: split over its ranks)")
    parser.add_argument("--torch-threads", default=None,
                        help="comma-separated torch.set_num_threads values to time (default: "
                             "--threads); the fastest is the reference")
    parser.add_argument("--gru-mode", default=None, choices=["packed", "cell", "both"],
                        help="shorthand for --variants with a sparse table, eager (both: "
                             "packed and cell)")
    parser.add_argument("--variants", default="packed/sparse/eager",
                        help="comma-separated PyTorch formulations GRU/TABLE/MODE: GRU packed or "
                             "cell, TABLE sparse (SparseAdam) or dense (Adam, dense gradient), "
                             "MODE eager or compile (torch.compile; skipped where the PyTorch "
                             "has none)")
    parser.add_argument("--torch-python", default="",
                        help="comma-separated other Python interpreters whose PyTorch is also "
                             "timed in this run (e.g. bench/.venv-torch/bin/python)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="interleaved rounds of every run (noisy shared machines)")
    parser.add_argument("--skip-evaluation", action="store_true",
                        help="no full-catalogue evaluation on either side (speed runs on large "
                             "catalogues; slatetrain evaluates one user so that its run ends "
                             "normally)")
    parser.add_argument("--pytorch-only", help=argparse.SUPPRESS)  # child: JSON of torch runs
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "bench"))
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "gru-small.yaml"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", help="append a markdown report to this file")
    return parser.parse_args()


def settings_for(args, dim):
    """The run's hyper-parameters, given to both sides."""
    return {"dim": dim, "batch_users": args.batch_users, "steps": args.warmup + args.steps,
            "lr_warmup_steps": args.warmup, "dense_learning_rate": 0.003,
            "embedding_learning_rate": 0.01, "min_learning_rate_fraction": 0.1,
            "gradient_clip": 5.0, "init_scale": 0.1, "interaction_type_embedding": True,
            "seed": args.seed, "skip_evaluation": args.skip_evaluation}


def gru_overrides(settings):
    overrides = dict(common_overrides(settings),
                     **{"model.kind": "gru", "model.dim": settings["dim"]})
    if settings.get("skip_evaluation"):
        overrides["evaluation.max_users"] = 1
    return overrides


def parse_variant(text):
    gru, table, mode = text.split("/")
    if gru not in ("packed", "cell") or table not in ("sparse", "dense") or \
            mode not in ("eager", "compile"):
        raise SystemExit(f"--variants: bad entry {text!r} (GRU/TABLE/MODE, e.g. packed/sparse/eager)")
    return {"gru_mode": gru, "table_optimizer": "sparse_adam" if table == "sparse" else
            "dense_adam", "compile": mode == "compile"}


def run_torch(data, settings, variant, threads, warmup, evaluate=True):
    """One PyTorch run; None (with the reason) when this PyTorch cannot run the variant."""
    parsed = parse_variant(variant)
    if parsed["compile"] and not hasattr(torch, "compile"):
        return {"skipped": f"torch {torch.__version__} has no torch.compile"}
    torch.set_num_threads(threads)
    settings = dict(settings, **parsed)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        model, record = torch_gru_slate.train(data, settings, log=None)
    except Exception as error:  # e.g. torch.compile failing on this machine: report, go on
        return {"skipped": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    figures = torch_figures(model, record, data, warmup, time.perf_counter() - start, evaluate)
    figures["load"] = (load_start, os.getloadavg()[0])
    figures["torch"] = torch.__version__
    return figures


def torch_runs_here(data, settings, variants, torch_threads, warmup, label, evaluate=True):
    runs = {}
    for variant in variants:
        for threads in torch_threads:
            name = f"{variant}/{threads}t"
            result = run_torch(data, settings, variant, threads, warmup, evaluate)
            runs[name] = result
            if "skipped" in result:
                print(f"{label} torch {torch.__version__} {name}: skipped ({result['skipped']})",
                      flush=True)
            else:
                print(f"{label} torch {torch.__version__} {name}: {result['rate']:.0f} "
                      f"interactions/s ({result['rate_model_only']:.0f} without batch building), "
                      f"load {result['load'][0]:.1f}-{result['load'][1]:.1f}", flush=True)
    return runs


def torch_runs_in(python, args, dim, label):
    """The same runs in another interpreter's PyTorch: this script as a child."""
    forwarded, skip = [], False
    for argument in sys.argv[1:]:  # all but --results FILE
        if skip or argument.startswith("--results="):
            skip = False
        elif argument == "--results":
            skip = True
        else:
            forwarded.append(argument)
    command = [python, os.path.abspath(__file__), "--pytorch-only", "-"] + forwarded + \
        ["--dims", str(dim)]
    result = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    lines = result.stdout.rstrip().splitlines()
    for line in lines[:-1]:
        if label and line.startswith(" torch "):
            print(f"{label}{line}", flush=True)
    return json.loads(lines[-1])


def pytorch_only(args, data, variants, torch_threads):
    """Child mode: every PyTorch run of the one dim given, as JSON on the last line."""
    dim = int(args.dims.split(",")[0])
    runs = torch_runs_here(data, settings_for(args, dim), variants, torch_threads, args.warmup,
                           "", not args.skip_evaluation)
    print(json.dumps({"torch": torch.__version__, "python": sys.executable, "runs": runs},
                     default=float))


def main():
    args = parse_arguments()
    if args.gru_mode:
        args.variants = {"packed": "packed/sparse/eager", "cell": "cell/sparse/eager",
                         "both": "packed/sparse/eager,cell/sparse/eager"}[args.gru_mode]
    variants = args.variants.split(",")
    for variant in variants:
        parse_variant(variant)
    torch_threads = [int(t) for t in (args.torch_threads or str(args.threads)).split(",")]
    bin_dir = os.path.join(args.build_dir, "bin")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    if args.pytorch_only:
        sys.stdout = sys.stderr  # progress to stderr; the JSON alone to stdout
    finn, converted = prepare_data(args, bin_dir)
    start = time.perf_counter()
    data, split_check = torch_gru_slate.load(finn, converted)
    print(f"data: {data.num_users} users, {data.num_items} items, "
          f"{int((data.click != 0).sum())} interactions, split {split_check} "
          f"(read in {time.perf_counter() - start:.1f} s)")
    if args.pytorch_only:
        sys.stdout = sys.__stdout__
        pytorch_only(args, data, variants, torch_threads)
        return
    popularity = torch_gru_slate.popularity(data, split_code=2)

    dims = [int(d) for d in args.dims.split(",")]
    runs = []  # (ranks, threads per rank)
    for entry in args.ranks.split(","):
        ranks, _, threads = entry.partition("x")
        runs.append((int(ranks), int(threads) if threads else max(1, args.threads // int(ranks))))
    others = [p for p in args.torch_python.split(",") if p]
    rows = []
    for repeat in range(args.repeats):
        for dim in dims:
            label = f"[{repeat}] d{dim}"
            settings = settings_for(args, dim)
            builds = {f"torch {torch.__version__} ({sys.executable})":
                      torch_runs_here(data, settings, variants, torch_threads, args.warmup, label,
                                      not args.skip_evaluation)}
            for python in others:
                other = torch_runs_in(python, args, dim, label)
                builds[f"torch {other['torch']} ({other['python']})"] = other["runs"]
            references = {}
            for build, build_runs in builds.items():
                timed = {n: r for n, r in build_runs.items() if "skipped" not in r}
                if timed:
                    best = max(timed, key=lambda n: timed[n]["rate"])
                    references[build] = (best, timed[best])
            first_build = next(iter(references))
            for ranks, threads in runs:
                load_start = os.getloadavg()[0]
                result = run_slatetrain(args, bin_dir, converted, gru_overrides(settings),
                                        f"d{dim}", ranks, threads)
                summary = result["summary"]
                slate_popularity = summary["popularity"]
                same_data = all(abs(slate_popularity[key] - popularity[key]) < 1e-9
                                for key in ("hits@20", "hitrate@20"))
                if args.skip_evaluation:
                    same_data = "not checked (--skip-evaluation)"
                elif not same_data:
                    print(f"WARNING: popularity baseline differs: slatetrain {slate_popularity}, "
                          f"pytorch side {popularity}")
                reference = references[first_build][1]
                verdict, losses = check_losses(f"{label} np{ranks}x{threads}",
                                               result["window_losses"],
                                               reference["window_losses"])
                rows.append({
                    "repeat": repeat, "dim": dim, "ranks": ranks, "threads": threads,
                    "slatetrain": result["rate"], "slatetrain_all_steps": result["rate_all_steps"],
                    "load": (load_start, os.getloadavg()[0]),
                    "step_ms": summary.get("step_ms", {}),
                    "references": {b: {"variant": name, "rate": r["rate"],
                                       "rate_model_only": r["rate_model_only"],
                                       "ratio": result["rate"] / r["rate"], "load": r["load"],
                                       "evaluation_s": r["evaluation"]["seconds"],
                                       "test_hitrate@20": r["evaluation"]["hitrate@20"]}
                                   for b, (name, r) in references.items()},
                    "pytorch_runs": {b: {n: (r.get("rate") if "skipped" not in r else
                                             "skipped: " + r["skipped"]) for n, r in br.items()}
                                     for b, br in builds.items()},
                    "losses": losses, "loss_check": verdict, "same_data": same_data,
                    "slatetrain_evaluation_s": summary.get("evaluation_s"),
                    "slatetrain_test": summary.get("test", {}), "command": result["command"],
                    "loader_wait_s": summary.get("loader_wait_s"),
                })

    print()
    for r in rows:
        print(f"[{r['repeat']}] d{r['dim']} np{r['ranks']}x{r['threads']}: slatetrain "
              f"{r['slatetrain']:.0f}/s (load {r['load'][0]:.1f}-{r['load'][1]:.1f}), losses "
              f"{r['loss_check']}")
        for build, ref in r["references"].items():
            print(f"    vs {build}, best {ref['variant']}: {ref['rate']:.0f}/s (load "
                  f"{ref['load'][0]:.1f}-{ref['load'][1]:.1f}): ratio {ref['ratio']:.2f}")
    load_after = os.getloadavg()
    if args.results:
        write_markdown(args, rows, started, load_before, load_after, data, split_check,
                       popularity)
    print(json.dumps({"rows": [{k: v for k, v in r.items() if k != "command"} for r in rows]},
                     default=float))


def write_markdown(args, rows, started, load_before, load_after, data, split_check, popularity):
    lines = [
        f"## Run of {started.strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {machine_line()}; numpy {np.__version__}",
        f"- load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in load_after)}",
        f"- command: `{sys.executable} bench/gru_benchmark.py {' '.join(sys.argv[1:])}`",
        f"- data: {data.num_users} users, {data.num_items} items, "
        f"{int((data.click != 0).sum())} interactions (slateconvert synth --seed {args.seed}); "
        f"split {split_check}; popularity hitrate@20 on test {popularity['hitrate@20']:.5f} "
        f"on both sides: {all(r['same_data'] is True for r in rows) if not args.skip_evaluation else 'not checked (--skip-evaluation)'}",
        f"- timed: {args.steps} steps after {args.warmup} warm-up steps, batch "
        f"{args.batch_users} users per rank, {args.threads} cores on the machine; PyTorch "
        f"variants {args.variants}, threads {args.torch_threads or args.threads} (the fastest "
        f"run of each PyTorch build is its reference)",
        "",
        "| round | dim | np x threads | slatetrain interactions/s (load) | PyTorch build | best "
        "variant | PyTorch interactions/s (load) | ratio | loss first->last slatetrain | "
        "loss first->last PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s0, s1, t0, t1 = r["losses"]
        for build, ref in r["references"].items():
            lines.append(
                f"| {r['repeat']} | {r['dim']} | {r['ranks']} x {r['threads']} | "
                f"{r['slatetrain']:.0f} ({r['load'][0]:.1f}-{r['load'][1]:.1f}) | {build} | "
                f"{ref['variant']} | {ref['rate']:.0f} ({ref['load'][0]:.1f}-"
                f"{ref['load'][1]:.1f}) | {ref['ratio']:.2f} | {s0:.3f} -> {s1:.3f} | "
                f"{t0:.3f} -> {t1:.3f} ({r['loss_check']}) |")
    lines.append("")
    seen = set()
    for r in rows:
        key = (r["repeat"], r["dim"])
        if key in seen:
            continue
        seen.add(key)
        for build, runs in r["pytorch_runs"].items():
            text = ", ".join(f"{n} {v:.0f}/s" if isinstance(v, float) else f"{n} {v}"
                             for n, v in runs.items())
            lines.append(f"- round {r['repeat']} d{r['dim']} {build}: {text}")
    for r in rows:
        phases = ", ".join(f"{k} {v:.1f}" for k, v in r["step_ms"].items())
        lines.append(f"- round {r['repeat']} d{r['dim']} np{r['ranks']}x{r['threads']}: "
                     f"slatetrain ms per step {phases}; loader wait {r['loader_wait_s']:.2f} s")
    lines.append("")
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
