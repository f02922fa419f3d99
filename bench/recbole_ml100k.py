#!/usr/bin/env python3
"""RecBole 1.2.1 against slatetrain on MovieLens-100K, one run, the same split and metrics.

Run by bench/recbole_comparison.sh inside bench/.venv-recbole (RecBole, torch, h5py); see that
script for the environment. Steps:

  1. Reads ml-100k.inter and puts each user's events in time order, ties in file order (what
     `slateconvert sessions` does with its int64 times). RecBole reads `timestamp:float` as
     float32 (min-max normalised by default), which merges close times into ties and can
     reorder a user's last events; so RecBole gets a copy of the file whose timestamps are each
     event's rank in that exact order (0..99,999: exact in float32, order unchanged). The number
     of users whose validation or test event would differ without the copy is reported.
  2. RecBole GRU4Rec and SASRec: eval_args {split: {LS: valid_and_test}, order: TO, mode: full},
     CE loss, NDCG/Hit/MRR@10, early stopping on valid NDCG@10, test with the best model.
  3. Checks that RecBole's validation and test targets, per user, and its item catalogue are
     those of the slatetrain conversion (its HDF5 shards, read with h5py).
  4. slatetrain gru and transformer with the full softmax, 1 rank, validation every epoch,
     early stopping on valid ndcg@10 with RecBole's patience, and the popularity baseline; the
     test of the best validation's checkpoint (RecBole's load_best_model) by resuming it.
  5. Both rules of evaluation for every model: RecBole's for sequential models (nothing but
     padding is excluded from the full ranking) and "history excluded" (every item of the
     user's earlier events ranked out, slatetrain's default). RecBole's own evaluator gives
     the first; this script scores RecBole's best model again for both, and checks its
     figures without exclusion equal RecBole's evaluator's.
  6. A Markdown report (--report) and a JSON file of every figure (--json).
"""
import argparse
import collections
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np

K = 10


def log(message):
    print(f"[recbole_ml100k {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average():
    return "%.1f/%.1f/%.1f" % os.getloadavg()


# ---- the data ------------------------------------------------------------------------------


def read_inter(path):
    """Rows (user, item, rating, timestamp) as written, tokens as strings, times as int."""
    with open(path, newline="") as source:
        reader = csv.reader(source, delimiter="\t")
        header = [name.split(":")[0] for name in next(reader)]
        column = {name: header.index(name) for name in ("user_id", "item_id", "rating", "timestamp")}
        rows = []
        for fields in reader:
            if not fields:
                continue
            rows.append((fields[column["user_id"]], fields[column["item_id"]],
                         fields[column["rating"]], int(float(fields[column["timestamp"]]))))
    return rows


def user_sequences(rows, key):
    """user -> items in the order of key(row index), ties in file order (a stable sort)."""
    order = sorted(range(len(rows)), key=key)
    sequences = collections.OrderedDict()
    for index in order:
        sequences.setdefault(rows[index][0], []).append(rows[index][1])
    return sequences


def write_recbole_copy(rows, directory):
    """ml-100k.inter with each event's rank in the exact time order as its timestamp."""
    rank = sorted(range(len(rows)), key=lambda i: rows[i][3])
    new_time = [0] * len(rows)
    for position, index in enumerate(rank):
        new_time[index] = position
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, RECBOLE_DATASET + ".inter"), "w") as out:
        out.write("user_id:token\titem_id:token\trating:float\ttimestamp:float\n")
        for (user, item, rating, _), stamp in zip(rows, new_time):
            out.write(f"{user}\t{item}\t{rating}\t{stamp}\n")


def float32_order_damage(rows, exact):
    """Users whose last two events differ when times are RecBole's normalised float32."""
    times = np.array([r[3] for r in rows], dtype=np.float64)
    normalised = ((times - times.min()) / (times.max() - times.min())).astype(np.float32)
    rounded = user_sequences(rows, key=lambda i: normalised[i])
    changed = sum(1 for user, items in exact.items() if rounded[user][-2:] != items[-2:])
    raw32 = times.astype(np.float32)
    rounded_raw = user_sequences(rows, key=lambda i: raw32[i])
    changed_raw = sum(1 for user, items in exact.items() if rounded_raw[user][-2:] != items[-2:])
    return changed, changed_raw


