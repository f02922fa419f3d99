#!/usr/bin/python3
"""The floor of one training step: FLOPs and bytes counted from the model and the code, against
the measured step (issue: "Count the floor (bytes moved, FLOPs) for one step and report how far
from it the step is").

  /usr/bin/python3 bench/step_floor.py [--config configs/gru.yaml] [--json] [options]

One training step of the GRU slate model (configs/gru.yaml: dim = hidden = 64, interaction-type
embedding, slate loss, batch_users 1024, T = 20 steps, S = 25 slots, dense AdamW, lazy row Adam
on the item rows) on one GPU, world 1. For each stage it counts

  - FLOPs (a multiply-add is 2; gate math, softmax and optimizer arithmetic counted per element;
    exp/tanh/sqrt/division count 1 each): "needed" (only the steps and slots that matter: GRU
    on advancing steps that feed a loss, user vectors and scores on loss steps, real slate
    items) and "impl" (what the current code computes: every one of B*T steps, S slots);
  - HBM bytes: "min", what a perfectly fused implementation must still move (every tensor read
    or written once per pass that needs it: the touched rows read for the forward, the clicked
    rows re-read by the GRU backward, the saved hidden states, the row gradients written once
    and read by the optimizer, the touched rows' weights and two moments read and written), and
    "impl", the current code op by op (each kernel reads its inputs and writes its outputs once;
    atomics count a read and a write; caches ignored);
  - PCIe bytes host->device (the index uploads), min (compact indices) and impl (the arrays the
    code uploads);
  - the stream operations the current code issues (kernels, cuBLAS calls, memsets, copies) and
    its host synchronisations, for a launch floor.

Everything is python3 standard library. Device peaks are datasheet figures (options).
"""
import argparse
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLOAT = 4  # bytes of float32 and int32
BYTE = 1   # bytes of a uint8 mask


# ---- a minimal reader of the few YAML keys that matter -----------------------------------------

def read_config_keys(path):
    """{"model.dim": "64", ...} for the 'key: value' lines of a block-style YAML file."""
    values, stack = {}, []  # stack of (indent, key)
    with open(path) as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip() or ":" not in line:
                continue
            indent = len(line) - len(line.lstrip())
            key, _, value = line.strip().partition(":")
            while stack and stack[-1][0] >= indent:
                stack.pop()
            name = ".".join([k for _, k in stack] + [key.strip()])
            value = value.strip()
            if value:
                values[name] = value
            else:
                stack.append((indent, key.strip()))
    return values


def apply_config(args, path):
    keys = read_config_keys(path)
    if "model.dim" in keys:
        args.dim = int(keys["model.dim"])  # the trainer sets hidden = dim
    if "schedule.batch_users" in keys:
        args.batch_users = int(keys["schedule.batch_users"])
    if "objective.kind" in keys:
        args.loss = keys["objective.kind"]
    if "objective.negatives" in keys:
        args.negatives = int(keys["objective.negatives"])
    if "model.interaction_type_embedding" in keys:
        args.type_embedding = keys["model.interaction_type_embedding"].lower() == "true"
    if "model.update_every_step" in keys and keys["model.update_every_step"].lower() == "true":
        args.update_every_step = True
    if "optimizer.embedding.kind" in keys:
        args.row_optimizer = keys["optimizer.embedding.kind"]
    return keys


# ---- counting ----------------------------------------------------------------------------------

class Stage:
    def __init__(self, name):
        self.name = name
        self.flops_needed = 0.0
        self.flops_impl = 0.0
        self.bytes_min = 0.0
        self.bytes_impl = 0.0
        self.pcie_min = 0.0
        self.pcie_impl = 0.0
        self.kernels = 0      # kernels and cuBLAS calls
        self.other_ops = 0    # memsets and copies on the stream
        self.syncs = 0        # host waits for the stream
        self.notes = []

    def ops(self):
        return self.kernels + self.other_ops


