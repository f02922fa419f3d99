#!/usr/bin/env python3
"""Prints a trained model's test metrics beside the popularity baseline and the generator's
true model (truth.json), with the share of the true model's figure that the model reaches.

usage: compare_with_truth.py SUMMARY_JSON TRUTH_JSON
SUMMARY_JSON: the last line slatetrain prints; TRUTH_JSON: written by `slateconvert synth`.
Standard library only."""
import json
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        summary = json.load(f)
    with open(sys.argv[2]) as f:
        truth = json.load(f)
    model, popularity, ceiling = summary["test"], summary["popularity"], truth["test"]
    print(f"{'test metric':<14}{'model':>10}{'popularity':>12}{'true model':>12}{'model/true':>12}")
    for name in ("hitrate@10", "hitrate@20", "hits@20", "loglik"):
        if name not in model:
            continue
        row = f"{name:<14}{model[name]:>10.4f}"
        row += f"{popularity[name]:>12.4f}" if name in popularity else f"{'-':>12}"
        if name in ceiling:
            row += f"{ceiling[name]:>12.4f}"
            if name != "loglik" and ceiling[name] > 0:
                row += f"{model[name] / ceiling[name]:>12.2f}"
        print(row)
    print(f"training: {summary.get('interactions_per_s', 0):,.0f} interactions/s, "
          f"wall {summary.get('wall_s', 0):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
