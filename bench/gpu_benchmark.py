#!/usr/bin/env python3
"""GPU training benchmark: slatetrain against the same GRU slate model in PyTorch on the same GPU,
in one run (issue 4 "Figures").

  python3 bench/gpu_benchmark.py --build-dir build-gpu [--users 300000 --items 200000 --dim 64
                                  --batch-users 1024 --warmup 20 --steps 200]

1. generates FINN-format data (slateconvert synth, stored) and converts it (slateconvert finn);
2. trains the PyTorch model of bench/torch_gru_slate.py (nn.GRU over each user's clicks,
   sparse nn.Embedding + SparseAdam, AdamW, slate loss) on CUDA with the same dimensions, batch,
   item count and optimizers; batches are built with numpy on the host and copied, as slatetrain
   builds its own on the host;
3. trains slatetrain on CUDA (one rank) with the same settings;
4. prints interactions/s for both (after the warm-up for PyTorch; slatetrain's figure covers
   all its steps) and their ratios, and PyTorch's peak GPU memory. PyTorch is timed two ways:
   with its numpy batch building in the loop, and the model step alone (batch already on the
   GPU, as a DataLoader with workers and pinned memory would at best give it); the headline
   ratio is against the model step alone, since slatetrain builds its next batch on a thread.
Needs python3 with torch and numpy, and an NVIDIA GPU (--device cpu: a smoke test of the script).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gru_slate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command):
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout


def torch_training(data, args, device):
    torch.manual_seed(args.seed)
    model = torch_gru_slate.TorchGruSlateModel(data.num_items, args.dim, 0.05, True, "packed")
    model.to(device)
    dense = torch.optim.AdamW(model.dense_parameters(), lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
    table = torch.optim.SparseAdam([model.items.weight], lr=5e-3, betas=(0.9, 0.999), eps=1e-8)
    order = np.random.default_rng(args.seed).permutation(data.num_users)
    B, at = args.batch_users, 0
    timed_interactions, timed_seconds, step_seconds, losses = 0, 0.0, 0.0, []
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for step in range(args.warmup + args.steps):
        synchronize()
        start = time.perf_counter()
        if at + B > len(order):
            at = 0
        batch = torch_gru_slate.Batch(data, order[at:at + B]).to_torch()
        at += B
        for name in [n for n in vars(batch) if n.startswith("t_")]:
            setattr(batch, name, getattr(batch, name).to(device, non_blocking=True))
        synchronize()
        model_start = time.perf_counter()
        dense.zero_grad(set_to_none=True)
        table.zero_grad(set_to_none=True)
        loss = model.slate_loss_sum(batch) / max(1, batch.loss_steps)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.dense_parameters(), 5.0)
        dense.step()
        table.step()
        losses.append(loss.item())  # synchronises
        if step >= args.warmup:
            end = time.perf_counter()
            timed_seconds += end - start
            step_seconds += end - model_start
            timed_interactions += batch.interactions
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else 0.0
    return {"interactions_per_s": timed_interactions / timed_seconds,
            "step_only_interactions_per_s": timed_interactions / step_seconds,
            "first_loss": losses[0], "last_loss": float(np.mean(losses[-20:])),
            "peak_memory_mb": peak}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "gpu-bench"))
    parser.add_argument("--users", type=int, default=300000)
    parser.add_argument("--items", type=int, default=200000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-users", type=int, default=1024)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("SKIP: no CUDA device for PyTorch")
        return 77
    binaries = os.path.join(args.build_dir, "bin")
    finn, converted = os.path.join(args.out, "finn"), os.path.join(args.out, "converted")
    run([os.path.join(binaries, "slateconvert"), "synth", "--output", finn, "--users",
         str(args.users), "--items", str(args.items), "--seed", "1", "--stored", "--no-truth",
         "--threads", str(os.cpu_count()), "--force"])
    run([os.path.join(binaries, "slateconvert"), "finn", "--input", finn, "--output", converted,
         "--shards", "8", "--force"])

    data, _ = torch_gru_slate.load(finn, converted)
    pytorch = torch_training(data, args, torch.device(args.device))
    print(f"pytorch: {pytorch}", flush=True)

    steps = args.warmup + args.steps
    output = run([os.path.join(binaries, "slatetrain"), os.path.join(ROOT, "configs", "gru.yaml"),
                  "--set", f"data.path={converted}", "--set", f"run.dir={args.out}/run",
                  "--set", f"run.device={args.device}", "--set", f"model.dim={args.dim}",
                  "--set", f"schedule.batch_users={args.batch_users}",
                  "--set", f"schedule.max_steps={steps}", "--set", "evaluation.every_steps=0",
                  "--set", "evaluation.max_users=2000", "--set", "checkpoint.every_steps=0"])
    slatetrain = json.loads(output.strip().splitlines()[-1])
    ratio = slatetrain["interactions_per_s"] / pytorch["step_only_interactions_per_s"]
    in_loop_ratio = slatetrain["interactions_per_s"] / pytorch["interactions_per_s"]
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu (smoke test)"
    print(f"\n{name}: users {args.users}, items {args.items}, "
          f"dim {args.dim}, batch {args.batch_users}, {steps} steps")
    print(f"pytorch     {pytorch['interactions_per_s']:>12,.0f} interactions/s with batch "
          f"building, {pytorch['step_only_interactions_per_s']:,.0f} model step alone "
          f"(loss {pytorch['first_loss']:.3f} -> {pytorch['last_loss']:.3f}, "
          f"peak {pytorch['peak_memory_mb']:.0f} MB)")
    print(f"slatetrain  {slatetrain['interactions_per_s']:>12,.0f} interactions/s "
          f"(step ms: {slatetrain.get('step_ms')})")
    print(f"ratio with pytorch's batch building in its loop: {in_loop_ratio:.2f}")
    print(f"ratio slatetrain / pytorch model step alone: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