def count(a):
    """All the per-step counts for the options in `a`. Returns (stages, derived quantities)."""
    B, T, S = a.batch_users, a.steps, a.slots
    D, H = a.dim, a.hidden
    G = 3 * H                      # GRU gates r, z, n
    n = B * T                      # step slots of the batch (what the code loops over)
    U = a.unique_rows              # unique item rows the batch touches
    K = a.negatives
    slate = a.loss == "slate"

    # Data-derived counts per batch.
    real = B * a.real_steps_per_user                           # real (not padded) steps
    train_steps_per_user = ((1 - a.held_out_share) * a.real_steps_per_user
                            + a.held_out_share * a.held_out_train_steps)
    train_real = B * train_steps_per_user                      # steps in the training phase
    advancing = real * (1 - a.no_click_share)                  # GRU input steps (click >= 3)
    if a.update_every_step:
        advancing = real
    # Advances that feed a loss: those of training steps (a held-out user's later clicks feed
    # no training loss; the code still replays them).
    advancing_needed = train_real * (advancing / real)
    if slate:
        loss_steps = train_real                                # every real step is a choice
    else:
        loss_steps = train_real * (1 - a.no_click_share)       # a real click against negatives
    items_per_slate = a.mean_slate_length - 1                  # slot 0 is the no-click option
    slate_steps = train_real                                   # slates fetched for choices
    scored_items = slate_steps * items_per_slate               # slate rows really scored
    logits = loss_steps * (K + 1)                              # sampled softmax logits

    # Dense parameters (models/gru_slate_model.cpp, 16-float aligned in one buffer).
    shapes = [G * D, G * H, G, G, D * H, 27] + ([3 * D] if a.type_embedding else [])
    P = 0
    for numel in shapes:
        P = (P + 15) // 16 * 16 + numel

    st = {}

    def stage(key, name):
        st[key] = Stage(name)
        return st[key]

    # -- index uploads (host -> device) ----------------------------------------------------------
    s = stage("upload", "index uploads host->device")
    # impl (models/gru_slate_model.cpp upload(), dist/sharded_embedding.cpp to_device()):
    # lookup: send_order, unique_from_sent, requested_rows [U] int32 (all three at world 1);
    # forward: click_rows [n] i32, advance [n] u8, interaction_type [n] i32 (with the type
    # embedding); slate: target [n] i32, loss_step [n] u8, slate_rows [n,S] i32,
    # slate_length [n] i32; sampled: positive [n] i32, loss_step [n] u8, negative [n,K] i32;
    # update: touched rows [U] int32.
    up = 3 * U * FLOAT + n * FLOAT + n * BYTE + U * FLOAT
    copies = 3 + 2 + 1
    if a.type_embedding:
        up += n * FLOAT
        copies += 1
    if slate:
        up += n * FLOAT + n * BYTE + n * S * FLOAT + n * FLOAT
        copies += 4
    else:
        up += n * FLOAT + n * BYTE + n * K * FLOAT
        copies += 3
    s.pcie_impl = up
    s.other_ops = copies
    # min: the unique ids [U], per advancing step its row and type, per loss step its slate's
    # row indices (compact), length and target, and one byte of step kind per step slot.
    pm = U * FLOAT + advancing_needed * (FLOAT + BYTE) + n * BYTE
    if slate:
        pm += scored_items * FLOAT + slate_steps * 2 * BYTE
    else:
        pm += loss_steps * FLOAT  # the positive; negatives can be drawn on the device
    s.pcie_min = pm
    s.bytes_impl = up   # the device writes what arrives
    s.bytes_min = pm
    s.notes.append("impl: %d copies from pageable host memory" % copies)

    # -- embedding gather --------------------------------------------------------------------------
    s = stage("gather", "embedding gather (lookup)")
    s.bytes_impl = U * FLOAT + 2 * U * D * FLOAT   # index, table rows read, rows buffer written
    s.kernels = 1
    s.bytes_min = U * D * FLOAT                    # the touched rows, read once for fwd + loss bwd

    # -- GRU input build ---------------------------------------------------------------------------
    s = stage("input", "GRU input build (E[click] + type)")
    # impl: embedding_forward over n*D (rows read on advancing steps, zeros written elsewhere)
    s.bytes_impl = n * FLOAT + advancing * D * FLOAT + n * D * FLOAT
    s.kernels = 1
    s.bytes_min = advancing_needed * (FLOAT + BYTE)  # row index and type; rows: the gather
    if a.type_embedding:
        # embedding_forward of the type vectors into a scratch [n, D], then axpy x += vectors
        s.bytes_impl += n * FLOAT + n * D * FLOAT + 3 * n * D * FLOAT
        s.kernels += 2
        s.flops_impl = 2 * n * D
        s.flops_needed = advancing_needed * D

    # -- GRU forward -------------------------------------------------------------------------------
    s = stage("gru_fwd", "GRU forward (T steps)")
    gate_fwd = 18  # per unit: r, z: 2 adds + sigmoid (exp, add, div) = 5 each; hn: 1;
    #                n: add, mul, tanh = 3; h = (1-z) n + z h': 4  -> 18
    per_step_needed = 2 * D * G + 2 * H * G + (G + gate_fwd * H)  # + input bias adds (G)
    s.flops_needed = advancing_needed * per_step_needed
    s.flops_impl = (2 * n * D * G + n * G                     # input projection + bias
                    + (T - 1) * 2 * B * H * G                  # W_hh h_{t-1}, t >= 1
                    + n * gate_fwd * H)                        # fused gate step kernel
    s.bytes_impl = ((n * D + G * D + n * G) * FLOAT            # input gemm
                    + 2 * n * G * FLOAT                        # add_bias read + write
                    + (T - 1) * (B * H + G * H + B * G) * FLOAT  # hidden gemms
                    + B * G * FLOAT                            # memset at t = 0
                    + T * (2 * B * G + 4 * B * H + B * H) * FLOAT  # step: gates in, saved + h out
                    + (T - 1) * B * H * FLOAT + n * BYTE)      # h_{t-1} and advance read
    s.kernels = 2 + (T - 1) + T
    s.other_ops = 1
    s.bytes_min = advancing_needed * H * FLOAT                 # h after each advance, written once
    s.notes.append("recursion: %d dependent steps" % T)

    # -- user vectors ------------------------------------------------------------------------------
    s = stage("user", "user vectors z = W_out h_{t-1}")
    s.flops_needed = loss_steps * 2 * H * D
    s.flops_impl = n * 2 * H * D
    s.bytes_impl = (n * FLOAT + 2 * n * H * FLOAT              # shift gather: index, read, write
                    + (n * H + D * H + n * D) * FLOAT)         # gemm
    s.kernels = 2
    s.bytes_min = loss_steps * H * FLOAT                       # h_{t-1} of each loss step

    # -- scoring + loss forward --------------------------------------------------------------------
    s = stage("score", "slate scoring + softmax loss" if slate else "sampled softmax loss")
    if slate:
        s.flops_needed = scored_items * 2 * D + loss_steps * 4 * a.mean_slate_length
        s.flops_impl = scored_items * 2 * D + loss_steps * 4 * S + n  # + loss sum
        s.bytes_impl = ((n * S + n) * FLOAT                    # slate index, length
                        + loss_steps * D * FLOAT               # user vector of each step
                        + scored_items * D * FLOAT             # each scored row gathered
                        + n * S * FLOAT                        # scores written
                        + loss_steps * S * FLOAT + n * (FLOAT + BYTE) + n * FLOAT  # CE in/out
                        + n * FLOAT)                           # loss sum reads step losses
        s.bytes_min = scored_items * FLOAT + slate_steps * 2 * BYTE  # compact indices
    else:
        s.flops_needed = logits * 2 * D + loss_steps * 4 * (K + 1)
        s.flops_impl = s.flops_needed + n
        s.bytes_impl = ((n + n * K) * FLOAT + n * BYTE + loss_steps * D * FLOAT
                        + logits * D * FLOAT + 2 * n * (K + 1) * FLOAT + n * FLOAT + n * FLOAT)
        s.bytes_min = loss_steps * FLOAT  # the positive's index; negatives drawn on chip
    s.kernels = 4 if slate else 3                              # + sum_to_host's two kernels
    s.other_ops = 2                                            # result + fault record D2H
    s.syncs = 1
    s.notes.append("the loss sum is read on the host: a synchronisation")

    # -- loss + scoring backward -------------------------------------------------------------------
    s = stage("score_bwd", "loss + scoring backward")
    s.bytes_impl = U * D * FLOAT                               # memset drows
    s.other_ops = 1 + 2
    s.syncs = 1
    if slate:
        s.flops_needed = loss_steps * 3 * a.mean_slate_length + scored_items * 4 * D
        s.flops_impl = loss_steps * 8 * S + n + scored_items * 4 * D
        s.bytes_impl += ((loss_steps * S + n * S) * FLOAT + n * (FLOAT + BYTE)  # CE backward
                         + 2 * n * FLOAT                           # step losses + their sum
                         # duser: index, dscores, rows of scored items; duser written
                         + (2 * n * S + scored_items * D + n * D) * FLOAT
                         # drows: index, dscores, user; atomics read + write drows
                         + (2 * n * S + loss_steps * D + 2 * scored_items * D) * FLOAT)
        s.kernels = 5
        s.notes.append("the loss backward sums the losses again: a second synchronisation")
    else:
        s.flops_needed = loss_steps * 3 * (K + 1) + logits * 4 * D
        s.flops_impl = s.flops_needed + n
        s.bytes_impl += (n * D * FLOAT                             # memset duser
                         + (n + n * K) * FLOAT + n * BYTE + 2 * n * (K + 1) * FLOAT
                         + loss_steps * D * FLOAT + 2 * logits * D * FLOAT  # rows, user
                         + 2 * logits * D * FLOAT + n * D * FLOAT  # drows atomics, duser
                         + 2 * n * FLOAT)
        s.kernels = 3
        s.other_ops += 1
    # min: the row gradients written once ([U, D], accumulated on chip / in L2), the user
    # gradient folded into dh_{t-1} on chip (W_out is tiny): dprev [loss steps, H] written.
    s.bytes_min = U * D * FLOAT + loss_steps * H * FLOAT

    # -- user vectors backward ---------------------------------------------------------------------
    s = stage("user_bwd", "user vectors backward")
    s.flops_needed = loss_steps * 4 * H * D
    s.flops_impl = n * 4 * H * D + n * H                      # two gemms + the shift's adds
    s.bytes_impl = ((n * D + D * H + n * H) * FLOAT            # dprevious = duser W_out
                    + (n * D + n * H + 2 * D * H) * FLOAT      # dW_out += duser^T previous
                    + n * H * FLOAT                            # memset doutput
                    + (n + n * H + 2 * n * H) * FLOAT)         # shift backward (atomics)
    s.kernels = 3
    s.other_ops = 1
    s.bytes_min = 0  # fused into the scoring backward

    # -- GRU backward ------------------------------------------------------------------------------
    s = stage("gru_bwd", "GRU backward (T steps)")
    gate_bwd = 17  # dh = dout + carry 1; dn 5; dz 5; dr 4; dgh_n 1; carry 1 -> 17
    per_step_bwd = (gate_bwd * H + 2 * G * H                   # carry through W_hh
                    + 2 * G * D + 2 * G * D                    # dx, dW_ih
                    + 2 * G * H + 2 * G)                       # dW_hh, both bias grads
    s.flops_needed = advancing_needed * per_step_bwd
    s.flops_impl = (n * gate_bwd * H + T * 2 * B * G * H
                    + 2 * (2 * n * G * D) + 2 * n * G * H + 2 * n * G)
    s.bytes_impl = (2 * n * H * FLOAT                          # previous states copy
                    + B * H * FLOAT                            # memset carry
                    # per step: doutput, carry, saved gates, h_{t-1} read; 2 gate grads + carry
                    + T * (B * H + B * H + 4 * B * H + B * H + 2 * B * G + B * H) * FLOAT
                    + n * BYTE
                    + T * (B * G + G * H + 2 * B * H) * FLOAT  # carry += dgh W_hh
                    + (n * G + G * D + n * D) * FLOAT          # dinput
                    + (n * G + n * D + 2 * G * D) * FLOAT      # dW_ih
                    + (n * G + n * H + 2 * G * H) * FLOAT      # dW_hh
                    + 2 * n * G * FLOAT)                       # two bias gradients
    s.kernels = 1 + T + T + 5
    s.other_ops = 1
    # min: dprev of the loss steps, the saved h states and the clicked rows re-read (gates
    # recomputed on chip).
    s.bytes_min = (loss_steps * H + advancing_needed * H + advancing_needed * D) * FLOAT
    s.notes.append("recursion: %d dependent steps" % T)

    # -- GRU input backward ------------------------------------------------------------------------
    s = stage("input_bwd", "GRU input backward (row + type grads)")
    s.flops_needed = advancing_needed * D * (2 if a.type_embedding else 1)
    s.flops_impl = advancing * D + (n * D if a.type_embedding else 0)
    s.bytes_impl = n * FLOAT + advancing * D * FLOAT + 2 * advancing * D * FLOAT
    s.kernels = 1
    if a.type_embedding:
        s.bytes_impl += n * FLOAT + n * D * FLOAT              # 3 x D table: atomics stay on chip
        s.kernels += 1
        s.notes.append("type gradient: %d atomics onto %d addresses" % (n * D, 3 * D))
    s.bytes_min = 0  # added into drows on chip (counted once in the scoring backward)

    # -- row-gradient reduction --------------------------------------------------------------------
    s = stage("row_reduce", "row-gradient reduction")
    # world 1 (dist/sharded_embedding.cpp reduce_row_grads): drows copied into the pieces
    # buffer, one piece per row already in row order -> used as the gradients.
    s.bytes_impl = 2 * U * D * FLOAT
    s.other_ops = 1
    s.bytes_min = 0
    s.notes.append("world 1: a device copy of drows; the row ids sorted on the host")

    # -- sparse row optimizer ----------------------------------------------------------------------
    s = stage("row_adam", "sparse row %s (touched rows)" % a.row_optimizer)
    states = 2 if a.row_optimizer == "adam" else 1
    per_element = 16 if a.row_optimizer == "adam" else 6
    # adam: m 3, v 4, m^ 1, v^ 1, sqrt 1, +eps 1, div 1, decay 2, p -= lr u 2 -> 16
    # adagrad: acc += g^2 2, sqrt 1, +eps 1, div 1, p -= lr g/. 2 -> ~6 (rounded)
    s.flops_needed = s.flops_impl = U * D * per_element
    s.bytes_min = U * FLOAT + U * D * FLOAT + 2 * (1 + states) * U * D * FLOAT
    s.bytes_impl = s.bytes_min
    s.kernels = 1

    # -- dense AdamW and the gradient handling -----------------------------------------------------
    s = stage("dense", "dense AdamW + grad allreduce + clip")
    s.flops_needed = P * (16 + 2)                              # adam + squared norm
    s.flops_impl = P * (16 + 2 + 1)                            # + the clip's scale
    s.bytes_min = 7 * P * FLOAT + P * FLOAT                    # p, m, v, g in; p, m, v out; norm
    s.bytes_impl = (P * FLOAT                                  # zero_gradients
                    + 2 * P * FLOAT                            # allreduce (world 1: in place)
                    + P * FLOAT + 2 * P * FLOAT                # squared norm, scale
                    + 7 * P * FLOAT)
    s.kernels = 1 + 2 + 1 + 1                                  # allreduce, norm (2), scale, adam
    s.other_ops = 1 + 2                                        # memset, norm result D2H
    s.syncs = 2                                                # blocking NCCL, the norm
    s.notes.append("%d dense parameters" % P)

    derived = {
        "step_slots": n,
        "real_steps": real,
        "training_steps": train_real,
        "advancing_steps": advancing,
        "advancing_steps_needed": advancing_needed,
        "loss_steps": loss_steps,
        "scored_slate_items": scored_items if slate else 0,
        "sampled_logits": logits if not slate else 0,
        "unique_rows": U,
        "dense_parameters": P,
    }
    return [st[k] for k in ("upload", "gather", "input", "gru_fwd", "user", "score", "score_bwd",
                            "user_bwd", "gru_bwd", "input_bwd", "row_reduce", "row_adam",
                            "dense")], derived


