#!/usr/bin/python3
"""Issue 12's quality table: every user model with every objective, on generated data at three
densities and several seeds, and on MovieLens-100K under leave-one-out, in one run.

For each generated dataset (`slateconvert synth`, then `slateconvert finn`) every variant trains
with `mpirun -np RANKS slatetrain CONFIG --set ...`; the test figures are the training summary's
`test` (measured on checkpoints/best.h5, the best validation's weights). Beside them: the
popularity baseline on the same users (the summary's `popularity`), the generator's oracle and its
true choice model (truth.json). ml-100k runs the catalogue objectives only (it has no slates).

Prints one Markdown table per dataset kind, writes them with every figure to --report and --json,
and draws the validation curves of each dataset's runs (launch/plot-run.py) next to the report.
Never part of CI: minutes per run on 2 cores.

usage: bench/quality_table.py [--densities 20000x3000,20000x12000,20000x40000] [--seeds 1,2,3]
                              [--variants NAME,...] [--ranks 2] [--work out/quality]
                              [--report bench/results/quality_table.md] [--no-ml100k]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from step_floor import read_config_keys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (config, overrides). The defaults are the shipped files as they are; the others
# change one thing each (the slate variants are the slate objective as the paper has it: no
# slate head).
VARIANTS = {
    "gru default": ("configs/gru-small.yaml", []),
    "gru slate": ("configs/gru-small.yaml", ["objective.kind=slate", "objective.slate_head=none"]),
    "gru full_softmax": ("configs/gru-small.yaml", ["objective.kind=full_softmax"]),
    "gru sampled popularity": ("configs/gru-small.yaml",
                               ["objective.kind=sampled_softmax", "objective.sampler=popularity",
                                "objective.negatives=256"]),
    "gru mixed": ("configs/gru-small.yaml",
                  ["objective.kind=mixed", "objective.catalogue=full_softmax"]),
    "transformer default": ("configs/transformer-small.yaml", []),
    "transformer slate": ("configs/transformer-small.yaml",
                          ["objective.kind=slate", "objective.slate_head=none"]),
    "transformer full_softmax": ("configs/transformer-small.yaml",
                                 ["objective.kind=full_softmax"]),
    "transformer mixed": ("configs/transformer-small.yaml",
                          ["objective.kind=mixed", "objective.catalogue=full_softmax"]),
}
DEFAULT_VARIANTS = ["gru default", "gru slate", "gru full_softmax", "gru sampled popularity",
                    "gru mixed", "transformer default", "transformer slate",
                    "transformer full_softmax"]
# The slate objective needs slates: these variants are skipped on session data.
NEEDS_SLATES = ("slate", "mixed")
METRICS = ["hitrate@20", "hits@20", "ndcg@10", "coverage@20", "loglik"]


def log(message):
    print(f"[quality_table {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command, log_path=None):
    """Runs command; its stdout's last line is returned (the JSON summaries)."""
    with open(log_path or os.devnull, "w") as log_file:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=log_file, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}"
                           + (f" (stderr in {log_path})" if log_path else ""))
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def mpirun(ranks):
    command = ["mpirun", "-np", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command


def train(args, config, overrides, data_path, run_dir):
    command = mpirun(args.ranks) + [os.path.join(args.build, "bin", "slatetrain"),
                                    os.path.join(ROOT, config),
                                    "--set", f"data.path={data_path}", "--set", f"run.dir={run_dir}"]
    for override in overrides + args.set:
        command += ["--set", override]
    if os.path.exists(os.path.join(run_dir, "checkpoints")):
        command.append("--overwrite")
    os.makedirs(os.path.dirname(run_dir), exist_ok=True)
    start = time.time()
    summary = json.loads(run(command, run_dir + ".log"))
    summary["wall_s_measured"] = time.time() - start
    return summary


def generated_dataset(args, users, items, seed):
    """synth + finn conversion (reused when already made by this script); returns paths."""
    directory = os.path.join(args.work, f"data-{users}x{items}-seed{seed}")
    finn, converted = os.path.join(directory, "finn"), os.path.join(directory, "converted")
    if not os.path.exists(os.path.join(converted, "manifest.json")):
        os.makedirs(directory, exist_ok=True)
        slateconvert = os.path.join(args.build, "bin", "slateconvert")
        run([slateconvert, "synth", "--output", finn, "--users", str(users), "--items", str(items),
             "--seed", str(seed), "--force"], os.path.join(directory, "synth.log"))
        run([slateconvert, "finn", "--input", finn, "--output", converted, "--shards", "4",
             "--force", "--quiet"], os.path.join(directory, "convert.log"))
    return directory, finn, converted


def ml100k_dataset(args):
    directory = os.path.join(args.work, "data-ml-100k")
    converted = os.path.join(directory, "converted")
    if not os.path.exists(os.path.join(converted, "manifest.json")):
        os.makedirs(directory, exist_ok=True)
        data = subprocess.run(["bash", os.path.join(ROOT, "launch", "fetch-ml-100k.sh")],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        run([os.path.join(args.build, "bin", "slateconvert"), "sessions", "--format", "recbole",
             "--input", os.path.join(data, "ml-100k.inter"), os.path.join(data, "ml-100k.item"),
             "--output", converted, "--shards", "2", "--protocol", "leave-one-out", "--force",
             "--quiet"], os.path.join(directory, "convert.log"))
    return directory, converted


def figures(summary_part):
    return {metric: summary_part.get(metric) for metric in METRICS}


def plot(args, label, runs):
    """Validation curves of a dataset's runs, overlaid, beside the report."""
    if not runs:
        return None
    # Named after the report too, so that two reports in one folder keep their own pictures.
    report = os.path.abspath(args.report)
    stem = os.path.splitext(os.path.basename(report))[0]
    output = os.path.join(os.path.dirname(report), f"{stem}-curves-{label}.png")
    command = ["/usr/bin/python3", os.path.join(ROOT, "launch", "plot-run.py")]
    command += [run_dir for _, run_dir in runs]
    command += ["--labels", ",".join(name.replace(",", " ") for name, _ in runs),
                "--output", output]
    try:
        run(command, os.path.join(args.work, f"plot-{label}.log"))
    except RuntimeError as error:
        log(f"plot {label}: {error}")
        return None
    return output


def generated_rows(args, variants):
    results = []
    for density in args.densities.split(","):
        users, items = (int(x) for x in density.split("x"))
        for seed in (int(s) for s in args.seeds.split(",")):
            directory, finn, converted = generated_dataset(args, users, items, seed)
            truth = json.load(open(os.path.join(finn, "truth.json")))
            oracle = (truth.get("oracle") or {}).get("test", {})
            entry = {"dataset": f"{users}x{items}", "users": users, "items": items, "seed": seed,
                     "users_per_item": users / items,
                     "oracle": {m: oracle.get(m) for m in ("hitrate@20", "hits@20", "ndcg@10")},
                     "true_model": {"hitrate@20": truth["test"].get("hitrate@20"),
                                    "hits@20": truth["test"].get("hits@20"),
                                    "loglik": truth["test"].get("loglik")},
                     "runs": {}}
            curves = []
            for name in variants:
                config, overrides = VARIANTS[name]
                run_dir = os.path.join(directory, "runs", name.replace(" ", "-"))
                log(f"{users}x{items} seed {seed}: {name}")
                try:
                    summary = train(args, config, overrides, converted, run_dir)
                except RuntimeError as error:
                    log(f"  failed: {error}")
                    entry["runs"][name] = {"error": str(error)}
                    continue
                entry["popularity"] = figures(summary["popularity"])
                entry["runs"][name] = {"test": figures(summary["test"]),
                                       "test_last": figures(summary.get("test_last") or {}),
                                       "best_step": summary["best"]["step"],
                                       "steps": summary["steps"],
                                       "interactions_per_s": summary["interactions_per_s"],
                                       "wall_s": summary["wall_s_measured"]}
                log(f"  test hitrate@20 {summary['test']['hitrate@20']:.4f} (popularity "
                    f"{summary['popularity']['hitrate@20']:.4f}, oracle "
                    f"{oracle.get('hitrate@20', float('nan')):.4f})")
                curves.append((name, run_dir))
                save(args, {"generated": results + [entry]})
            entry["curves"] = plot(args, f"{users}x{items}-seed{seed}", curves)
            results.append(entry)
            save(args, {"generated": results})
    return results


def ml100k_rows(args, variants):
    directory, converted = ml100k_dataset(args)
    entry = {"dataset": "ml-100k", "runs": {}}
    curves = []
    for name in variants:
        config, overrides = VARIANTS[name]
        if any(word in name.split()[1:] for word in NEEDS_SLATES):
            continue
        kind = session_objective(config, overrides)
        if kind is None:
            continue
        if kind != effective_objective(config, overrides).get("objective.kind"):
            # A variant with the slate term trains its catalogue term alone on session data.
            overrides = overrides + [f"objective.kind={kind}"]
        run_dir = os.path.join(directory, "runs", name.replace(" ", "-"))
        log(f"ml-100k: {name}")
        # The config's model and objective; the schedule scaled to 943 users (20 users per
        # step, validation every epoch, RecBole's early stopping) and RecBole's evaluation rule.
        steps_per_epoch = -(-943 // (10 * args.ranks))
        ml_overrides = overrides + [
            "schedule.batch_users=10", "schedule.epochs=40", "schedule.warmup_steps=0",
            f"evaluation.every_steps={steps_per_epoch}", "evaluation.patience=6",
            f"checkpoint.every_steps={steps_per_epoch}", "evaluation.exclude_seen=false",
            "evaluation.metric=ndcg@10", "model.max_length=50"]
        try:
            summary = train(args, config, ml_overrides, converted, run_dir)
        except RuntimeError as error:
            log(f"  failed: {error}")
            entry["runs"][name] = {"error": str(error)}
            continue
        entry["popularity"] = {m: summary["popularity"].get(m)
                               for m in ("ndcg@10", "hitrate@10", "mrr@10", "coverage@20")}
        entry["runs"][name] = {m: summary["test"].get(m)
                               for m in ("ndcg@10", "hitrate@10", "mrr@10", "coverage@20")}
        entry["runs"][name]["best_step"] = summary["best"]["step"]
        log(f"  test ndcg@10 {summary['test']['ndcg@10']:.4f}")
        curves.append((name, run_dir))
    entry["curves"] = plot(args, "ml-100k", curves)
    return entry


def effective_objective(config, overrides):
    """The objective.* keys of a config file with a variant's overrides applied."""
    keys = {k: v for k, v in read_config_keys(os.path.join(ROOT, config)).items()
            if k.startswith("objective.")}
    for override in overrides:
        key, _, value = override.partition("=")
        if key.startswith("objective."):
            keys[key] = value
    return keys


def session_objective(config, overrides):
    """The objective a variant trains with on session data (no slates): its own when it is a
    catalogue objective, the catalogue term of a mixed one alone, None (not run) for the slate
    objective alone."""
    keys = effective_objective(config, overrides)
    kind = keys.get("objective.kind")
    if kind == "slate":
        return None
    if kind == "mixed":
        return keys.get("objective.catalogue", "sampled_softmax")
    return kind


def mean_and_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def markdown(args, variants, generated, ml100k):
    lines = [f"Command: `{' '.join(sys.argv)}` on {os.cpu_count()} cores "
             f"(load average at the end {os.getloadavg()[0]:.1f}). Test figures on best.h5, mean ± "
             "standard deviation over seeds. hitrate@20 / pop: the model's over popularity's; "
             "/ oracle: over the generator's oracle's.", ""]
    for dataset in dict.fromkeys(e["dataset"] for e in generated):
        entries = [e for e in generated if e["dataset"] == dataset]
        first = entries[0]
        seeds = ",".join(str(e["seed"]) for e in entries)
        lines.append(f"### {dataset} ({first['users_per_item']:.1f} users per item; seeds {seeds})")
        lines.append("")
        lines.append("| model, objective | hitrate@20 | × pop | / oracle | hits@20 | ndcg@10 | "
                     "coverage@20 | in-slate loglik |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in variants:
            runs = [e["runs"].get(name, {}) for e in entries]
            tests = [r.get("test", {}) for r in runs if "test" in r]
            ratio_pop = [t["hitrate@20"] / e["popularity"]["hitrate@20"]
                         for t, e in zip(tests, entries) if "popularity" in e]
            ratio_oracle = [t["hitrate@20"] / e["oracle"]["hitrate@20"]
                            for t, e in zip(tests, entries) if e["oracle"].get("hitrate@20")]
            lines.append(f"| {name} | {mean_and_spread([t.get('hitrate@20') for t in tests])} | "
                         f"{mean_and_spread(ratio_pop)} | {mean_and_spread(ratio_oracle)} | "
                         f"{mean_and_spread([t.get('hits@20') for t in tests])} | "
                         f"{mean_and_spread([t.get('ndcg@10') for t in tests])} | "
                         f"{mean_and_spread([t.get('coverage@20') for t in tests])} | "
                         f"{mean_and_spread([t.get('loglik') for t in tests])} |")
        pops = [e.get("popularity", {}) for e in entries]
        lines.append(f"| popularity | {mean_and_spread([p.get('hitrate@20') for p in pops])} | 1 | "
                     f"| {mean_and_spread([p.get('hits@20') for p in pops])} | "
                     f"{mean_and_spread([p.get('ndcg@10') for p in pops])} | "
                     f"{mean_and_spread([p.get('coverage@20') for p in pops])} | |")
        lines.append(f"| generator's oracle | "
                     f"{mean_and_spread([e['oracle'].get('hitrate@20') for e in entries])} | | 1 | "
                     f"{mean_and_spread([e['oracle'].get('hits@20') for e in entries])} | "
                     f"{mean_and_spread([e['oracle'].get('ndcg@10') for e in entries])} | | |")
        lines.append(f"| generator's choice model | "
                     f"{mean_and_spread([e['true_model'].get('hitrate@20') for e in entries])} | "
                     f"| | {mean_and_spread([e['true_model'].get('hits@20') for e in entries])} "
                     f"| | | {mean_and_spread([e['true_model'].get('loglik') for e in entries])} |")
        curves = [e["curves"] for e in entries if e.get("curves")]
        if curves:
            lines.append("")
            lines.append("Validation curves: " + ", ".join(
                f"[seed {e['seed']}]({os.path.basename(e['curves'])})" for e in entries
                if e.get("curves")))
        lines.append("")
    if ml100k:
        lines.append("### ml-100k, leave-one-out, nothing excluded (RecBole's rule)")
        lines.append("")
        lines.append("| model, objective | ndcg@10 | hitrate@10 | mrr@10 | coverage@20 | best step |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for name, figures_of_run in ml100k["runs"].items():
            if "error" in figures_of_run:
                lines.append(f"| {name} | failed | | | | |")
                continue
            lines.append(f"| {name} | {figures_of_run['ndcg@10']:.4f} | "
                         f"{figures_of_run['hitrate@10']:.4f} | {figures_of_run['mrr@10']:.4f} | "
                         f"{figures_of_run['coverage@20']:.4f} | {figures_of_run['best_step']} |")
        pop = ml100k.get("popularity", {})
        if pop:
            lines.append(f"| popularity | {pop['ndcg@10']:.4f} | {pop['hitrate@10']:.4f} | "
                         f"{pop['mrr@10']:.4f} | {pop['coverage@20']:.4f} | |")
        lines.append("")
    return "\n".join(lines)


def save(args, document):
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    temporary = args.json + ".tmp"
    with open(temporary, "w") as out:
        json.dump(document, out, indent=1)
    os.replace(temporary, args.json)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--densities", default="20000x3000,20000x12000,20000x40000",
                        help="USERSxITEMS,... (users per item about 6.7, 1.7 and 0.5)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                        help="from: " + ", ".join(VARIANTS))
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=CONFIG:K=V;K=V",
                        help="an extra variant: a config file and overrides")
    parser.add_argument("--set", action="append", default=[], help="override for every run")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--build", default=os.environ.get("SLATETRAIN_BUILD_DIR",
                                                          os.path.join(ROOT, "build")))
    parser.add_argument("--work", default=os.path.join(ROOT, "out", "quality"))
    parser.add_argument("--report", default=os.path.join(ROOT, "bench", "results",
                                                         "quality_table.md"))
    parser.add_argument("--json")
    parser.add_argument("--no-ml100k", action="store_true")
    parser.add_argument("--no-generated", action="store_true")
    args = parser.parse_args()
    args.json = args.json or os.path.join(args.work, "quality_table.json")
    for extra in args.variant:
        name, _, rest = extra.partition("=")
        config, _, overrides = rest.partition(":")
        VARIANTS[name] = (config, [o for o in overrides.split(";") if o])
    variants = [v for v in args.variants.split(",") if v] + [e.partition("=")[0]
                                                              for e in args.variant]
    for name in variants:
        if name not in VARIANTS:
            parser.error(f"unknown variant '{name}'")
    os.makedirs(args.work, exist_ok=True)
    generated = [] if args.no_generated else generated_rows(args, variants)
    ml100k = None if args.no_ml100k else ml100k_rows(args, variants)
    save(args, {"generated": generated, "ml100k": ml100k})
    report = markdown(args, variants, generated, ml100k)
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report + ".tmp", "w") as out:
        out.write("# Quality table (bench/quality_table.py)\n\n" + report)
    os.replace(args.report + ".tmp", args.report)
    print(report)


if __name__ == "__main__":
    main()