def slatetrain_split(converted):
    """From the shards: user token -> (all items in order), and the catalogue's item tokens."""
    import h5py

    manifest = json.load(open(os.path.join(converted, "manifest.json")))
    first_item = manifest["ids"]["first_item"]
    with h5py.File(os.path.join(converted, "items.h5"), "r") as items:
        offsets = items["/items/original_id_offsets"][()]
        data = items["/items/original_id_bytes"][()].tobytes()
    item_token = [data[offsets[i]:offsets[i + 1]].decode() for i in range(len(offsets) - 1)]
    sequences = {}
    shards = sorted(name for name in os.listdir(converted) if name.startswith("shard-"))
    for name in shards:
        with h5py.File(os.path.join(converted, name), "r") as shard:
            step_offsets = shard["/users/step_offsets"][()]
            id_offsets = shard["/users/original_id_offsets"][()]
            id_bytes = shard["/users/original_id_bytes"][()].tobytes()
            clicks = shard["/steps/click"][()]
            for u in range(len(step_offsets) - 1):
                user = id_bytes[id_offsets[u]:id_offsets[u + 1]].decode()
                events = clicks[step_offsets[u]:step_offsets[u + 1]]
                sequences[user] = [item_token[i] for i in events]
    catalogue = set(item_token[first_item:manifest["num_items"]])
    return sequences, catalogue, manifest


# ---- metrics (one target per user: RecBole's and slatetrain's definitions agree) ------------


def rank_metrics(scores, targets):
    """scores [n, items] (excluded items at -inf), targets [n]: sums of ndcg, hit, mrr @K."""
    import torch

    top = torch.topk(scores, K, dim=1).indices
    found = top == targets.unsqueeze(1)
    hit = found.any(dim=1)
    position = found.float().argmax(dim=1)  # 0-based rank where found
    ndcg = torch.where(hit, 1.0 / torch.log2(position.float() + 2.0), torch.zeros_like(position,
                                                                                        dtype=torch.float))
    mrr = torch.where(hit, 1.0 / (position.float() + 1.0), torch.zeros_like(position, dtype=torch.float))
    return float(ndcg.sum()), float(hit.float().sum()), float(mrr.sum())


# ---- RecBole -------------------------------------------------------------------------------

RECBOLE_MODELS = {
    # RecBole's own defaults for both models (properties/model/*.yaml), written out.
    "GRU4Rec": {"embedding_size": 64, "hidden_size": 128, "num_layers": 1, "dropout_prob": 0.3},
    "SASRec": {"n_layers": 2, "n_heads": 2, "hidden_size": 64, "inner_size": 256,
               "hidden_dropout_prob": 0.5, "attn_dropout_prob": 0.5, "hidden_act": "gelu",
               "layer_norm_eps": 1e-12, "initializer_range": 0.02},
}


# RecBole replaces data_path by its bundled example whenever the dataset is named "ml-100k"
# (Config._set_default_parameters), so the copy goes by another name, with ml-100k's properties.
RECBOLE_DATASET = "ml-100k-exact"


def recbole_config(model, args, data_root, work):
    import recbole
    import yaml

    properties = os.path.join(os.path.dirname(recbole.__file__), "properties", "dataset",
                              "ml-100k.yaml")
    config = yaml.safe_load(open(properties))
    config.update({
        "data_path": data_root,
        "checkpoint_dir": os.path.join(work, "recbole-saved"),
        "use_gpu": args.recbole_gpu,
        "seed": args.seed,
        "reproducibility": True,
        "show_progress": False,
        "state": "WARNING",
        "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]},
        # every interaction: no rating threshold, no k-core, duplicates kept
        "val_interval": None,
        "user_inter_num_interval": None,
        "item_inter_num_interval": None,
        "rm_dup_inter": None,
        "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "mode": "full",
                      "group_by": "user"},
        "loss_type": "CE",
        "train_neg_sample_args": None,
        "metrics": ["NDCG", "Hit", "MRR"],
        "topk": [K],
        "valid_metric": f"NDCG@{K}",
        "epochs": args.epochs,
        "stopping_step": args.stopping_step,
        "eval_step": 1,
        "train_batch_size": args.recbole_batch,
        "eval_batch_size": 4096,
        "learner": "adam",
        "learning_rate": args.learning_rate,
        "weight_decay": 0.0,
        "MAX_ITEM_LIST_LENGTH": args.max_length,
    })
    config.update(RECBOLE_MODELS[model])
    return config


