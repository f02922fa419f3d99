#!/usr/bin/python3
"""CPU training benchmark: slatetrain's transformer user model against the same model in PyTorch.

  /usr/bin/python3 bench/transformer_benchmark.py [--users 50000 --items 20000 --repeats 2 ...]
  bench/.venv-torch/bin/python bench/transformer_benchmark.py ...   # another PyTorch build

1. generates FINN-format data (slateconvert synth) and converts it (slateconvert finn);
2. trains the transformer of bench/torch_transformer_slate.py (pre-norm blocks, causal
   multi-head attention, GELU feed-forward, learned positions, final layer norm; slate loss;
   AdamW + SparseAdam, warm-up and cosine decay, clipping) on the same users, split, item count,
   sizes, batch and dropout, with torch.set_num_threads = the given threads;
3. trains it with slatetrain (model.kind transformer) at each --ranks entry;
4. repeats 2-3 --repeats times, interleaved (the machine may be shared: each repeat's figures
   are printed, the ratio is taken within a repeat), and prints training interactions/s after
   a warm-up, the ratio, the losses of both and the test metrics.
Checks before the figures count (bench/training_benchmark.py, as bench/gru_benchmark.py): the
reproduced split equals the shards', the popularity baseline is the same on both sides, and both
losses fall and end within 10% of each other. --results FILE appends markdown.
The defaults are configs/transformer-small.yaml's model and optimizer settings.
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
import torch_transformer_slate  # noqa: E402
from training_benchmark import (ROOT, check_losses, common_overrides, machine_line,  # noqa: E402
                                prepare_data, run_slatetrain, torch_figures)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50000)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--ffn", type=int, default=0, help="0: 4 * dim")
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--attention-dropout", type=float, default=0.3)
    parser.add_argument("--dense-learning-rate", type=float, default=0.003)
    parser.add_argument("--embedding-learning-rate", type=float, default=0.01)
    parser.add_argument("--batch-users", type=int, default=128, help="users per batch per rank")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed steps first (also the learning-rate warm-up)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps after the warm-up")
    parser.add_argument("--ranks", default="1,2",
                        help="slatetrain runs: NP (threads per rank = --threads / NP) or NPxT")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="cores used by each side (slatetrain: split over its ranks)")
    parser.add_argument("--torch-threads", default=None,
                        help="comma-separated torch.set_num_threads values to time (default: "
                             "--threads); the fastest is the reference")
    parser.add_argument("--repeats", type=int, default=1,
                        help="interleaved repeats of every run (noisy shared machines)")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "bench"))
    parser.add_argument("--config", default=os.path.join(ROOT, "configs",
                                                         "transformer-small.yaml"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", help="append a markdown report to this file")
    return parser.parse_args()


def settings_for(args, max_length):
    """The run's hyper-parameters, given to both sides."""
    return {"dim": args.dim, "layers": args.layers, "heads": args.heads,
            "ffn": args.ffn or 4 * args.dim, "dropout": args.dropout,
            "attention_dropout": args.attention_dropout, "layer_norm_epsilon": 1e-5,
            "max_length": max_length, "batch_users": args.batch_users,
            "steps": args.warmup + args.steps, "lr_warmup_steps": args.warmup,
            "dense_learning_rate": args.dense_learning_rate,
            "embedding_learning_rate": args.embedding_learning_rate,
            "min_learning_rate_fraction": 0.1, "gradient_clip": 5.0, "init_scale": 0.1,
            "interaction_type_embedding": True, "seed": args.seed}


def transformer_overrides(settings):
    return dict(common_overrides(settings), **{
        "model.kind": "transformer", "model.dim": settings["dim"],
        "model.layers": settings["layers"], "model.heads": settings["heads"],
        "model.ffn": settings["ffn"], "model.dropout": settings["dropout"],
        "model.attention_dropout": settings["attention_dropout"],
        "model.layer_norm_epsilon": settings["layer_norm_epsilon"],
        "model.max_length": settings["max_length"]})