# Hand check of the FLOP counts at the defaults (B 1024, T 20, S 25, D = H = 64, 16.43 real
# steps per user, 24% no-clicks, 10% held-out users training on 4.81 steps, slates of 11.14):
#   training steps   1024 * (0.9 * 16.43 + 0.1 * 4.81) = 15,634 (= loss steps, slate)
#   advancing needed 15,634 * 0.76 = 11,882
#   GRU forward per advancing step: 2*64*192 + 2*64*192 + 192 + 18*64 = 50,496
#     -> 11,882 * 50,496 = 0.600 GFLOP needed; impl 2*20480*64*192 + 20480*192
#        + 19*2*1024*64*192 + 20480*18*64 = 503.3M + 3.9M + 478.2M + 23.6M = 1.009 GFLOP
#   GRU backward per advancing step: 17*64 + 24,576 * 4 + 384 = 99,776 -> 1.186 GFLOP needed
#   user vectors 15,634 * 2*64*64 = 0.128 GFLOP; backward twice that
#   slate scores 15,634 * 10.14 = 158,529 items * 128 = 20.3 MFLOP; backward 40.6 MFLOP
#   row Adam 112,573 * 64 * 16 = 115 MFLOP
#   dense AdamW + norm 29,280 * 18 = 0.5 MFLOP
#   needed total ~2.35 GFLOP: 35 us at 67 TFLOP/s. The FLOPs are not the floor.
# Sanity check of the bytes: the touched rows [112,573, 64] float32 are 28.8 MB. Lazy row Adam
# reads the gradient and the weight and both moments and writes back three tables: 7 x 28.8 =
# 202 MB (plus the 0.45 MB of row ids), about 70% of the minimal step (~283 MB, 85 us at
# 3.35 TB/s); the rest is the forward's read of the touched rows (28.8 MB), the row gradients
# written once (28.8 MB) and ~25 MB of states, re-read rows and indices.


