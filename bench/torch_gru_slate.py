"""The GRU slate model of docs/MODELS.md in PyTorch, trained and evaluated on a FINN-format
data.npz the way slatetrain does it, for bench/gru_benchmark.py.

Semantics follow the C++ trainer (launch/trainer.cpp, models/model_inputs.cpp,
launch/evaluator.cpp):
  - a training epoch covers every user; a step is trained on when it is real (click != 0) and in
    the training part of the published split (data/split.hpp, reproduced here bit for bit);
  - the GRU advances on real clicks (id >= 3) only; the user vector for step t is
    z_t = W_out h_{t-1}; slots 1.. of the slate are scored z_t . E[item] for item ids >= 3 and
    masked otherwise, slot 0 by a no-click bias per slate length;
  - a loss step is a trained step whose click is a choice within its slate
    (slate[click_idx] == click, and slot 0 or an item id >= 3); the loss is the mean over loss
    steps of -log softmax(s)[click_idx];
  - AdamW on the dense parameters, Adam on the touched rows of the item table (SparseAdam, the
    lazy row-wise Adam slatetrain uses), warm-up then cosine decay, global-norm clipping;
  - evaluation ranks the whole catalogue (ids >= 3, the user's clicks of the first t_testsplit
    steps excluded) with the user vector after t_testsplit steps.

Run with Debian's /usr/bin/python3 (numpy + torch); stdlib otherwise.
"""
import json
import math
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import torch

PAD_ID, NO_CLICK_ID, FIRST_ITEM_ID = 0, 1, 2 + 1
NO_CLICK_BIAS_SIZE = 27  # slate lengths 0..26 (26 is a published anomaly)
INTERACTION_TYPES = 3
MASK64 = (1 << 64) - 1

# ---- the published split (data/split.cpp with core/random.hpp) ----------------------------


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def hash_mix(seed, stream, counter=0):
    return mix64((mix64(seed ^ mix64(stream)) + counter) & MASK64)


class Xoshiro256:
    """core/random.hpp's Random (xoshiro256**), for the split's permutation."""

    def __init__(self, seed):
        self.state = []
        x = seed
        for _ in range(4):
            x = mix64(x)
            self.state.append(x)

    def next(self):
        s = self.state
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & MASK64
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        low = m & MASK64
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & MASK64
        return m >> 64


def assign_split(num_users, seed, valid_fraction, test_fraction):
    """[num_users] uint8: 0 train, 1 valid, 2 test, as data/split.cpp's assign_split."""
    num_valid = int(float(num_users) * valid_fraction)
    num_test = int(float(num_users) * test_fraction)
    permutation = list(range(num_users))
    random = Xoshiro256(hash_mix(seed, 0x73706C6974))  # "split"
    for i in range(num_users - 1, 0, -1):
        j = random.below(i + 1)
        permutation[i], permutation[j] = permutation[j], permutation[i]
    split = np.zeros(num_users, np.uint8)
    split[permutation[:num_valid]] = 1
    split[permutation[num_valid:num_valid + num_test]] = 2
    return split


def read_converted_split(converted_dir, manifest):
    """The per-user split stored in the shards (via h5dump's binary output), or None when the
    HDF5 tools are missing: a check that the reproduced split is the converter's."""
    h5dump = shutil.which("h5dump")
    if h5dump is None:
        return None
    parts = []
    with tempfile.TemporaryDirectory() as scratch:
        for shard in manifest["shards"]:
            target = os.path.join(scratch, "split.bin")
            subprocess.run([h5dump, "-d", "/users/split", "-b", "LE", "-o", target,
                            os.path.join(converted_dir, shard["file"])],
                           check=True, stdout=subprocess.DEVNULL)
            parts.append(np.fromfile(target, np.uint8))
    return np.concatenate(parts)


# ---- data --------------------------------------------------------------------------------