def run_torch(data, settings, threads, warmup):
    torch.set_num_threads(threads)
    start = time.perf_counter()
    model, record = torch_transformer_slate.train(data, settings, log=None)
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
    settings = settings_for(args, data.max_steps)  # the users protocol: the whole history

    runs = []  # (ranks, threads per rank)
    for entry in args.ranks.split(","):
        ranks, _, threads = entry.partition("x")
        runs.append((int(ranks), int(threads) if threads else max(1, args.threads // int(ranks))))
    torch_threads = [int(t) for t in (args.torch_threads or str(args.threads)).split(",")]
    rows = []
    for repeat in range(args.repeats):
        torch_runs = {}
        for threads in torch_threads:
            torch_runs[threads] = run_torch(data, settings, threads, args.warmup)
            print(f"[{repeat}] pytorch {threads}t: {torch_runs[threads]['rate']:.0f} "
                  f"interactions/s ({torch_runs[threads]['rate_model_only']:.0f} without batch "
                  f"building), load {os.getloadavg()[0]:.2f}", flush=True)
        best = max(torch_runs, key=lambda t: torch_runs[t]["rate"])
        reference = torch_runs[best]
        for ranks, threads in runs:
            load_start = os.getloadavg()[0]
            result = run_slatetrain(args, bin_dir, converted, transformer_overrides(settings),
                                    f"transformer-d{args.dim}", ranks, threads)
            summary = result["summary"]
            same_data = all(abs(summary["popularity"][key] - popularity[key]) < 1e-9
                            for key in ("hits@20", "hitrate@20"))
            if not same_data:
                print(f"WARNING: popularity baseline differs: slatetrain "
                      f"{summary['popularity']}, pytorch side {popularity}")
            verdict, losses = check_losses(f"[{repeat}] np{ranks}x{threads}",
                                           result["window_losses"], reference["window_losses"])
            rows.append({
                "repeat": repeat, "ranks": ranks, "threads": threads,
                "slatetrain": result["rate"], "pytorch": reference["rate"],
                "pytorch_threads": best,
                "pytorch_runs": {t: r["rate"] for t, r in torch_runs.items()},
                "pytorch_model_only": reference["rate_model_only"],
                "batch_share": reference["batch_share"], "ratio": result["rate"] / reference["rate"],
                "ratio_model_only": result["rate"] / reference["rate_model_only"],
                "losses": losses, "loss_check": verdict, "same_data": same_data,
                "slatetrain_test": summary.get("test", {}), "pytorch_test": reference["evaluation"],
                "slatetrain_evaluation_s": summary.get("evaluation_s"),
                "pytorch_evaluation_s": reference["evaluation"]["seconds"],
                "load": (load_start, os.getloadavg()[0]), "command": result["command"],
            })

    print()
    print(f"{'rep':>3} {'npxT':>5} {'slatetrain/s':>13} {'pytorch/s':>11} {'ratio':>6} "
          f"{'(vs torch model-only)':>22} {'hr@20 s/t':>15} {'load':>11} {'losses ok':>9}")
    for r in rows:
        print(f"{r['repeat']:>3} {str(r['ranks']) + 'x' + str(r['threads']):>5} "
              f"{r['slatetrain']:>13.0f} {r['pytorch']:>11.0f} {r['ratio']:>6.2f} "
              f"{r['ratio_model_only']:>22.2f} "
              f"{r['slatetrain_test'].get('hitrate@20', float('nan')):>7.4f}/"
              f"{r['pytorch_test']['hitrate@20']:.4f} "
              f"{r['load'][0]:>5.1f}-{r['load'][1]:<5.1f} {r['loss_check']:>9}")
    if args.results:
        write_markdown(args, rows, started, load_before, os.getloadavg(), data, split_check,
                       popularity)
    print(json.dumps({"torch": torch.__version__,
                      "rows": [{k: v for k, v in r.items() if k != "command"} for r in rows]},
                     default=float))


def write_markdown(args, rows, started, load_before, load_after, data, split_check, popularity):
    lines = [
        f"### Run of {started.strftime('%Y-%m-%d %H:%M UTC')}, PyTorch {torch.__version__}",
        "",
        f"- machine: {machine_line()}; torch {torch.__version__} ({sys.executable}), "
        f"numpy {np.__version__}",
        f"- load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in load_after)}",
        f"- command: `{sys.executable} bench/transformer_benchmark.py {' '.join(sys.argv[1:])}`",
        f"- data: {data.num_users} users, {data.num_items} items, "
        f"{int((data.click != 0).sum())} interactions (slateconvert synth --seed {args.seed}); "
        f"split {split_check}; popularity hitrate@20 on test {popularity['hitrate@20']:.5f} "
        f"on both sides: {all(r['same_data'] for r in rows)}",
        f"- model: dim {args.dim}, {args.layers} layers, {args.heads} heads, ffn "
        f"{args.ffn or 4 * args.dim}, dropout {args.dropout}, attention dropout "
        f"{args.attention_dropout}; timed: {args.steps} steps after {args.warmup} warm-up steps, "
        f"batch {args.batch_users} users per rank",
        "",
        "| repeat | np x threads | slatetrain interactions/s | PyTorch interactions/s (threads) | "
        "ratio | ratio vs PyTorch model-only | load 1-min start-end | loss first->last "
        "slatetrain | loss first->last PyTorch | test hitrate@20 slatetrain / PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s0, s1, t0, t1 = r["losses"]
        lines.append(
            f"| {r['repeat']} | {r['ranks']} x {r['threads']} | {r['slatetrain']:.0f} | "
            f"{r['pytorch']:.0f} ({r['pytorch_threads']}) | {r['ratio']:.2f} | "
            f"{r['ratio_model_only']:.2f} | {r['load'][0]:.1f}-{r['load'][1]:.1f} | "
            f"{s0:.3f} -> {s1:.3f} | {t0:.3f} -> {t1:.3f} ({r['loss_check']}) | "
            f"{r['slatetrain_test'].get('hitrate@20', float('nan')):.4f} / "
            f"{r['pytorch_test']['hitrate@20']:.4f} |")
    lines.append("")
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
