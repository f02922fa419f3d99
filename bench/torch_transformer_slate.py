"""The transformer user model of docs/MODELS.md (model.kind transformer) in PyTorch with the slate
objective, for bench/transformer_benchmark.py. Data, batches, split, optimizers, schedule,
clipping, slate loss and evaluation are bench/torch_gru_slate.py's; only the user model differs.

The model is slatetrain's (models/transformer_user_model.hpp, models/transformer_encoder.hpp):
  x_t = E[click_t] (+ type vector) + P[t] at each click on an item (t: the step in the window),
  dropout on x; pre-norm blocks  x = x + drop(attn(LN1 x)),  x = x + drop(FFN(LN2 x))  with
  causal multi-head attention over the clicks (dropout on the probabilities) and
  FFN = Linear, GELU (erf), dropout, Linear; a final LayerNorm. The user vector for step t is the
  output at the user's last click before t (zeros before the first).
It runs the way an efficient PyTorch implementation would: each user's clicks packed to the
front of a [B, L] sequence (L: the batch's most clicks), so plain causal attention over the packed
positions is attention over earlier clicks only (the padding after a user's last click is never
a key of a real query, and its outputs are never read). With PyTorch >= 2.0 the attention is
torch.nn.functional.scaled_dot_product_attention(is_causal=True) (fused kernels); on 1.13 it is
written out. Dropout is torch's own (slatetrain's masks are a counter-based hash; the figures
compared here are speed and the loss curve, not bitwise values). Initial values follow
slatetrain's (models/transformer_encoder.cpp: PyTorch's nn.MultiheadAttention and nn.Linear
defaults; positions normal(0, 0.02)).
"""
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import torch_gru_slate as common

HAS_FUSED_ATTENTION = hasattr(F, "scaled_dot_product_attention")


class Block(nn.Module):
    def __init__(self, dim, heads, ffn, dropout, attention_dropout, epsilon):
        super().__init__()
        self.heads, self.attention_dropout = heads, attention_dropout
        self.layer_norm1 = nn.LayerNorm(dim, eps=epsilon)
        self.in_projection = nn.Linear(dim, 3 * dim)
        self.out_projection = nn.Linear(dim, dim)
        self.layer_norm2 = nn.LayerNorm(dim, eps=epsilon)
        self.feed_forward_in = nn.Linear(dim, ffn)
        self.feed_forward_out = nn.Linear(ffn, dim)
        self.dropout = nn.Dropout(dropout)
        bound = math.sqrt(6.0 / (dim + 3 * dim))  # nn.MultiheadAttention's xavier_uniform_
        nn.init.uniform_(self.in_projection.weight, -bound, bound)
        nn.init.zeros_(self.in_projection.bias)
        nn.init.uniform_(self.out_projection.weight, -1 / math.sqrt(dim), 1 / math.sqrt(dim))
        nn.init.zeros_(self.out_projection.bias)

    def attention(self, x):
        B, L, D = x.shape
        H = self.heads
        q, k, v = self.in_projection(x).view(B, L, 3, H, D // H).permute(2, 0, 3, 1, 4)
        p = self.attention_dropout if self.training else 0.0
        if HAS_FUSED_ATTENTION:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(D // H)
            causal = torch.ones(L, L, dtype=torch.bool).triu(1)
            probabilities = scores.masked_fill(causal, float("-inf")).softmax(-1)
            out = F.dropout(probabilities, p, self.training) @ v
        return self.out_projection(out.transpose(1, 2).reshape(B, L, D))

    def forward(self, x):
        x = x + self.dropout(self.attention(self.layer_norm1(x)))
        hidden = self.dropout(F.gelu(self.feed_forward_in(self.layer_norm2(x))))
        return x + self.dropout(self.feed_forward_out(hidden))


class TorchTransformerSlateModel(nn.Module):
    def __init__(self, num_items, settings):
        super().__init__()
        D = settings["dim"]
        self.dim = D
        self.items = nn.Embedding(num_items, D, sparse=True)
        nn.init.normal_(self.items.weight, 0.0, settings["init_scale"])
        self.positions = nn.Parameter(0.02 * torch.randn(settings["max_length"], D))
        self.type_vectors = None
        if settings["interaction_type_embedding"]:
            self.type_vectors = nn.Parameter(0.1 * torch.randn(common.INTERACTION_TYPES, D))
        self.input_dropout = nn.Dropout(settings["dropout"])
        self.blocks = nn.ModuleList(
            Block(D, settings["heads"], settings["ffn"], settings["dropout"],
                  settings["attention_dropout"], settings["layer_norm_epsilon"])
            for _ in range(settings["layers"]))
        self.final_layer_norm = nn.LayerNorm(D, eps=settings["layer_norm_epsilon"])
        self.no_click_bias = nn.Parameter(torch.zeros(common.NO_CLICK_BIAS_SIZE))

    def dense_parameters(self):
        return [p for name, p in self.named_parameters() if not name.startswith("items.")]

    def states(self, batch, rows):
        """[B * (L + 1), D] as the GRU's: per user zeros, then the output at each click."""
        B, L, D = batch.batch_users, batch.max_clicks, self.dim
        if not hasattr(batch, "t_click_step"):
            batch.t_click_step = torch.from_numpy(np.nonzero(batch.advance)[1])
        x = rows[batch.t_click_rows] + self.positions[batch.t_click_step]
        if self.type_vectors is not None:
            x = x + self.type_vectors[batch.t_click_type]
        x = x.new_zeros(B * L, D).index_copy(0, batch.t_click_slot, x).view(B, L, D)
        x = self.input_dropout(x)
        for block in self.blocks:
            x = block(x)
        out = self.final_layer_norm(x)
        return torch.cat([out.new_zeros(B, 1, D), out], 1).reshape(B * (L + 1), D)

    def slate_loss_sum(self, batch):
        rows = self.items(batch.t_unique_ids)
        user = self.states(batch, rows)[batch.t_loss_state]
        return common.slate_loss_sum(rows, user, batch, self.no_click_bias)

    @torch.no_grad()
    def user_vectors(self, batch, steps_seen):
        rows = self.items(batch.t_unique_ids)
        states = self.states(batch, rows)
        B, L = batch.batch_users, batch.max_clicks
        seen = torch.from_numpy(batch.clicks_before[:, steps_seen - 1] +
                                batch.advance[:, steps_seen - 1])
        return states[torch.arange(B) * (L + 1) + seen]


def build_model(data, settings):
    return TorchTransformerSlateModel(data.num_items, settings)


def train(data, settings, log=print):
    return common.train(data, settings, log=log, build_model=build_model)