class FinnData:
    """The source arrays of data.npz in memory plus the split (dense [U, T(, S)] layout)."""

    def __init__(self, finn_dir, manifest):
        arrays = np.load(os.path.join(finn_dir, "data.npz"))
        self.click = arrays["click"].astype(np.int64)
        self.click_idx = arrays["click_idx"].astype(np.int64)
        self.slate_length = arrays["slate_lengths"].astype(np.int64)
        self.slate = arrays["slate"].astype(np.int64)
        self.interaction_type = arrays["interaction_type"].astype(np.int64)
        self.num_users, self.max_steps, self.slate_slots = self.slate.shape
        self.num_items = int(manifest["num_items"])
        split = manifest["split"]
        self.t_testsplit = int(split["t_testsplit"])
        self.split = assign_split(self.num_users, int(split["seed"]), float(split["valid_fraction"]),
                                  float(split["test_fraction"]))


class Batch:
    """One batch of users, built with numpy as models/model_inputs.cpp builds ModelInputs."""

    def __init__(self, data, rows, phase="train"):
        T, S = data.max_steps, data.slate_slots
        click = data.click[rows]
        click_idx = data.click_idx[rows]
        slate = data.slate[rows]
        split = data.split[rows][:, None]
        steps = np.arange(T)[None, :]
        real = click != PAD_ID
        if phase == "train":
            step_mask = real & ((split == 0) | (steps < data.t_testsplit))
        else:  # held-out steps of validation / test users
            step_mask = real & (split != 0) & (steps >= data.t_testsplit)
        clicked_slot = np.take_along_axis(slate, np.minimum(click_idx, S - 1)[..., None], 2)[..., 0]
        choice = (real & (click_idx < S) & (clicked_slot == click) &
                  ((click_idx == 0) | (click >= FIRST_ITEM_ID)))
        self.batch_users = len(rows)
        self.interactions = int(real.sum())  # as SlateBatch.real_steps
        self.advance = click >= FIRST_ITEM_ID  # [B, T]
        self.loss_step = step_mask & choice  # [B, T]
        self.loss_steps = int(self.loss_step.sum())
        loss_b, loss_t = np.nonzero(self.loss_step)
        # Ids the batch needs: GRU inputs and the scorable slate items of loss steps.
        click_ids = click[self.advance]
        loss_slates = slate[loss_b, loss_t]  # [N, S]
        slate_ok = loss_slates >= FIRST_ITEM_ID
        slate_ok[:, 0] = False  # slot 0 is the no-click option
        needed = np.concatenate([click_ids, loss_slates[slate_ok]])
        self.unique_ids, inverse = np.unique(needed, return_inverse=True)
        self.click_rows = inverse[:len(click_ids)]
        slate_rows = np.full(loss_slates.shape, -1, np.int64)
        slate_rows[slate_ok] = inverse[len(click_ids):]
        self.slate_rows = slate_rows
        self.target = click_idx[loss_b, loss_t]
        self.loss_slate_length = data.slate_length[rows][loss_b, loss_t]
        self.click_type = data.interaction_type[rows][self.advance]
        # Where each click lands in the user's compacted click sequence, and how many clicks
        # came before each step (the state z_t reads is after that many clicks).
        clicks_so_far = np.cumsum(self.advance, axis=1)
        self.click_count = clicks_so_far[:, -1]
        self.max_clicks = int(self.click_count.max()) if len(rows) else 0
        click_b, _ = np.nonzero(self.advance)
        self.click_slot = click_b * self.max_clicks + (clicks_so_far[self.advance] - 1)
        clicks_before = clicks_so_far - self.advance
        self.loss_state = loss_b * (self.max_clicks + 1) + clicks_before[loss_b, loss_t]
        self.loss_b, self.loss_t = loss_b, loss_t
        self.clicks_before = clicks_before
        self.click = click
        self.split = split[:, 0]

    def to_torch(self):
        as_long = lambda a: torch.from_numpy(np.ascontiguousarray(a, np.int64))
        self.t_unique_ids = as_long(self.unique_ids)
        self.t_click_rows = as_long(self.click_rows)
        self.t_click_type = as_long(self.click_type)
        self.t_click_slot = as_long(self.click_slot)
        self.t_loss_state = as_long(self.loss_state)
        self.t_slate_rows = as_long(self.slate_rows)
        self.t_target = as_long(self.target)
        self.t_loss_slate_length = as_long(self.loss_slate_length)
        self.t_advance = torch.from_numpy(self.advance)
        return self


# ---- the model ---------------------------------------------------------------------------