def run_recbole(model_name, args, data_root, work, exact):
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    log(f"RecBole {model_name}: load {load_average()}")
    config = Config(model=model_name, dataset=RECBOLE_DATASET,
                    config_dict=recbole_config(model_name, args, data_root, work))
    init_seed(config["seed"], config["reproducibility"])
    torch.set_num_threads(args.threads)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)

    epoch_seconds, valid_seconds, valid_curve = [], [], []
    train_epoch, valid_epoch = trainer._train_epoch, trainer._valid_epoch

    def timed_train(*a, **kw):
        start = time.perf_counter()
        result = train_epoch(*a, **kw)
        epoch_seconds.append(time.perf_counter() - start)
        return result

    def timed_valid(*a, **kw):
        start = time.perf_counter()
        score, result = valid_epoch(*a, **kw)
        valid_seconds.append(time.perf_counter() - start)
        valid_curve.append(float(score))
        log(f"RecBole {model_name} epoch {len(valid_curve) - 1}: train {epoch_seconds[-1]:.1f} s, "
            f"valid ndcg@{K} {score:.4f}, load {load_average()}")
        return score, result

    trainer._train_epoch, trainer._valid_epoch = timed_train, timed_valid
    load_before = load_average()
    trainer.fit(train_data, valid_data, verbose=False, saved=True, show_progress=False)
    test = trainer.evaluate(test_data, load_best_model=True, show_progress=False)
    best_epoch = max(i for i, v in enumerate(valid_curve) if v == max(valid_curve))
    result = {
        "system": "RecBole 1.2.1", "model": model_name, "config": RECBOLE_MODELS[model_name],
        "epochs": len(epoch_seconds), "best_epoch": best_epoch,
        "seconds_per_epoch": float(np.mean(epoch_seconds)),
        "epoch_seconds": epoch_seconds, "valid_seconds": float(np.mean(valid_seconds)),
        "valid_curve": valid_curve, "load_before": load_before, "load_after": load_average(),
        "recbole_test": {k: float(v) for k, v in test.items()},
        "train_targets_per_epoch": len(train_data._dataset.inter_feat),
    }

    # The split and catalogue against the exact order (and so against slatetrain's shards).
    uid, iid = dataset.uid_field, dataset.iid_field
    for name, data, offset in (("valid", valid_data, 2), ("test", test_data, 1)):
        inter = data._dataset.inter_feat
        users = dataset.id2token(uid, inter[uid].numpy())
        items = dataset.id2token(iid, inter[iid].numpy())
        got = dict(zip(users, items))
        want = {u: s[-offset] for u, s in exact.items()}
        result[f"{name}_targets_equal"] = got == want
        result[f"{name}_users"] = len(got)
    result["catalogue"] = sorted(dataset.field2id_token[iid][1:].tolist())

    # Our own pass over the test users with the best model: both exclusion rules.
    trainer.model.eval()
    token2id = dataset.field2token_id[iid]
    sums = {"recbole_rule": [0.0, 0.0, 0.0], "history_excluded": [0.0, 0.0, 0.0]}
    users_seen = 0
    with torch.no_grad():
        for batch in test_data:
            interaction, _, _, positive_i = batch
            scores = trainer.model.full_sort_predict(interaction).view(-1, dataset.item_num)
            scores[:, 0] = -math.inf
            for rule, masked in (("recbole_rule", False), ("history_excluded", True)):
                s = scores.clone()
                if masked:
                    for row, user in enumerate(dataset.id2token(uid, interaction[uid].numpy())):
                        earlier = [token2id[t] for t in exact[user][:-1]]
                        s[row, earlier] = -math.inf
                values = rank_metrics(s, positive_i)
                sums[rule] = [a + b for a, b in zip(sums[rule], values)]
            users_seen += len(positive_i)
    for rule, (ndcg, hit, mrr) in sums.items():
        result[rule] = {f"ndcg@{K}": ndcg / users_seen, f"hitrate@{K}": hit / users_seen,
                        f"mrr@{K}": mrr / users_seen, "users": users_seen}
    own, theirs = result["recbole_rule"], result["recbole_test"]
    result["own_metrics_match_recbole"] = all(
        abs(own[a] - theirs[b]) < 1e-4 for a, b in
        ((f"ndcg@{K}", f"ndcg@{K}"), (f"hitrate@{K}", f"hit@{K}"), (f"mrr@{K}", f"mrr@{K}")))
    log(f"RecBole {model_name}: {len(epoch_seconds)} epochs, best {best_epoch}, test {theirs}")
    return result


