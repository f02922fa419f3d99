"""What bench/gru_benchmark.py and bench/transformer_benchmark.py share: the generated data,
slatetrain runs with their timed rate, the PyTorch runs' figures, the loss check and the
machine line. Debian's python3 (numpy, torch)."""
import json
import os
import platform
import shutil
import subprocess
import time

import numpy as np

import torch_gru_slate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, **kwargs):
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def prepare_data(args, bin_dir):
    """out/finn (data.npz ...) and out/converted, reused when made with the same sizes."""
    finn = os.path.join(args.out, "finn")
    converted = os.path.join(args.out, "converted")
    stamp_path = os.path.join(args.out, "data-stamp.json")
    stamp = {"users": args.users, "items": args.items, "seed": args.seed}
    if os.path.exists(stamp_path) and os.path.exists(os.path.join(converted, "manifest.json")):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                print(f"data: reusing {args.out} ({args.users} users, {args.items} items)")
                return finn, converted
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    # The benchmarks need no oracle (it takes longer than the conversion).
    run([os.path.join(bin_dir, "slateconvert"), "synth", "--output", finn, "--users",
         str(args.users), "--items", str(args.items), "--seed", str(args.seed), "--force",
         "--no-oracle"])
    run([os.path.join(bin_dir, "slateconvert"), "finn", "--input", finn, "--output", converted,
         "--shards", "4", "--force"])
    print(f"data: generated and converted in {time.perf_counter() - start:.1f} s")
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    return finn, converted


def common_overrides(settings):
    """slatetrain keys both benchmarks set the same way: optimizers, schedule, slate loss, no
    evaluation or checkpoint while timing."""
    return {
        "run.seed": settings["seed"], "run.device": "cpu",
        "model.interaction_type_embedding": "true" if settings["interaction_type_embedding"]
        else "false",
        "model.update_every_step": "false", "model.init_scale": settings["init_scale"],
        "objective.kind": "slate", "objective.slate_head": "none",
        "optimizer.dense.kind": "adamw",
        "optimizer.dense.learning_rate": settings["dense_learning_rate"],
        "optimizer.dense.weight_decay": 0.0, "optimizer.embedding.kind": "adam",
        "optimizer.embedding.learning_rate": settings["embedding_learning_rate"],
        "schedule.epochs": 1000, "schedule.max_steps": settings["steps"],
        "schedule.batch_users": settings["batch_users"],
        "schedule.warmup_steps": settings["lr_warmup_steps"], "schedule.decay": "cosine",
        "schedule.min_learning_rate_fraction": settings["min_learning_rate_fraction"],
        "schedule.gradient_clip": settings["gradient_clip"], "evaluation.every_steps": 0,
        "evaluation.patience": 0, "evaluation.max_users": 0, "checkpoint.every_steps": 0,
    }


def run_slatetrain(args, bin_dir, converted, overrides, run_name, ranks, threads):
    """One slatetrain run with `overrides` (common_overrides plus the model's keys); returns
    the summary, the timed rate (after the first window of args.warmup steps) and the losses
    of each window."""
    run_dir = os.path.join(args.out, f"run-{run_name}-np{ranks}x{threads}")
    shutil.rmtree(run_dir, ignore_errors=True)
    overrides = dict(overrides, **{"data.path": converted, "run.dir": run_dir,
                                   "run.threads": threads,
                                   "logging.metrics_every_steps": args.warmup})
    command = [os.path.join(bin_dir, "slatetrain"), args.config]
    for key, value in overrides.items():
        command += ["--set", f"{key}={value}"]
    if ranks > 1:
        launcher = ["mpirun", "-np", str(ranks), "--oversubscribe", "--bind-to", "none"]
        if os.geteuid() == 0:
            launcher.append("--allow-run-as-root")
        command = launcher + command
    start = time.perf_counter()
    result = run(command, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    windows = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if record.get("phase") == "train":
                windows.append(record)
    # Windows of `warmup` steps; the first one is the warm-up. Each window's rate is its
    # interactions over its seconds; batches hold nearly equal interaction counts, so the
    # timed rate is the harmonic mean of the later windows' rates.
    timed = [w["interactions_per_s"] for w in windows[1:]]
    rate = len(timed) / sum(1.0 / r for r in timed) if timed else summary["interactions_per_s"]
    return {"summary": summary, "rate": rate, "rate_all_steps": summary["interactions_per_s"],
            "window_losses": [w["loss"] for w in windows], "process_wall_s": wall,
            "command": " ".join(command)}


def torch_figures(model, record, data, warmup, train_wall, evaluate=True):
    """Timed rates of a PyTorch run (torch_gru_slate.train's record) after `warmup` steps, the
    losses of each window of `warmup` steps, and the test evaluation (after a validation pass,
    as slatetrain times it)."""
    interactions = np.array(record["interactions"][warmup:], np.float64)
    seconds = np.array(record["seconds"][warmup:])
    batch_seconds = np.array(record["batch_seconds"][warmup:])
    losses = np.array(record["loss"])
    window_losses = [float(losses[i:i + warmup].mean()) for i in range(0, len(losses), warmup)]
    evaluation = {"seconds": float("nan"), "hitrate@20": float("nan")}
    if evaluate:
        torch_gru_slate.evaluate(model, data, split_code=1)
        evaluation = torch_gru_slate.evaluate(model, data, split_code=2)
    return {"rate": interactions.sum() / seconds.sum(),
            "rate_model_only": interactions.sum() / (seconds - batch_seconds).sum(),
            "rate_all_steps": float(np.sum(record["interactions"]) / np.sum(record["seconds"])),
            "batch_share": float(batch_seconds.sum() / seconds.sum()),
            "window_losses": window_losses, "evaluation": evaluation, "train_wall_s": train_wall}


def check_losses(name, slate_windows, torch_windows):
    """Both fall, and end within 10% of each other (different inits and user orders)."""
    s_first, s_last = slate_windows[0], slate_windows[-1]
    t_first, t_last = torch_windows[0], torch_windows[-1]
    falls = s_last < s_first and t_last < t_first
    close = abs(s_last - t_last) <= 0.1 * max(s_last, t_last)
    verdict = "ok" if falls and close else "MISMATCH"
    print(f"{name} loss (first window -> last window): slatetrain {s_first:.4f} -> {s_last:.4f}, "
          f"pytorch {t_first:.4f} -> {t_last:.4f}: {verdict}")
    return verdict, (s_first, s_last, t_first, t_last)


def machine_line():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores visible, {platform.system()} {platform.release()}"