class TorchGruSlateModel(torch.nn.Module):
    """E (sparse nn.Embedding), GRU (torch layout and gate order), W_out, no-click bias,
    interaction-type vectors. gru_mode 'packed' runs nn.GRU over each user's compacted clicks
    (the state only moves on clicks, so this is the same recurrence with fewer steps);
    'cell' runs GRUCell over all T steps holding the state with a mask."""

    def __init__(self, num_items, dim, init_scale, interaction_type_embedding, gru_mode,
                 sparse_rows=True):
        super().__init__()
        self.dim = dim
        self.gru_mode = gru_mode
        self.items = torch.nn.Embedding(num_items, dim, sparse=sparse_rows)
        torch.nn.init.normal_(self.items.weight, 0.0, init_scale)
        self.gru = torch.nn.GRU(dim, dim, batch_first=True)
        self.output = torch.nn.Linear(dim, dim, bias=False)
        bound = 1.0 / math.sqrt(dim)
        torch.nn.init.uniform_(self.output.weight, -bound, bound)
        self.no_click_bias = torch.nn.Parameter(torch.zeros(NO_CLICK_BIAS_SIZE))
        self.type_vectors = None
        if interaction_type_embedding:
            self.type_vectors = torch.nn.Parameter(0.1 * torch.randn(INTERACTION_TYPES, dim))

    def dense_parameters(self):
        return [p for name, p in self.named_parameters() if not name.startswith("items.")]

    def states(self, batch, rows):
        """[B * (L + 1), H]: per user the zero state, then the state after each click."""
        B, L, D = batch.batch_users, batch.max_clicks, self.dim
        x = rows[batch.t_click_rows]
        if self.type_vectors is not None:
            x = x + self.type_vectors[batch.t_click_type]
        if self.gru_mode == "packed":
            inputs = x.new_zeros(B * L, D).index_copy(0, batch.t_click_slot, x).view(B, L, D)
            out, _ = self.gru(inputs)  # positions past a user's clicks are never read
        else:
            out = self._masked_cells(batch, x)
        return torch.cat([out.new_zeros(B, 1, D), out], 1).reshape(B * (L + 1), D)

    def _masked_cells(self, batch, x):
        B, T, D = batch.advance.shape[0], batch.advance.shape[1], self.dim
        inputs = x.new_zeros(B * T, D).index_copy(
            0, torch.from_numpy(np.flatnonzero(batch.advance)), x).view(B, T, D)
        g = self.gru
        h = x.new_zeros(B, D)
        after_click = []
        for t in range(T):
            advance = batch.t_advance[:, t:t + 1]
            new = torch._VF.gru_cell(inputs[:, t], h, g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0,
                                     g.bias_hh_l0)
            h = torch.where(advance, new, h)
            after_click.append(h)
        # Reorder to the packed layout: state after the c-th click of each user.
        states = torch.stack(after_click, 1)  # [B, T, D]: state after step t
        L = batch.max_clicks
        out = states.new_zeros(B * L, D)
        click_b, click_t = np.nonzero(batch.advance)
        return out.index_copy(0, batch.t_click_slot,
                              states[torch.from_numpy(click_b), torch.from_numpy(click_t)]).view(
                                  B, L, D)

    def slate_loss_sum(self, batch):
        rows = self.items(batch.t_unique_ids)  # [U, D]: one lookup, one sparse gradient
        states = self.states(batch, rows)
        user = self.output(states[batch.t_loss_state])  # [N, D]
        return slate_loss_sum(rows, user, batch, self.no_click_bias)

    @torch.no_grad()
    def user_vectors(self, batch, steps_seen):
        rows = self.items(batch.t_unique_ids)
        states = self.states(batch, rows)
        B, L = batch.batch_users, batch.max_clicks
        seen = torch.from_numpy(batch.clicks_before[:, steps_seen - 1] +
                                batch.advance[:, steps_seen - 1])
        return self.output(states[torch.arange(B) * (L + 1) + seen])