def fmt(value, scale):
    return "%.1f" % (value / scale) if value else "-"


def report(a, stages, derived):
    steps_per_epoch = math.ceil(a.users / a.batch_users)
    measured_ms = a.measured_step_ms
    if measured_ms is None:
        measured_ms = 1e3 * a.measured_epoch_s / steps_per_epoch

    tot = Stage("total")
    for s in stages:
        for attr in ("flops_needed", "flops_impl", "bytes_min", "bytes_impl", "pcie_min",
                     "pcie_impl", "kernels", "other_ops", "syncs"):
            setattr(tot, attr, getattr(tot, attr) + getattr(s, attr))

    us = 1e6
    rows = []
    for s in stages + [tot]:
        rows.append({
            "stage": s.name,
            "flops_needed": s.flops_needed,
            "flops_impl": s.flops_impl,
            "hbm_bytes_min": s.bytes_min,
            "hbm_bytes_impl": s.bytes_impl,
            "pcie_bytes_min": s.pcie_min,
            "pcie_bytes_impl": s.pcie_impl,
            "kernels": s.kernels,
            "stream_ops": s.ops(),
            "host_syncs": s.syncs,
            "us_compute_needed": us * s.flops_needed / a.peak_flops,
            "us_hbm_min": us * s.bytes_min / a.hbm_bandwidth,
            "us_hbm_impl": us * s.bytes_impl / a.hbm_bandwidth,
            "us_pcie_impl": us * s.pcie_impl / a.pcie_bandwidth,
            "notes": s.notes,
        })

    compute_ms = 1e3 * tot.flops_needed / a.peak_flops
    compute_impl_ms = 1e3 * tot.flops_impl / a.peak_flops
    memory_ms = 1e3 * tot.bytes_min / a.hbm_bandwidth
    memory_impl_ms = 1e3 * tot.bytes_impl / a.hbm_bandwidth
    pcie_min_ms = 1e3 * tot.pcie_min / a.pcie_bandwidth
    pcie_impl_ms = 1e3 * tot.pcie_impl / a.pcie_bandwidth
    launch_ms = 1e-3 * tot.ops() * a.launch_us
    recursion_ms = 1e-3 * 2 * a.steps * a.dependent_step_us
    floors = [
        ("device: max(compute, HBM min)", max(compute_ms, memory_ms)),
        ("device + PCIe min + GRU recursion (fused, graph)",
         max(compute_ms, memory_ms) + pcie_min_ms + recursion_ms),
        ("device + PCIe min + launch floor (current op count)",
         max(compute_ms, memory_ms) + pcie_min_ms + launch_ms),
        ("current code's bytes: max(compute impl, HBM impl) + PCIe impl + launches",
         max(compute_impl_ms, memory_impl_ms) + pcie_impl_ms + launch_ms),
    ]
    result = {
        "inputs": vars(a),
        "derived": derived,
        "peaks_are_datasheet": True,
        "stages": rows,
        "totals_ms": {
            "compute_needed": compute_ms, "compute_impl": compute_impl_ms,
            "hbm_min": memory_ms, "hbm_impl": memory_impl_ms,
            "pcie_min": pcie_min_ms, "pcie_impl": pcie_impl_ms,
            "launch_floor": launch_ms, "gru_recursion": recursion_ms,
        },
        "measured": {"step_ms": measured_ms, "steps_per_epoch": steps_per_epoch,
                     "epoch_s": measured_ms * steps_per_epoch / 1e3},
        "floors": [{"floor": name, "step_ms": ms, "measured_over_floor": measured_ms / ms,
                    "epoch_s": ms * steps_per_epoch / 1e3} for name, ms in floors],
    }
    return result


