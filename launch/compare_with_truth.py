#!/usr/bin/env python3
"""Prints a trained model's test metrics beside the popularity baseline and the generator's
ceilings (truth.json): the oracle (the generator's own exposure and choice process rolled out
from each user's true state, docs/GENERATOR.md "The oracle"), with the Monte-Carlo standard
error of its figure and the share of it the model reaches, and the choice model's ranking
(taste utility plus log exposure weight, which ignores what the exposure policy will show; a
trained model can pass it).

usage: compare_with_truth.py SUMMARY_JSON TRUTH_JSON
SUMMARY_JSON: the last line slatetrain prints; TRUTH_JSON: written by `slateconvert synth`
(without an oracle, from --no-oracle or an older generator, its columns show '-').
Standard library only."""
import json
import sys

METRICS = ("hitrate@10", "hitrate@20", "hits@20", "ndcg@10", "ndcg@20", "loglik")


def cell(value, width, digits=4):
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        summary = json.load(f)
    with open(sys.argv[2]) as f:
        truth = json.load(f)
    model, popularity, choice = summary["test"], summary["popularity"], truth["test"]
    oracle = (truth.get("oracle") or {}).get("test", {})
    errors = oracle.get("monte_carlo_standard_error", {})
    print(f"{'test metric':<14}{'model':>10}{'popularity':>12}{'oracle':>10}{'± (MC)':>9}"
          f"{'model/oracle':>14}{'choice model':>14}")
    for name in METRICS:
        if name not in model:
            continue
        ceiling = oracle.get(name)
        ratio = model[name] / ceiling if ceiling else None
        print(f"{name:<14}{cell(model[name], 10)}{cell(popularity.get(name), 12)}"
              f"{cell(ceiling, 10)}{cell(errors.get(name), 9)}{cell(ratio, 14, 2)}"
              f"{cell(choice.get(name), 14)}")
    if oracle:
        print(f"oracle: {truth['oracle']['rollouts']} rollouts per user, {oracle['users']} users; "
              f"choice model: its own ranking, not a ceiling")
    print(f"training: {summary.get('interactions_per_s', 0):,.0f} interactions/s, "
          f"wall {summary.get('wall_s', 0):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