def slate_loss_sum(rows, user, batch, no_click_bias):
    """The slate objective summed over the batch's loss steps: user [N, D] the loss steps' user
    vectors, rows [U, D] the batch's item rows (any user model)."""
    slate_rows = batch.t_slate_rows
    scorable = slate_rows >= 0
    vectors = rows[slate_rows.clamp(min=0)]  # [N, S, D]
    scores = torch.bmm(vectors, user.unsqueeze(2)).squeeze(2)
    scores = scores.masked_fill(~scorable, float("-inf"))
    scores[:, 0] = no_click_bias[batch.t_loss_slate_length]
    return torch.nn.functional.cross_entropy(scores, batch.t_target, reduction="sum")


def learning_rate_factor(step, warmup_steps, total_steps, floor_fraction):
    """models/learning_rate_schedule.cpp (cosine), as a fraction of the peak."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return floor_fraction + (1.0 - floor_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))


# ---- training and evaluation -------------------------------------------------------------


def train(data, settings, log=print, build_model=None):
    """Trains for settings['steps'] steps; returns the per-step loss, interactions, seconds
    (whole step: batch building included) and batch seconds (numpy batch building alone).
    build_model(data, settings) makes another user model with the same interface (items,
    dense_parameters, slate_loss_sum, user_vectors); the default is the GRU."""
    torch.manual_seed(settings["seed"])
    # table_optimizer: "sparse_adam" (a sparse gradient, SparseAdam: the lazy row Adam) or
    # "dense_adam" (a dense gradient and torch.optim.Adam over the whole table each step: what
    # a user gets with sparse=False; not lazy, so it also moves untouched rows' moments).
    table_optimizer = settings.get("table_optimizer", "sparse_adam")
    sparse_rows = table_optimizer == "sparse_adam"
    if build_model is None:
        model = TorchGruSlateModel(data.num_items, settings["dim"], settings["init_scale"],
                                   settings["interaction_type_embedding"], settings["gru_mode"],
                                   sparse_rows=sparse_rows)
    else:
        model = build_model(data, settings)
    model.train()
    dense = torch.optim.AdamW(model.dense_parameters(), lr=settings["dense_learning_rate"],
                              betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    if sparse_rows:
        table = torch.optim.SparseAdam([model.items.weight],
                                       lr=settings["embedding_learning_rate"],
                                       betas=(0.9, 0.999), eps=1e-8)
    else:
        table = torch.optim.Adam([model.items.weight], lr=settings["embedding_learning_rate"],
                                 betas=(0.9, 0.999), eps=1e-8)
    loss_sum_of = model.slate_loss_sum
    if settings.get("compile"):
        # torch.compile (inductor, CPU): batches change shape every step, hence dynamic.
        loss_sum_of = torch.compile(model.slate_loss_sum, dynamic=True)
    total = settings["steps"]
    schedule = lambda step: learning_rate_factor(step, settings["lr_warmup_steps"], total,
                                                 settings["min_learning_rate_fraction"])
    rng = np.random.default_rng(settings["seed"])
    order = rng.permutation(data.num_users)
    B = settings["batch_users"]
    at = 0
    record = {"loss": [], "interactions": [], "seconds": [], "batch_seconds": []}
    for step in range(total):
        start = time.perf_counter()
        if at + B > len(order):
            order, at = rng.permutation(data.num_users), 0
        batch = Batch(data, order[at:at + B]).to_torch()
        at += B
        built = time.perf_counter()
        for group in dense.param_groups:
            group["lr"] = settings["dense_learning_rate"] * schedule(step)
        for group in table.param_groups:
            group["lr"] = settings["embedding_learning_rate"] * schedule(step)
        dense.zero_grad(set_to_none=True)
        table.zero_grad(set_to_none=True)
        loss_sum = loss_sum_of(batch)
        loss = loss_sum / max(1, batch.loss_steps)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.dense_parameters(), settings["gradient_clip"])
        dense.step()
        table.step()
        end = time.perf_counter()
        record["loss"].append(loss.item())
        record["interactions"].append(batch.interactions)
        record["seconds"].append(end - start)
        record["batch_seconds"].append(built - start)
        if log and (step + 1) % 50 == 0:
            log(f"torch step {step + 1}/{total} loss {loss.item():.4f}")
    return model, record


@torch.no_grad()
def evaluate(model, data, split_code, k=20, batch_users=512, chunk_items=65536):
    """The FINN protocol over the full catalogue for one split; returns metrics and seconds."""
    start = time.perf_counter()
    model.eval()  # no dropout
    users = np.flatnonzero(data.split == split_code)
    hits = hit_users = ranked = 0
    loglik_sum, loglik_steps = 0.0, 0
    table = model.items.weight
    for first in range(0, len(users), batch_users):
        rows = users[first:first + batch_users]
        batch = Batch(data, rows, phase="held_out").to_torch()
        if batch.loss_steps:
            loglik_sum -= model.slate_loss_sum(batch).item()
            loglik_steps += batch.loss_steps
        vectors = model.user_vectors(batch, data.t_testsplit)
        later = (batch.click >= FIRST_ITEM_ID) & (np.arange(data.max_steps)[None, :] >=
                                                  data.t_testsplit)
        keep = later.any(1)
        if not keep.any():
            continue
        vectors = vectors[torch.from_numpy(keep)]
        seen = batch.click[keep, :data.t_testsplit]
        best_scores = torch.full((len(vectors), k), float("-inf"))
        best_items = torch.zeros((len(vectors), k), dtype=torch.int64)
        for begin in range(FIRST_ITEM_ID, data.num_items, chunk_items):
            end = min(data.num_items, begin + chunk_items)
            scores = vectors @ table[begin:end].T
            u, t = np.nonzero((seen >= begin) & (seen < end))
            scores[torch.from_numpy(u), torch.from_numpy(seen[u, t] - begin)] = float("-inf")
            top_scores, top_columns = scores.topk(min(k, end - begin), dim=1)
            merged_scores = torch.cat([best_scores, top_scores], 1)
            merged_items = torch.cat([best_items, top_columns + begin], 1)
            best_scores, order = merged_scores.topk(k, dim=1)
            best_items = merged_items.gather(1, order)
        top = best_items.numpy()
        later_clicks = np.where(later[keep], batch.click[keep], -1)
        found = (later_clicks[:, :, None] == top[:, None, :]).any(2).sum(1)
        hits += int(found.sum())
        hit_users += int((found > 0).sum())
        ranked += len(top)
    return {f"hits@{k}": hits / max(1, ranked), f"hitrate@{k}": hit_users / max(1, ranked),
            "loglik": loglik_sum / max(1, loglik_steps), "users": ranked,
            "seconds": time.perf_counter() - start}


def popularity(data, split_code, k=20):
    """launch/evaluator.cpp's popularity baseline (training-phase clicks, ties to the lower id,
    the user's first t_testsplit clicks excluded): a check that both sides read the same data."""
    steps = np.arange(data.max_steps)[None, :]
    train_mask = (data.split[:, None] == 0) | (steps < data.t_testsplit)
    clicks = data.click[train_mask & (data.click >= FIRST_ITEM_ID)]
    counts = np.bincount(clicks, minlength=data.num_items)
    items = np.arange(FIRST_ITEM_ID, data.num_items)
    ranking = items[np.lexsort((items, -counts[FIRST_ITEM_ID:]))][:k + data.max_steps]
    hits = hit_users = ranked = 0
    for user in np.flatnonzero(data.split == split_code):
        click = data.click[user]
        later = click[data.t_testsplit:]
        later = later[later >= FIRST_ITEM_ID]
        if len(later) == 0:
            continue
        excluded = set(click[:data.t_testsplit].tolist())
        top = [item for item in ranking.tolist() if item not in excluded][:k]
        found = sum(1 for item in later.tolist() if item in set(top))
        hits += found
        hit_users += found > 0
        ranked += 1
    return {f"hits@{k}": hits / max(1, ranked), f"hitrate@{k}": hit_users / max(1, ranked),
            "users": ranked}


def load(finn_dir, converted_dir):
    with open(os.path.join(converted_dir, "manifest.json")) as f:
        manifest = json.load(f)
    data = FinnData(finn_dir, manifest)
    stored = read_converted_split(converted_dir, manifest)
    split_check = "not checked (no h5dump)"
    if stored is not None:
        if not np.array_equal(stored, data.split):
            bad = int(np.flatnonzero(stored != data.split)[0])
            raise SystemExit(f"split mismatch at user row {bad}: shards say {stored[bad]}, "
                             f"reproduced {data.split[bad]}")
        split_check = "identical to the shards' /users/split"
    return data, split_check