def print_text(a, r):
    d = r["derived"]
    print("Floor of one training step: GRU slate model, %s loss, B=%d users, T=%d, S=%d, "
          "dim=%d, hidden=%d, world 1" % (a.loss, a.batch_users, a.steps, a.slots, a.dim,
                                           a.hidden))
    scored = ("%.0f scored slate items" % d["scored_slate_items"] if a.loss == "slate"
              else "%.0f sampled logits" % d["sampled_logits"])
    print("per step: %d step slots; %.0f real steps, %.0f loss steps, %.0f advancing GRU steps "
          "(%.0f feed a loss), %s, %d unique rows (%s), %d dense parameters" % (
              d["step_slots"], d["real_steps"], d["loss_steps"], d["advancing_steps"],
              d["advancing_steps_needed"], scored, d["unique_rows"], a.unique_rows_source,
              d["dense_parameters"]))
    print("peaks (datasheet, not measured): HBM %.2f TB/s, FP32 non-tensor %.0f TFLOP/s, "
          "PCIe %.0f GB/s, %.1f us per launch" % (a.hbm_bandwidth / 1e12, a.peak_flops / 1e12,
                                                 a.pcie_bandwidth / 1e9, a.launch_us))
    print()
    header = ("%-40s %8s %8s %8s %8s %7s %7s %4s %4s %7s %7s %7s"
              % ("stage", "MFLOP", "MFLOP", "HBM MB", "HBM MB", "PCIe", "PCIe", "ops", "sync",
                 "us", "us", "us"))
    sub = ("%-40s %8s %8s %8s %8s %7s %7s %4s %4s %7s %7s %7s"
           % ("", "needed", "impl", "min", "impl", "MB min", "MB impl", "", "", "FLOP",
              "HBM min", "HBM imp"))
    print(header)
    print(sub)
    print("-" * len(header))
    for row in r["stages"]:
        if row["stage"] == "total":
            print("-" * len(header))
        print("%-40s %8s %8s %8s %8s %7s %7s %4d %4s %7.1f %7.1f %7.1f" % (
            row["stage"][:40], fmt(row["flops_needed"], 1e6), fmt(row["flops_impl"], 1e6),
            fmt(row["hbm_bytes_min"], 1e6), fmt(row["hbm_bytes_impl"], 1e6),
            fmt(row["pcie_bytes_min"], 1e6), fmt(row["pcie_bytes_impl"], 1e6),
            row["stream_ops"], row["host_syncs"] or "", row["us_compute_needed"],
            row["us_hbm_min"], row["us_hbm_impl"]))
    total = r["stages"][-1]
    print()
    t = r["totals_ms"]
    print("stream operations of the current code per step: %d (%d kernels/cuBLAS calls, %d "
          "memsets and copies), %d host synchronisations" % (
              total["stream_ops"], total["kernels"], total["stream_ops"] - total["kernels"],
              total["host_syncs"]))
    print("times at the peaks (ms): compute %.3f needed / %.3f impl; HBM %.3f min / %.3f impl; "
          "PCIe %.3f min / %.3f impl" % (t["compute_needed"], t["compute_impl"], t["hbm_min"],
                                         t["hbm_impl"], t["pcie_min"], t["pcie_impl"]))
    print("latency: launch floor %d ops x %.1f us = %.3f ms (CUDA graphs would remove most of it); "
          "GRU recursion %d dependent steps x %.1f us = %.3f ms" % (
              total["stream_ops"], a.launch_us, t["launch_floor"], 2 * a.steps,
              a.dependent_step_us, t["gru_recursion"]))
    m = r["measured"]
    print()
    print("measured step: %.2f ms (%s; %d steps per epoch = ceil(%d users / %d))" % (
        m["step_ms"], "given" if a.measured_step_ms is not None else
        "%.1f s per epoch on one H100, bench/RESULTS.md" % a.measured_epoch_s,
        m["steps_per_epoch"], a.users, a.batch_users))
    print("%-76s %9s %9s %9s" % ("floor", "ms/step", "measured/", "epoch s"))
    for f in r["floors"]:
        print("%-76s %9.3f %8.0fx %9.2f" % (f["floor"], f["step_ms"], f["measured_over_floor"],
                                            f["epoch_s"]))
    print("%-76s %9.3f %8s %9.1f" % ("measured", m["step_ms"], "1x", m["epoch_s"]))


