#!/usr/bin/python3
"""Recommendations from a `slatetrain export` directory alone, in NumPy: the reference for what
the export's model.json says (docs/USING_A_MODEL.md), for both user models (gru, transformer).

usage: export_reference.py EXPORT_DIR --input HISTORIES.jsonl --k K [--exclude-seen true|false]

Reads the histories as `slatetrain recommend --input` does (JSON lines {"user", "items",
"interaction_types"}, items in the source's ids) and prints, one JSON line per history, the
user, its line and its top K recommendations {"item", "group", "score"}, as recommend prints
them. The math is float64 (the model's float32 weights), so scores agree with recommend's to
about 1e-6. Needs numpy (Debian: /usr/bin/python3 with python3-numpy).
"""
import argparse
import json
import math
import os
import sys

import numpy as np


class Export:
    def __init__(self, directory):
        with open(os.path.join(directory, "model.json")) as f:
            self.description = json.load(f)
        if self.description.get("format") != "slatetrain-model-export":
            raise SystemExit(f"{directory}: not a slatetrain export (model.json format)")
        self.model = self.description["model"]
        self.ids = self.description["ids"]
        self.items = np.load(os.path.join(directory, self.description["items"]["file"])).astype(
            np.float64)
        self.parameters = {
            p["name"]: np.load(os.path.join(directory, p["file"])).astype(np.float64)
            for p in self.description["parameters"]}
        self.item_lines = []
        with open(os.path.join(directory, self.description["items"]["ids_file"])) as f:
            for line in f:
                self.item_lines.append(json.loads(line))
        self.by_id = {}
        for entry in self.item_lines:
            if entry["id"] is None:
                continue
            key = str(entry["id"])
            self.by_id[key] = -2 if key in self.by_id else entry["index"]
            if "locale" in entry:
                self.by_id[f"{key}@{entry['locale']}"] = entry["index"]
        self.types = self.description["interaction_types"]

    def item_index(self, original, where):
        index = self.by_id.get(str(original), -1)
        if index < 0:
            raise SystemExit(f"{where}: item {json.dumps(original)} is not (or not uniquely) "
                             "in the catalogue")
        return index

    def type_index(self, value, where):
        if isinstance(value, int) and 0 <= value < len(self.types):
            return value
        if isinstance(value, str) and value in self.types:
            return self.types.index(value)
        raise SystemExit(f"{where}: interaction type {json.dumps(value)} is unknown")

    def inputs(self, items, types):
        """x_t [n, D]: the item vectors plus the interaction type vectors."""
        x = self.items[items].copy()
        if self.model["interaction_type_embedding"]:
            x += self.parameters["interaction_type_embedding"][types]
        return x

    def user_vector(self, items, types):
        if self.model["kind"] == "gru":
            return self.gru_user(items, types)
        return self.transformer_user(items, types)

    def gru_user(self, items, types):
        p = self.parameters
        hidden = self.model["hidden"]
        h = np.zeros(hidden)
        if not items:
            return np.zeros(self.model["dim"])
        for x in self.inputs(items, types):
            gates_x = p["gru.weight_ih"] @ x + p["gru.bias_ih"]
            gates_h = p["gru.weight_hh"] @ h + p["gru.bias_hh"]
            r = sigmoid(gates_x[:hidden] + gates_h[:hidden])
            z = sigmoid(gates_x[hidden:2 * hidden] + gates_h[hidden:2 * hidden])
            n = np.tanh(gates_x[2 * hidden:] + r * gates_h[2 * hidden:])
            h = (1 - z) * n + z * h
        return p["output.weight"] @ h

    def transformer_user(self, items, types):
        p = self.parameters
        m = self.model
        dim, heads, epsilon = m["dim"], m["heads"], m["layer_norm_epsilon"]
        window = m["max_length"]
        items, types = items[-window:], types[-window:]
        if not items:
            return np.zeros(dim)  # no input event: no output to read
        steps = len(items)
        x = self.inputs(items, types) + p["transformer.position_embedding"][:steps]
        head_dim = dim // heads
        causal = np.tril(np.ones((steps, steps), dtype=bool))
        for layer in range(m["layers"]):
            block = f"transformer.blocks.{layer}."
            a = layer_norm(x, p[block + "layer_norm1.weight"], p[block + "layer_norm1.bias"],
                           epsilon)
            qkv = a @ p[block + "attention.in_projection.weight"].T + p[
                block + "attention.in_projection.bias"]
            q, k, v = qkv[:, :dim], qkv[:, dim:2 * dim], qkv[:, 2 * dim:]
            attended = np.zeros((steps, dim))
            for head in range(heads):
                part = slice(head * head_dim, (head + 1) * head_dim)
                logits = q[:, part] @ k[:, part].T / math.sqrt(head_dim)
                logits = np.where(causal, logits, -np.inf)
                weights = np.exp(logits - logits.max(axis=1, keepdims=True))
                weights /= weights.sum(axis=1, keepdims=True)
                attended[:, part] = weights @ v[:, part]
            x = x + attended @ p[block + "attention.out_projection.weight"].T + p[
                block + "attention.out_projection.bias"]
            f = layer_norm(x, p[block + "layer_norm2.weight"], p[block + "layer_norm2.bias"],
                           epsilon)
            hidden = f @ p[block + "feed_forward.in_projection.weight"].T + p[
                block + "feed_forward.in_projection.bias"]
            x = x + gelu(hidden) @ p[block + "feed_forward.out_projection.weight"].T + p[
                block + "feed_forward.out_projection.bias"]
        out = layer_norm(x, p["transformer.final_layer_norm.weight"],
                         p["transformer.final_layer_norm.bias"], epsilon)
        return out[-1]

    def recommend(self, user, excluded, k):
        scores = self.items @ user
        allowed = np.ones(len(scores), dtype=bool)
        allowed[:self.ids["first_item"]] = False
        allowed[list(excluded)] = False
        candidates = np.flatnonzero(allowed)
        # Best first, ties to the lower id.
        order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [{"item": self.item_lines[i]["id"], "group": self.item_lines[i]["group"],
                 "score": float(scores[i])} for i in order]


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def layer_norm(x, weight, bias, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * weight + bias


def gelu(v):
    erf = np.vectorize(math.erf)
    return v * (1 + erf(v / math.sqrt(2))) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export")
    parser.add_argument("--input", required=True)
    parser.add_argument("--k", type=int, required=True)
    parser.add_argument("--exclude-seen", choices=["true", "false"], default="true")
    args = parser.parse_args()
    export = Export(args.export)
    with open(args.input) as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            where = f"{args.input}:{number}"
            record = json.loads(text)
            items = [export.item_index(item, where) for item in record["items"]]
            types = [export.type_index(t, where)
                     for t in record.get("interaction_types", [0] * len(items))]
            user = export.user_vector(items, types)
            excluded = set(items) if args.exclude_seen == "true" else set()
            line = {"user": record.get("user"), "line": number,
                    "recommendations": export.recommend(user, excluded, args.k)}
            print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
