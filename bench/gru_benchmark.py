#!/usr/bin/python3
"""CPU training benchmark: slatetrain against the same GRU slate model in PyTorch (issue 3).

  /usr/bin/python3 bench/gru_benchmark.py [--users 50000 --items 20000 --dims 32,64 ...]

1. generates FINN-format data (slateconvert synth) and converts it (slateconvert finn);
2. trains the same model in PyTorch (bench/torch_gru_slate.py) on the same users, split, item
   count, dimensions, batch, optimizers, schedule and loss, with torch.set_num_threads = cores;
3. trains it with slatetrain at np=1 and under mpirun at np=2 (threads per rank = cores / ranks);
4. prints training interactions/s (interactions: real steps, click != 0, as slatetrain counts
   them) after a warm-up, their ratio, the losses of both, and full-catalogue evaluation time.
Checks before the figures count: the reproduced split equals the shards', the popularity
baseline computed here equals slatetrain's (same data, same split), and both losses fall and
end in the same range. Needs Debian's python3 (torch, numpy); --results FILE appends markdown.
"""
import argparse
import datetime
import json
import os
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
    parser.add_argument("--gru-mode", default="packed", choices=["packed", "cell", "both"],
                        help="PyTorch GRU formulation (both: time both, compare with the faster)")
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
            "seed": args.seed}


def gru_overrides(settings):
    return dict(common_overrides(settings), **{"model.kind": "gru", "model.dim": settings["dim"]})


def run_torch(data, settings, gru_mode, threads, warmup):
    torch.set_num_threads(threads)
    settings = dict(settings, gru_mode=gru_mode)
    start = time.perf_counter()
    model, record = torch_gru_slate.train(data, settings, log=None)
    return torch_figures(model, record, data, warmup, time.perf_counter() - start)