def make_parser(explicit_only=False):
    """The options; explicit_only: no defaults, so the result holds only what was given."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                argument_default=argparse.SUPPRESS if explicit_only else None)
    p.add_argument("--config", help="read dim, batch_users, loss, negatives, the type "
                   "embedding and the row optimizer from this YAML (e.g. configs/gru.yaml); "
                   "options given on the command line still win")
    g = p.add_argument_group("model and batch")
    g.add_argument("--dim", type=int, default=64)
    g.add_argument("--hidden", type=int, default=None, help="default: dim (as the trainer)")
    g.add_argument("--batch-users", type=int, default=1024)
    g.add_argument("--steps", type=int, default=20, help="T, steps per user in a batch")
    g.add_argument("--slots", type=int, default=25, help="S, slate slots")
    g.add_argument("--loss", choices=["slate", "sampled_softmax"], default="slate")
    g.add_argument("--negatives", type=int, default=64, help="K for sampled_softmax")
    g.add_argument("--no-type-embedding", dest="type_embedding", action="store_false",
                   help="without the interaction-type embedding")
    g.add_argument("--update-every-step", action="store_true",
                   help="the GRU advances on every real step, not on clicks only")
    g.add_argument("--row-optimizer", choices=["adam", "adagrad"], default="adam")
    g = p.add_argument_group("data (FINN.no full size, docs/GENERATOR.md statistics)")
    g.add_argument("--real-steps-per-user", type=float, default=16.43)
    g.add_argument("--mean-slate-length", type=float, default=11.14,
                   help="slots used per slate, the no-click slot 0 included")
    g.add_argument("--no-click-share", type=float, default=0.24,
                   help="share of real steps without a click (the GRU holds its state)")
    g.add_argument("--held-out-share", type=float, default=0.10,
                   help="validation + test users: only their first t_testsplit steps train")
    g.add_argument("--held-out-train-steps", type=float, default=4.81,
                   help="their mean training steps: E[min(steps, 5)] = 0.643*5 + 0.357*85/19")
    g.add_argument("--unique-rows", type=int, default=None,
                   help="unique item rows per step (default 112573: MEASURED, metrics.jsonl "
                   "rows_per_step at batch 1024 on the 1.31M-item catalogue, slate loss)")
    g.add_argument("--items", type=int, default=1311775,
                   help="catalogue size (only to estimate unique rows for sampled_softmax)")
    g.add_argument("--users", type=int, default=2277645,
                   help="users in the training phase (the loader trains on every user)")
    g = p.add_argument_group("device peaks (H100 SXM datasheet)")
    g.add_argument("--hbm-bandwidth", type=float, default=3.35e12, help="B/s")
    g.add_argument("--peak-flops", type=float, default=67e12, help="FP32 non-tensor FLOP/s")
    g.add_argument("--pcie-bandwidth", type=float, default=50e9, help="PCIe Gen5 x16, B/s")
    g.add_argument("--launch-us", type=float, default=3.0, help="per stream operation")
    g.add_argument("--dependent-step-us", type=float, default=1.0,
                   help="latency of one dependent GRU step in a fused persistent kernel "
                   "(grid-wide sync; an assumption, not a datasheet figure)")
    g = p.add_argument_group("measured")
    g.add_argument("--measured-epoch-s", type=float, default=67.4,
                   help="bench/RESULTS.md: one full-size epoch on one H100")
    g.add_argument("--measured-step-ms", type=float, default=None,
                   help="overrides --measured-epoch-s / steps per epoch (67.4 s / 2225 = 30.3)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    if not explicit_only:
        p.set_defaults(type_embedding=True)
    return p


def parse_args(argv):
    args = make_parser().parse_args(argv)
    if args.config:
        path = args.config if os.path.isabs(args.config) or os.path.exists(args.config) \
            else os.path.join(ROOT, args.config)
        apply_config(args, path)
        # options given on the command line win over the file
        for key, value in vars(make_parser(explicit_only=True).parse_args(argv)).items():
            setattr(args, key, value)
    if args.hidden is None:
        args.hidden = args.dim
    args.unique_rows_source = "given"
    if args.unique_rows is None:
        args.unique_rows = 112573
        args.unique_rows_source = "measured: metrics.jsonl rows_per_step"
        if args.loss == "sampled_softmax":
            args.unique_rows_source = "estimate: measured slate rows + uniform negatives"
            # The measured figure is for the slate loss. Negatives add uniform draws over the
            # catalogue: expected new distinct rows (I - U) (1 - exp(-draws / I)). An estimate.
            train = args.batch_users * ((1 - args.held_out_share) * args.real_steps_per_user
                                        + args.held_out_share * args.held_out_train_steps)
            draws = train * (1 - args.no_click_share) * args.negatives
            rest = args.items - args.unique_rows
            args.unique_rows = int(args.unique_rows + rest * (1 - math.exp(-draws / args.items)))
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stages, derived = count(args)
    result = report(args, stages, derived)
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=False)
        print()
    else:
        print_text(args, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