# ---- slatetrain ----------------------------------------------------------------------------

SLATETRAIN_MODELS = {
    # As RecBole's GRU4Rec where slatetrain has the knob: item vectors 64, GRU state 128
    # (slatetrain's GRU has no dropout); init std 0.034 ~ xavier_normal of a [1683, 64] table.
    "gru": {"kind": "gru", "dim": 64, "hidden": 128, "init_scale": 0.034},
    # As RecBole's SASRec: 2 blocks, 2 heads, 64, FFN 256, GELU, dropout 0.5/0.5, init 0.02
    # (slatetrain's blocks are pre-norm, SASRec's post-norm).
    "transformer": {"kind": "transformer", "dim": 64, "layers": 2, "heads": 2, "ffn": 256,
                    "dropout": 0.5, "attention_dropout": 0.5, "layer_norm_epsilon": 1e-12,
                    "init_scale": 0.02},
}


def slatetrain_yaml(variant, args, converted, run_dir, steps_per_epoch):
    epochs = variant.get("epochs", args.epochs)
    stopping_step = variant.get("stopping_step", args.stopping_step)
    model = dict(SLATETRAIN_MODELS[variant["model"]])
    model["max_length"] = variant["max_length"]
    model["interaction_type_embedding"] = False
    lines = [
        f"data:\n  path: {converted}",
        f"run:\n  dir: {run_dir}\n  seed: {args.seed}\n  device: cpu\n  threads: {args.threads}",
        "model:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in model.items()).rstrip(),
        "objective:\n  kind: full_softmax",
        "optimizer:\n  dense:\n    kind: adam\n    learning_rate: %g\n    weight_decay: 0.0\n"
        "  embedding:\n    kind: adam\n    learning_rate: %g" % (args.learning_rate,
                                                              args.learning_rate),
        f"schedule:\n  epochs: {epochs}\n  batch_users: {args.slatetrain_batch}\n"
        "  warmup_steps: 0\n  decay: constant\n  gradient_clip: 0.0",
        # RecBole stops after stopping_step + 1 validations without improvement.
        f"evaluation:\n  every_steps: {steps_per_epoch}\n  k: [{K}]\n  metric: ndcg@{K}\n"
        f"  patience: {stopping_step + 1}\n  exclude_seen: false",
        f"checkpoint:\n  every_steps: {steps_per_epoch}\n  keep: {stopping_step + 3}",
        "logging:\n  progress_seconds: 30\n  metrics_every_steps: %d" % steps_per_epoch,
    ]
    return "\n".join(lines) + "\n"


