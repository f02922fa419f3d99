#!/usr/bin/env python3
"""Prints trained models' test metrics side by side with the popularity baseline and the
generator's ceilings (truth.json): the oracle (the generator's own exposure and choice process
rolled out from each user's true state, docs/GENERATOR.md "The oracle"), with the Monte-Carlo
standard error of its figure and the share of it each model reaches, and the choice model's
ranking (taste utility plus log exposure weight, which ignores what the exposure policy will
show; a trained model can pass it).

usage: compare_with_truth.py SUMMARY_JSON TRUTH_JSON
       compare_with_truth.py TRUTH_JSON NAME=SUMMARY_JSON [NAME=SUMMARY_JSON ...]
SUMMARY_JSON: the last line slatetrain prints (the first form names its column "model");
TRUTH_JSON: written by `slateconvert synth` (without an oracle, from --no-oracle or an older
generator, its columns show '-'). Models trained on the same data share one popularity column;
summaries whose popularity figures differ are an error (not the same data or split).
Standard library only."""
import json
import sys

METRICS = ("hitrate@10", "hitrate@20", "hits@20", "ndcg@10", "ndcg@20", "loglik")


def cell(value, width, digits=4):
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def parse_arguments(arguments):
    """[(name, summary path)], truth path; None when the arguments are neither form."""
    if len(arguments) == 2 and not any("=" in a for a in arguments):
        return [("model", arguments[0])], arguments[1]
    if len(arguments) < 2 or "=" in arguments[0]:
        return None
    models = []
    for argument in arguments[1:]:
        name, equals, path = argument.partition("=")
        if not equals or not name or not path:
            return None
        models.append((name, path))
    return models, arguments[0]


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        raise SystemExit(f"compare_with_truth.py: {what} {path}: {error}")


def main() -> int:
    parsed = parse_arguments(sys.argv[1:])
    if parsed is None:
        print(__doc__, file=sys.stderr)
        return 2
    named_paths, truth_path = parsed
    summaries = [(name, read_json(path, "summary")) for name, path in named_paths]
    truth = read_json(truth_path, "truth")
    for (name, summary), path in zip(summaries, (p for _, p in named_paths)):
        if "test" not in summary or "popularity" not in summary:
            raise SystemExit(f"compare_with_truth.py: summary {path} ({name}) has no 'test' or "
                             f"'popularity': not slatetrain's last line")
    popularity = summaries[0][1]["popularity"]
    for name, summary in summaries[1:]:
        for key, value in popularity.items():
            other = summary["popularity"].get(key)
            if isinstance(value, float) and other is not None and abs(other - value) > 1e-9:
                raise SystemExit(f"compare_with_truth.py: popularity {key} is {value} for "
                                 f"{summaries[0][0]} but {other} for {name}: the models were "
                                 f"not evaluated on the same data")
    choice = truth["test"]
    oracle = (truth.get("oracle") or {}).get("test", {})
    errors = oracle.get("monte_carlo_standard_error", {})
    widths = [max(10, len(name) + 2) for name, _ in summaries]
    ratio_widths = [max(14, len(name) + 9) for name, _ in summaries]
    header = f"{'test metric':<14}"
    header += "".join(f"{name:>{w}}" for (name, _), w in zip(summaries, widths))
    header += f"{'popularity':>12}{'oracle':>10}{'± (MC)':>9}"
    header += "".join(f"{name + '/oracle':>{w}}" for (name, _), w in zip(summaries, ratio_widths))
    print(header + f"{'choice model':>14}")
    for metric in METRICS:
        if not any(metric in summary["test"] for _, summary in summaries):
            continue
        ceiling = oracle.get(metric)
        values = [summary["test"].get(metric) for _, summary in summaries]
        line = f"{metric:<14}" + "".join(cell(v, w) for v, w in zip(values, widths))
        line += f"{cell(popularity.get(metric), 12)}{cell(ceiling, 10)}{cell(errors.get(metric), 9)}"
        line += "".join(cell(v / ceiling if ceiling and v is not None else None, w, 2)
                        for v, w in zip(values, ratio_widths))
        print(line + cell(choice.get(metric), 14))
    if oracle:
        print(f"oracle: {truth['oracle']['rollouts']} rollouts per user, {oracle['users']} users; "
              f"choice model: its own ranking, not a ceiling")
    for name, summary in summaries:
        print(f"training {name}: {summary.get('interactions_per_s', 0):,.0f} interactions/s, "
              f"wall {summary.get('wall_s', 0):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