def main():
    args = parse_arguments()
    bin_dir = os.path.join(args.build_dir, "bin")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    finn, converted = prepare_data(args, bin_dir)
    start = time.perf_counter()
    data, split_check = torch_gru_slate.load(finn, converted)
    print(f"data: {data.num_users} users, {data.num_items} items, "
          f"{int((data.click != 0).sum())} interactions, split {split_check} "
          f"(read in {time.perf_counter() - start:.1f} s)")
    popularity = torch_gru_slate.popularity(data, split_code=2)

    dims = [int(d) for d in args.dims.split(",")]
    runs = []  # (ranks, threads per rank)
    for entry in args.ranks.split(","):
        ranks, _, threads = entry.partition("x")
        runs.append((int(ranks), int(threads) if threads else max(1, args.threads // int(ranks))))
    modes = ["packed", "cell"] if args.gru_mode == "both" else [args.gru_mode]
    torch_threads = [int(t) for t in (args.torch_threads or str(args.threads)).split(",")]
    rows = []
    for dim in dims:
        settings = settings_for(args, dim)
        torch_runs = {}
        for mode in modes:
            for threads in torch_threads:
                name = f"{mode}/{threads}t"
                torch_runs[name] = run_torch(data, settings, mode, threads, args.warmup)
                print(f"pytorch d{dim} {name}: {torch_runs[name]['rate']:.0f} interactions/s "
                      f"({torch_runs[name]['rate_model_only']:.0f} without batch building)",
                      flush=True)
        best_mode = max(torch_runs, key=lambda m: torch_runs[m]["rate"])
        reference = torch_runs[best_mode]
        for ranks, threads in runs:
            result = run_slatetrain(args, bin_dir, converted, gru_overrides(settings),
                                    f"d{dim}", ranks, threads)
            summary = result["summary"]
            slate_popularity = summary["popularity"]
            same_data = all(abs(slate_popularity[key] - popularity[key]) < 1e-9
                            for key in ("hits@20", "hitrate@20"))
            if not same_data:
                print(f"WARNING: popularity baseline differs: slatetrain {slate_popularity}, "
                      f"pytorch side {popularity}")
            verdict, losses = check_losses(f"d{dim} np{ranks}x{threads}", result["window_losses"],
                                           reference["window_losses"])
            rows.append({
                "dim": dim, "ranks": ranks, "threads": threads, "slatetrain": result["rate"],
                "slatetrain_all_steps": result["rate_all_steps"], "pytorch": reference["rate"],
                "pytorch_model_only": reference["rate_model_only"], "pytorch_mode": best_mode,
                "pytorch_modes": {m: r["rate"] for m, r in torch_runs.items()},
                "batch_share": reference["batch_share"], "ratio": result["rate"] / reference["rate"],
                "ratio_model_only": result["rate"] / reference["rate_model_only"],
                "losses": losses, "loss_check": verdict, "same_data": same_data,
                "slatetrain_evaluation_s": summary.get("evaluation_s"),
                "pytorch_evaluation_s": reference["evaluation"]["seconds"],
                "slatetrain_test": summary.get("test", {}),
                "pytorch_test": reference["evaluation"], "command": result["command"],
                "loader_wait_s": summary.get("loader_wait_s"),
            })

    print()
    header = (f"{'dim':>4} {'npxT':>5} {'slatetrain/s':>13} {'pytorch/s':>11} {'ratio':>6} "
              f"{'(vs torch model-only)':>22} {'eval s slatetrain':>18} {'eval s torch':>13} "
              f"{'losses ok':>9}")
    print(header)
    for r in rows:
        print(f"{r['dim']:>4} {str(r['ranks']) + 'x' + str(r['threads']):>5} {r['slatetrain']:>13.0f} {r['pytorch']:>11.0f} "
              f"{r['ratio']:>6.2f} {r['ratio_model_only']:>22.2f} "
              f"{r['slatetrain_evaluation_s']:>18.3f} {r['pytorch_evaluation_s']:>13.3f} "
              f"{r['loss_check']:>9}")
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
        f"- machine: {machine_line()}; torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy {np.__version__}",
        f"- load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in load_after)}",
        f"- command: `/usr/bin/python3 bench/gru_benchmark.py {' '.join(sys.argv[1:])}`",
        f"- data: {data.num_users} users, {data.num_items} items, "
        f"{int((data.click != 0).sum())} interactions (slateconvert synth --seed {args.seed}); "
        f"split {split_check}; popularity hitrate@20 on test {popularity['hitrate@20']:.5f} "
        f"on both sides: {all(r['same_data'] for r in rows)}",
        f"- timed: {args.steps} steps after {args.warmup} warm-up steps, batch "
        f"{args.batch_users} users per rank, {args.threads} cores on the machine; PyTorch "
        f"threads tried: {args.torch_threads or args.threads} (the fastest run is the reference)",
        "",
        "| dim | np x threads | slatetrain interactions/s | PyTorch interactions/s | ratio | ratio vs "
        "PyTorch model-only | eval s slatetrain | eval s PyTorch | loss first->last "
        "slatetrain | loss first->last PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s0, s1, t0, t1 = r["losses"]
        lines.append(
            f"| {r['dim']} | {r['ranks']} x {r['threads']} | {r['slatetrain']:.0f} | {r['pytorch']:.0f} "
            f"({r['pytorch_mode']}) | {r['ratio']:.2f} | {r['ratio_model_only']:.2f} | "
            f"{r['slatetrain_evaluation_s']:.3f} | {r['pytorch_evaluation_s']:.3f} | "
            f"{s0:.3f} -> {s1:.3f} | {t0:.3f} -> {t1:.3f} ({r['loss_check']}) |")
    lines.append("")
    for r in rows:
        modes = ", ".join(f"{m} {v:.0f}/s" for m, v in r["pytorch_modes"].items())
        lines.append(f"- d{r['dim']} np{r['ranks']}x{r['threads']}: PyTorch runs (mode/threads) {modes}; "
                     f"batch building {100 * r['batch_share']:.0f}% of PyTorch's step; "
                     f"slatetrain loader wait {r['loader_wait_s']:.2f} s; test hitrate@20 "
                     f"slatetrain {r['slatetrain_test'].get('hitrate@20', float('nan')):.4f}, "
                     f"PyTorch {r['pytorch_test']['hitrate@20']:.4f}")
    lines.append("")
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