def run_slatetrain_process(binary, config_path, extra, log_path):
    command = [binary, config_path] + extra
    with open(log_path, "a") as err:
        err.write("$ " + " ".join(command) + "\n")
        err.flush()
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=err, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"slatetrain failed ({completed.returncode}): see {log_path}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_slatetrain(variant, args, converted, work, manifest):
    name = variant["name"]
    run_dir = os.path.join(work, "slatetrain", name)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    users = manifest["num_users"]
    steps_per_epoch = -(-users // args.slatetrain_batch)
    config_path = os.path.join(run_dir, "..", f"{name}.yaml")
    with open(config_path, "w") as out:
        out.write(slatetrain_yaml(variant, args, converted, run_dir, steps_per_epoch))
    log_path = os.path.join(work, "slatetrain", f"{name}.log")
    open(log_path, "w").close()
    log(f"slatetrain {name}: load {load_average()}")
    load_before = load_average()
    summary = run_slatetrain_process(args.slatetrain, config_path, [], log_path)
    load_after = load_average()
    records = [json.loads(line) for line in open(os.path.join(run_dir, "metrics.jsonl"))]
    valid = [r for r in records if r.get("phase") == "valid"]
    # The last validation record is the final one, repeated after training: the curve is one
    # entry per epoch boundary where the trainer validated.
    curve = [(r["step"], r["metrics"][f"ndcg@{K}"]) for r in valid]
    best_value = max(v for _, v in curve)
    best_step = min(s for s, v in curve if v == best_value)
    train_seconds = summary["interactions"] / summary["interactions_per_s"]
    result = {
        "system": "slatetrain", "model": name, "config": variant, "epochs": summary["epochs"],
        "steps": summary["steps"], "steps_per_epoch": steps_per_epoch,
        "best_step": best_step, "best_epoch": best_step // steps_per_epoch - 1,
        "seconds_per_epoch": train_seconds / summary["epochs"],
        "valid_seconds": float(np.mean([r["seconds"] for r in valid])),
        "valid_curve": [v for _, v in curve], "load_before": load_before, "load_after": load_after,
        "last_weights_test": summary["test"], "status": summary["status"],
        "popularity": summary["popularity"],
        "train_targets_per_epoch": summary["interactions"] / summary["epochs"],
    }
    # The best validation's checkpoint, resumed with no step left: its validation and test.
    checkpoint = os.path.join(run_dir, "checkpoints", "checkpoint-%012d.h5" % best_step)
    if best_step == summary["steps"]:
        checkpoint = None  # the final weights are the best
    elif not os.path.exists(checkpoint):
        raise SystemExit(f"{checkpoint} was not kept; raise checkpoint.keep")
    for rule, exclude in (("recbole_rule", "false"), ("history_excluded", "true")):
        best_dir = os.path.join(work, "slatetrain", f"{name}-best-{rule}")
        shutil.rmtree(best_dir, ignore_errors=True)
        os.makedirs(os.path.join(best_dir, "checkpoints"))
        source = checkpoint or os.path.join(
            run_dir, "checkpoints", "checkpoint-%012d.h5" % summary["steps"])
        shutil.copy(source, os.path.join(best_dir, "checkpoints"))
        best = run_slatetrain_process(
            args.slatetrain, config_path,
            ["--resume", "--set", f"run.dir={best_dir}", "--set", f"schedule.max_steps={best_step}",
             "--set", f"evaluation.exclude_seen={exclude}"], log_path)
        if abs(best["valid"][f"ndcg@{K}"] - best_value) > 1e-9 and rule == "recbole_rule":
            raise SystemExit(f"{name}: the resumed checkpoint's valid ndcg "
                             f"{best['valid'][f'ndcg@{K}']} is not the run's best {best_value}")
        result[rule] = best["test"]
        result[f"popularity_{rule}"] = best["popularity"]
    log(f"slatetrain {name}: {summary['epochs']} epochs, best step {best_step}, "
        f"test {result['recbole_rule']}")
    return result


# ---- the report ----------------------------------------------------------------------------


def fmt(value, digits=4):
    return f"{value:.{digits}f}"


SETUP = """\
# RecBole 1.2.1 against slatetrain on MovieLens-100K

`bench/recbole_comparison.sh {arguments}` (written by `bench/recbole_ml100k.py`; every figure and
the validation curves are in its JSON file). Both systems ran one after the other in one run,
on the CPU, {threads} threads each.

**Data and split.** ml-100k as the recbole 1.2.1 wheel ships it (`launch/fetch-ml-100k.sh`):
every one of the 100,000 ratings (no rating threshold, no k-core; ml-100k has no duplicates),
943 users, 1,682 items, the same catalogue on both sides. Leave-one-out in time order: each
user's last event is test, the one before validation, the rest training (RecBole
`eval_args: {{split: {{LS: valid_and_test}}, order: TO, mode: full}}`; slatetrain
`slateconvert sessions --protocol leave-one-out`). Ties in time keep file order on both sides.
RecBole gets a copy of `ml-100k.inter` named `ml-100k-exact` (RecBole always reads its own
bundled file for a dataset named `ml-100k`) whose timestamps are each event's rank in the exact
time order: RecBole keeps times as float32, which merges close times into ties and reorders the
last events of a few users. The checks below compare RecBole's targets with slatetrain's shards.

**Evaluation.** Full ranking of the 1,682 items for each of the 943 users, one target each.
HR@10 is the share of users whose target is in the top 10, NDCG@10 is 1/log2(rank + 1) (the
ideal DCG of one target is 1), MRR@10 is 1/rank, each 0 outside the top 10: RecBole's
`Hit`, `NDCG` and `MRR` and slatetrain's `hitrate`, `ndcg` and `mrr` are the same formulas for
one target. RecBole masks no history item for sequential models (its `FullSortEvalDataLoader`
passes no history when `MODEL_TYPE` is sequential; only the padding id is ranked out), while
slatetrain's default (`evaluation.exclude_seen: true`) ranks out every item of the user's
earlier events. The first table uses RecBole's rule on both sides (slatetrain with
`exclude_seen: false`); the second excludes the history on both sides (RecBole's best model
scored again by this script).

**Training.** CE over the full catalogue on both sides (RecBole `loss_type: CE`, slatetrain
`objective.kind: full_softmax`), Adam at {learning_rate:g} without weight decay or clipping,
constant learning rate, validation every epoch, early stopping on valid NDCG@10 (RecBole
`stopping_step`; slatetrain `patience` = stopping_step + 1, the same count), test with the
weights of the best validation (RecBole `load_best_model`; slatetrain: the best validation's
checkpoint resumed with no step left, because its own summary tests the last weights).

| | RecBole | slatetrain |
|---|---|---|
| GRU | GRU4Rec: item vectors 64, GRU state 128, 1 layer, dropout 0.3 on the inputs | `gru`: dim 64, hidden 128, no dropout (none exists), init std 0.034 |
| self-attention | SASRec: 2 post-norm blocks, 2 heads, 64, FFN 256 GELU, dropout 0.5 / attention 0.5, init std 0.02 | `transformer`: 2 pre-norm blocks, 2 heads, 64, FFN 256 GELU, dropout 0.5 / 0.5, init std 0.02 |
| history the model sees | the last {max_length} events (`MAX_ITEM_LIST_LENGTH`) | `model.max_length: {max_length}` (window), or the whole history ("whole history" rows) |
| training targets per epoch | {rb_targets:,}: every event e_1 .. e_(n-3) of every user, each a sample with its last {max_length} events (RecBole's data augmentation) | window {max_length}: {st_window:,}, only the last {max_length} training events of each user (the loader cuts one window per user); whole history: {st_full:,} (e_0 .. e_(n-3)) |
| batch | {recbole_batch} samples, about 48 steps per epoch | {slatetrain_batch} users (about 2,000 targets at the whole history, 830 at window 50), 48 steps per epoch |

The two epochs are not the same work. RecBole's augmented samples each run the model over
their whole window (up to {max_length} events) and take the loss at the last position only:
{rb_positions:,} input positions per epoch for {rb_targets:,} targets. slatetrain runs each user's
window once and takes the loss at every position: {st_window:,} positions for {st_window:,}
targets at window {max_length}, {ratio:.0f} times fewer positions. Most of the gap in seconds per epoch comes from this, not from the kernels.

Seconds per epoch are training only (RecBole's `_train_epoch`; slatetrain's step times), the
validation's seconds beside them. The machine is a 2-core VM shared with other engineers'
builds and tests: the load average before and after each run is given, and every time here is
inflated by it, RecBole's and slatetrain's alike.

"""


def workload(data, window):
    """Per epoch: RecBole's augmented samples and their input positions; slatetrain's targets
    with a window and with the whole history (leave-one-out, every user has >= 3 events)."""
    rows = read_inter(os.path.join(data, "ml-100k.inter"))
    lengths = [len(s) for s in user_sequences(rows, key=lambda i: rows[i][3]).values()]
    rb_targets = sum(n - 3 for n in lengths)
    rb_positions = sum(min(j, window) for n in lengths for j in range(1, n - 2))
    st_window = sum(min(n - 2, window) for n in lengths)
    return dict(rb_targets=rb_targets, rb_positions=rb_positions, st_window=st_window,
                st_full=sum(n - 2 for n in lengths), ratio=rb_positions / st_window)


def report(results, facts, args):
    rows = []
    for r in sorted(results, key=lambda r: (r["system"] == "slatetrain", r["model"])):
        if r["system"].startswith("RecBole"):
            label = f"RecBole {r['model']}"
            epochs = f"{r['epochs']} (best {r['best_epoch'] + 1})"
        else:
            window = r["config"]["max_length"] or "whole history"
            label = f"slatetrain {r['config']['model']} (window {window})"
            epochs = f"{r['epochs']:g} (best {r['best_step'] // r['steps_per_epoch']})"
        rows.append((label, r, epochs))
    popularity = next((r for r in results if r["system"] == "slatetrain"), None)
    arguments = args.command_line
    lines = [SETUP.format(arguments=arguments, threads=args.threads,
                          learning_rate=args.learning_rate, max_length=args.max_length,
                          recbole_batch=args.recbole_batch,
                          slatetrain_batch=args.slatetrain_batch,
                          **workload(args.data, args.max_length))]
    if getattr(args, "note", ""):
        lines += [args.note, ""]
    for rule, title in (("recbole_rule", "RecBole's rule for sequential models: nothing excluded "
                         "from the full ranking (the primary comparison)"),
                        ("history_excluded", "History excluded: every item of the user's earlier "
                         "events ranked out (slatetrain's default)")):
        lines += [f"### {title}", "",
                  f"| system, model | epochs (best) | NDCG@{K} | HR@{K} | MRR@{K} | s/epoch (train) "
                  "| training targets/epoch | targets/s | s/validation | load avg before → after |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for label, r, epochs in rows:
            m = r[rule]
            lines.append(f"| {label} | {epochs} | {fmt(m[f'ndcg@{K}'])} | "
                         f"{fmt(m[f'hitrate@{K}'])} | {fmt(m[f'mrr@{K}'])} | "
                         f"{fmt(r['seconds_per_epoch'], 2)} | {r['train_targets_per_epoch']:,.0f} | "
                         f"{r['train_targets_per_epoch'] / r['seconds_per_epoch']:,.0f} | "
                         f"{fmt(r['valid_seconds'], 2)} | "
                         f"{r['load_before']} → {r['load_after']} |")
        if popularity:
            p = popularity[f"popularity_{rule}"]
            lines.append(f"| popularity (slatetrain, training counts) | – | {fmt(p[f'ndcg@{K}'])} "
                         f"| {fmt(p[f'hitrate@{K}'])} | {fmt(p[f'mrr@{K}'])} | – | – | – | – | – |")
        lines.append("")
    lines += ["Checks made in this run:", ""]
    lines += [f"- {fact}" for fact in facts]
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="directory with ml-100k.inter")
    parser.add_argument("--converted", help="slateconvert sessions output")
    parser.add_argument("--slatetrain", help="the slatetrain binary")
    parser.add_argument("--work")
    parser.add_argument("--report", required=True)
    parser.add_argument("--json")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--stopping-step", type=int, default=5,
                        help="RecBole's stopping_step; slatetrain's patience is this + 1")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--recbole-batch", type=int, default=2048, help="sequences per batch")
    parser.add_argument("--slatetrain-batch", type=int, default=20,
                        help="users per batch: 20 users x ~103 targets ~ RecBole's 2048")
    parser.add_argument("--max-length", type=int, default=50, help="RecBole MAX_ITEM_LIST_LENGTH")
    parser.add_argument("--long-epochs", type=int, default=0,
                        help="also train each slatetrain model up to this many epochs")
    parser.add_argument("--long-stopping-step", type=int, default=5)
    parser.add_argument("--recbole-gpu", action="store_true",
                        help="RecBole on the GPU (slatetrain stays on the CPU; untested here)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--only", default="GRU4Rec,SASRec,gru,transformer",
                        help="comma list of runs (default %(default)s; also gru-full, "
                        "transformer-full: slatetrain on the whole history)")
    parser.add_argument("--from-json", nargs="+",
                        help="only write --report again from these JSON files (runs of the "
                        "same arguments split over several processes are merged)")
    parser.add_argument("--note", default="", help="a paragraph for the report (--from-json)")
    parser.add_argument("--command-line", default="",
                        help="the comparison script's arguments, for the report")
    args = parser.parse_args()
    if args.from_json:
        # A later file's run of the same system and model replaces an earlier one, with its
        # check line.
        runs, checks = {}, {}
        for path in args.from_json:
            saved = json.load(open(path))
            for r in saved["results"]:
                runs[(r["system"], r["model"])] = r
            for fact in saved["facts"]:
                key = fact.split(":")[0] if fact.startswith("RecBole ") else fact
                checks[key] = fact
        results, facts = list(runs.values()), list(checks.values())
        command_line = args.command_line
        for key, value in json.load(open(args.from_json[0]))["arguments"].items():
            if key not in ("report", "from_json", "json", "command_line", "note"):
                setattr(args, key, value)
        args.command_line = command_line
        with open(args.report, "w") as out:
            out.write(report(results, facts, args))
        return
    for name in ("data", "converted", "slatetrain", "work", "report", "json"):
        if getattr(args, name) is None:
            parser.error(f"--{name} is required")
        setattr(args, name, os.path.abspath(getattr(args, name)))
    work = args.work
    os.makedirs(work, exist_ok=True)
    os.chdir(work)  # RecBole writes log/ and its checkpoints under the current directory

    rows = read_inter(os.path.join(args.data, "ml-100k.inter"))
    exact = user_sequences(rows, key=lambda i: rows[i][3])
    changed, changed_raw = float32_order_damage(rows, exact)
    data_root = os.path.join(work, "recbole-data")
    write_recbole_copy(rows, os.path.join(data_root, RECBOLE_DATASET))

    shards, catalogue, manifest = slatetrain_split(os.path.abspath(args.converted))
    facts = [
        f"ml-100k as fetched: {len(rows):,} ratings, {len(exact)} users, "
        f"{len(set(r[1] for r in rows))} items; every interaction used on both sides (no rating "
        "threshold, no k-core, duplicates kept: ml-100k has none).",
        f"slatetrain's shards hold each user's events in exact time order (ties in file order): "
        f"{'yes' if shards == exact else 'NO'} for all {len(exact)} users.",
        f"RecBole reads the timestamp as float32 (normalised to [0, 1] by default): with the "
        f"original times, {changed} users' validation or test events would differ from the exact "
        f"order ({changed_raw} without the normalisation), so RecBole reads a copy whose "
        "timestamps are each event's rank in the exact order.",
    ]
    only = set(filter(None, args.only.split(",")))
    results = []

    def save():
        # After every run, so that a stopped benchmark keeps what it measured.
        with open(args.report, "w") as out:
            out.write(report(results, facts, args))
        json.dump({"results": results, "facts": facts, "arguments": vars(args)},
                  open(args.json, "w"), indent=1)

    # slatetrain first (minutes), then RecBole (far slower on a CPU).
    # The window of RecBole's MAX_ITEM_LIST_LENGTH by default; "-full" variants see the whole
    # history (every training target, but 943 x 737 padded steps per epoch: slow).
    variants = [
        {"name": "gru", "model": "gru", "max_length": args.max_length},
        {"name": "transformer", "model": "transformer", "max_length": args.max_length},
        {"name": "gru-full", "model": "gru", "max_length": 0},
        {"name": "transformer-full", "model": "transformer", "max_length": 0},
    ]
    if args.long_epochs > 0:
        # The same slatetrain runs trained longer than RecBole could be in this run.
        variants += [dict(v, name=v["name"] + "-long", epochs=args.long_epochs,
                          stopping_step=args.long_stopping_step)
                     for v in variants if v["name"] in only]
        only |= {v["name"] for v in variants if v["name"].endswith("-long")}
    for variant in variants:
        if variant["name"] not in only:
            continue
        results.append(run_slatetrain(variant, args, os.path.abspath(args.converted), work,
                                      manifest))
        save()
    for model_name in ("GRU4Rec", "SASRec"):
        if model_name not in only:
            continue
        r = run_recbole(model_name, args, data_root, work, exact)
        catalogue_equal = set(r.pop("catalogue")) == catalogue
        facts.append(f"RecBole {model_name}: validation targets equal slatetrain's for "
                     f"{r['valid_users']} users: {r['valid_targets_equal']}; test targets: "
                     f"{r['test_targets_equal']}; item catalogue equal ({len(catalogue)} items): "
                     f"{catalogue_equal}; this script's metrics without exclusion equal RecBole's "
                     f"evaluator's: {r['own_metrics_match_recbole']}.")
        results.append(r)
        save()
    print(open(args.report).read())


if __name__ == "__main__":
    main()
