#!/usr/bin/python3
"""`slatetrain recommend` and `slatetrain export` through real mpirun runs (run by CTest, one
case each).

usage: recommend_command_test.py CASE --bin DIR --work DIR

Cases:
  data         generate and convert a FINN-format dataset and a session log (CSV with string
               user and item ids); train a GRU and a transformer on the first, a GRU on the
               second (the fixture of the others)
  gru          on the GRU run's best.h5: recommend --split test at np=1 and np=2 gives the same
               bytes, and its top k recomputes `slatetrain evaluate`'s hitrate@k and hits@k
               (k 10 and 20, exclude-seen true and false; --split valid too); recommend --input at np=1 and np=2
               the same bytes; export at np=2, and launch/export_reference.py (NumPy, the export
               alone) gives recommend --input's items and scores
  transformer  the same for the transformer run
  sessions     the same on session data: users and items in the source's string ids, --input
               in those ids, the hitrate of evaluate, export and its NumPy reference
  refusals     an unknown item id (error naming the file, line and id), bad arguments (exit 2),
               an existing --output file (refused, left as it was), export over a directory that
               is not an export (refused, left as it was), over an earlier export (--force
               needed), --help of both commands and slatetrain --help naming them
Needs numpy (Debian's /usr/bin/python3) for the export comparisons.
"""
import json
import os
import random
import shutil
import subprocess
import sys

from mpi_run_support import CONFIG, check, launcher, main_for, run, settings_arguments

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "launch", "export_reference.py")
USERS, ITEMS = 2000, 300  # about 50 test users
COMMON = ["model.dim=16", "logging.metrics_every_steps=1", "schedule.warmup_steps=0",
          "evaluation.batch_users=16", "evaluation.max_users=0", "evaluation.k=[10,20]",
          "run.device=cpu", "run.threads=1"]
TRAIN = ["schedule.max_steps=8", "schedule.batch_users=32", "evaluation.every_steps=4",
         "evaluation.patience=0", "checkpoint.every_steps=4", "checkpoint.keep=2",
         "optimizer.dense.learning_rate=0.05", "optimizer.embedding.learning_rate=0.05"]
RUNS = {  # name: (data, settings)
    "gru": ("finn", ["model.kind=gru"]),
    "transformer": ("finn", ["model.kind=transformer", "objective.kind=mixed"]),
    "sessions": ("sessions", ["model.kind=gru", "objective.kind=sampled_softmax",
                              "model.interaction_type_embedding=false"]),
}
TOLERANCE = 1e-9
SCORE_TOLERANCE = 2e-5


def data(args, name):
    return os.path.join(args.work, name, "converted")


def run_dir(args, name):
    return os.path.join(args.work, f"run-{name}")


def checkpoint(args, name):
    return os.path.join(run_dir(args, name), "checkpoints", "best.h5")


def model_settings(args, name, extra=()):
    source, settings = RUNS[name]
    return COMMON + settings + [f"data.path={data(args, source)}",
                                f"run.dir={os.path.join(args.work, 'no-such-run-dir')}"] + list(extra)


def slatetrain(args, ranks, command, name, extra_settings=(), expect_ok=True):
    result = run(launcher(ranks) + [os.path.join(args.bin, "slatetrain")] + command +
                 [CONFIG, "--checkpoint", checkpoint(args, name)] +
                 settings_arguments(model_settings(args, name, extra_settings)),
                 expect_ok=expect_ok)
    check(not os.path.exists(os.path.join(args.work, "no-such-run-dir")),
          f"slatetrain {command[0]} created run.dir")
    return result


def recommend(args, name, ranks, output, options, extra_settings=(), expect_ok=True):
    if os.path.exists(output):
        os.remove(output)
    result = slatetrain(args, ranks, ["recommend", "--output", output] + options, name,
                        extra_settings, expect_ok)
    if not expect_ok:
        return result
    with open(output, "rb") as f:
        return f.read()


def read_lines(text):
    return [json.loads(line) for line in text.decode().splitlines()]


# ---- data -----------------------------------------------------------------------------------

def write_session_log(path, seed=3):
    """A click log with string ids: 300 users of 3 to 12 events over 80 items, each user
    drifting through a few item groups, so that a model has something to learn."""
    rng = random.Random(seed)
    rows = ["visitor,sku,ts,kind"]
    for user in range(300):
        start = rng.randrange(80)
        for event in range(rng.randint(3, 12)):
            item = (start + event * rng.choice([1, 2, 3])) % 80
            rows.append(f"visitor-{user:04d},SKU-{item:03d}x,{1000 * user + event},"
                        f"{rng.choice(['view', 'cart'])}")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


def train(args, name):
    source, settings = RUNS[name]
    shutil.rmtree(run_dir(args, name), ignore_errors=True)
    run(launcher(2) + [os.path.join(args.bin, "slatetrain"), CONFIG] +
        settings_arguments(COMMON + TRAIN + settings + [f"data.path={data(args, source)}",
                                                        f"run.dir={run_dir(args, name)}"]))
    check(os.path.isfile(checkpoint(args, name)), f"{name}: no best.h5")


def case_data(args):
    convert = os.path.join(args.bin, "slateconvert")
    base = os.path.join(args.work, "finn")
    shutil.rmtree(base, ignore_errors=True)
    run([convert, "synth", "--output", os.path.join(base, "source"), "--users", str(USERS),
         "--items", str(ITEMS), "--seed", "7"])
    run([convert, "finn", "--input", os.path.join(base, "source"), "--output",
         data(args, "finn"), "--shards", "3"])
    base = os.path.join(args.work, "sessions")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    write_session_log(os.path.join(base, "events.csv"))
    run([convert, "sessions", "--format", "csv", "--input", os.path.join(base, "events.csv"),
         "--user-column", "visitor", "--item-column", "sku", "--time-column", "ts",
         "--type-column", "kind", "--output", data(args, "sessions"), "--shards", "2"])
    for name in RUNS:
        train(args, name)


# ---- the model cases ------------------------------------------------------------------------

def hit_figures(lines, k):
    """hitrate@k and hits@k (docs/METRICS.md) from recommend's split output."""
    hitrate = hits = 0.0
    for line in lines:
        top = [entry["item"] for entry in line["recommendations"][:k]]
        found = sum(1 for item in line["held_out"] if item in top)
        hits += found
        hitrate += 1 if found else 0
    return hitrate / len(lines), hits / len(lines)


def check_split(args, name, exclude_seen, split="test"):
    extra = [f"evaluation.exclude_seen={exclude_seen}"]
    evaluated = json.loads(slatetrain(args, 2, ["evaluate", "--split", split], name, extra)
                           .stdout.strip().splitlines()[-1])["metrics"]
    outputs = {}
    for ranks in (1, 2):
        outputs[ranks] = recommend(
            args, name, ranks,
            os.path.join(args.work, f"{name}-{split}-{exclude_seen}-{ranks}.jsonl"),
            ["--k", "20", "--split", split, "--exclude-seen", exclude_seen])
    check(outputs[1] == outputs[2], f"{name}: recommend --split {split} differs at np=1 and 2")
    lines = read_lines(outputs[1])
    check(len(lines) == evaluated["users"],
          f"{name}: {len(lines)} users recommended, evaluate ranked {evaluated['users']}")
    rows = [line["row"] for line in lines]
    check(rows == sorted(rows), f"{name}: not in dataset row order")
    for line in lines:
        items = [entry["item"] for entry in line["recommendations"]]
        scores = [entry["score"] for entry in line["recommendations"]]
        check(len(items) == 20 and len(set(items)) == 20, f"{name}: a user's list {items}")
        check(scores == sorted(scores, reverse=True), f"{name}: scores not best first {scores}")
    for k in (10, 20):
        hitrate, hits = hit_figures(lines, k)
        print(f"{name} {split} exclude_seen={exclude_seen}: hitrate@{k} {hitrate} (evaluate "
              f"{evaluated[f'hitrate@{k}']}), hits@{k} {hits} (evaluate {evaluated[f'hits@{k}']})")
        check(abs(hitrate - evaluated[f"hitrate@{k}"]) <= TOLERANCE,
              f"{name}: hitrate@{k} from recommend {hitrate} != evaluate's "
              f"{evaluated[f'hitrate@{k}']}")
        check(abs(hits - evaluated[f"hits@{k}"]) <= TOLERANCE,
              f"{name}: hits@{k} from recommend {hits} != evaluate's {evaluated[f'hits@{k}']}")
    return lines


def write_histories(args, name, lines):
    """Histories for --input: some users' held-out items as histories of new users, one empty
    history, one longer than a transformer's window, with interaction types by index and name."""
    path = os.path.join(args.work, f"{name}-histories.jsonl")
    with open(path, "w") as f:
        for number, line in enumerate(lines[:12]):
            items = line["held_out"] + [entry["item"] for entry in line["recommendations"][:3]]
            record = {"user": f"new-{number}", "items": items}
            if number % 2:
                record["interaction_types"] = [1] * len(items)
            f.write(json.dumps(record) + "\n")
        f.write("\n")  # empty lines are skipped
        f.write(json.dumps({"items": []}) + "\n")
        long_history = [entry["item"] for line in lines[:4] for entry in line["recommendations"]]
        f.write(json.dumps({"user": {"id": 7}, "items": long_history[:30]}) + "\n")
    return path


def same_recommendations(got, expected, what):
    check(len(got) == len(expected), f"{what}: {len(got)} lines, expected {len(expected)}")
    for mine, reference in zip(got, expected):
        check(mine["user"] == reference["user"] and mine["line"] == reference["line"],
              f"{what}: line {mine} against {reference}")
        a, b = mine["recommendations"], reference["recommendations"]
        check(len(a) == len(b), f"{what}: line {mine['line']}: {len(a)} items against {len(b)}")
        for x, y in zip(a, b):
            check(abs(x["score"] - y["score"]) <= SCORE_TOLERANCE * max(1.0, abs(y["score"])),
                  f"{what}: line {mine['line']}: score {x} against {y}")
            # The same item, unless two items tie within the tolerance (then either order).
            check(x["item"] == y["item"] or any(
                  z["item"] == x["item"] and abs(z["score"] - x["score"]) <= SCORE_TOLERANCE
                  for z in b), f"{what}: line {mine['line']}: item {x} against {y}")
            check(x["group"] == y["group"] or x["item"] != y["item"], f"{what}: group {x} {y}")


def case_model(args, name):
    lines = check_split(args, name, "true")
    check_split(args, name, "false")
    check_split(args, name, "true", split="valid")
    histories = write_histories(args, name, lines)
    outputs = {}
    for ranks in (1, 2):
        outputs[ranks] = recommend(args, name, ranks,
                                   os.path.join(args.work, f"{name}-input-{ranks}.jsonl"),
                                   ["--k", "10", "--input", histories])
    check(outputs[1] == outputs[2], f"{name}: recommend --input differs at np=1 and np=2")
    recommended = read_lines(outputs[1])
    print(f"{name} --input example: {json.dumps(recommended[0])[:400]}")
    check([line["line"] for line in recommended] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15],
          f"{name}: the input's lines {[line['line'] for line in recommended]}")

    export = os.path.join(args.work, f"{name}-export")
    shutil.rmtree(export, ignore_errors=True)
    slatetrain(args, 2, ["export", "--output", export], name)
    with open(os.path.join(export, "model.json")) as f:
        description = json.load(f)
    check(description["model"]["kind"] == RUNS[name][1][0].split("=")[1],
          f"{name}: model.json kind {description['model']}")
    check(sorted(os.listdir(export)) == sorted(description["files"]),
          f"{name}: the export holds {sorted(os.listdir(export))}, model.json names "
          f"{sorted(description['files'])}")
    reference = subprocess.run([sys.executable, REFERENCE, export, "--input", histories, "--k",
                                "10"], stdout=subprocess.PIPE, text=True, check=True).stdout
    same_recommendations(recommended, [json.loads(line) for line in reference.splitlines()],
                         f"{name}: recommend --input against the NumPy reference on the export")
    # Without exclusion the user's own items may come back: the reference agrees there too.
    mine = read_lines(recommend(args, name, 2, os.path.join(args.work, f"{name}-input-all.jsonl"),
                                ["--k", "10", "--input", histories, "--exclude-seen", "false"]))
    reference = subprocess.run([sys.executable, REFERENCE, export, "--input", histories, "--k",
                                "10", "--exclude-seen", "false"], stdout=subprocess.PIPE,
                               text=True, check=True).stdout
    same_recommendations(mine, [json.loads(line) for line in reference.splitlines()],
                         f"{name}: --exclude-seen false against the NumPy reference")

    # An exact (flat) FAISS index of this model's item vectors serves the same recommendations.
    index = os.path.join(args.work, f"{name}-flat.index")
    if os.path.exists(index):
        os.remove(index)
    slatetrain(args, 1, ["index", "--output", index, "--kind", "flat"], name)
    served = recommend(args, name, 2, os.path.join(args.work, f"{name}-input-index.jsonl"),
                       ["--k", "10", "--input", histories, "--index", index])
    # Identical, except where the k-th score ties with items left out: the exact ranker keeps
    # the lower ids, FAISS any of them (the empty history's zero vector ties every item).
    exact, indexed = read_lines(outputs[1]), read_lines(served)
    check(len(exact) == len(indexed), f"{name}: recommend --index gives {len(indexed)} lines")
    for mine, reference in zip(indexed, exact):
        scores = [entry["score"] for entry in reference["recommendations"]]
        if len(set(scores)) == 1 and len(scores) == 10:
            check([entry["score"] for entry in mine["recommendations"]] == scores,
                  f"{name}: recommend --index on an all-tied line {mine}")
        else:
            check(mine == reference, f"{name}: recommend --index (flat) {mine} against {reference}")
    return recommended


def case_sessions(args):
    recommended = case_model(args, "sessions")
    lines = read_lines(open(os.path.join(args.work, "sessions-test-true-1.jsonl"), "rb").read())
    check(all(line["user"].startswith("visitor-") for line in lines), "session user ids")
    check(all(entry["item"].startswith("SKU-") and entry["item"].endswith("x")
              for line in lines + recommended for entry in line["recommendations"]),
          "session item ids are not the source's")


# ---- refusals -------------------------------------------------------------------------------

def expect_refusal(result, code, *needles):
    print(result.stderr.strip()[-800:])
    check(result.returncode == code, f"exit {result.returncode}, expected {code}")
    for needle in needles:
        check(needle in result.stderr, f"the refusal does not name {needle!r}")


def case_refusals(args):
    name = "gru"
    bad = os.path.join(args.work, "bad-histories.jsonl")
    with open(bad, "w") as f:
        f.write(json.dumps({"user": 1, "items": [5, 6]}) + "\n")
        f.write(json.dumps({"user": 2, "items": [5, 99999]}) + "\n")
    output = os.path.join(args.work, "refused.jsonl")
    for ranks in (1, 2):
        expect_refusal(recommend(args, name, ranks, output, ["--k", "5", "--input", bad],
                                 expect_ok=False), 1, f"{bad}:2", "99999", "not an item")
        check(not os.path.exists(output), "a refused recommend left an output")
    with open(bad, "w") as f:
        f.write(json.dumps({"user": 1, "items": [5], "interaction_types": ["teleport"]}) + "\n")
    expect_refusal(recommend(args, name, 1, output, ["--k", "5", "--input", bad],
                             expect_ok=False), 1, f"{bad}:1", "teleport")

    binary = os.path.join(args.bin, "slatetrain")
    ckpt = checkpoint(args, name)
    for arguments, needle in (
            (["--k", "0"], "--k"), (["--k", "5", "--split", "train"], "--split"),
            (["--k", "5", "--split", "test", "--input", bad], "--input"),
            (["--k", "five"], "--k"), ([], "--k"),
            (["--k", "5", "--exclude-seen", "maybe"], "--exclude-seen")):
        result = run([binary, "recommend", CONFIG, "--checkpoint", ckpt] + arguments,
                     expect_ok=False)
        expect_refusal(result, 2, needle)
    expect_refusal(run([binary, "recommend", CONFIG, "--k", "5"], expect_ok=False), 2,
                   "--checkpoint")
    expect_refusal(run([binary, "export", CONFIG, "--checkpoint", ckpt], expect_ok=False), 2,
                   "--output")

    with open(output, "w") as f:
        f.write("mine\n")
    expect_refusal(slatetrain(args, 2, ["recommend", "--k", "5", "--output", output], name,
                              expect_ok=False), 1, output, "already exists")
    check(open(output).read() == "mine\n", "recommend changed an existing file")
    missing = os.path.join(args.work, "no-such-directory", "out.jsonl")
    expect_refusal(slatetrain(args, 2, ["recommend", "--k", "5", "--output", missing], name,
                              expect_ok=False), 1, missing, "does not exist")

    users_directory = os.path.join(args.work, "users-directory")
    shutil.rmtree(users_directory, ignore_errors=True)
    os.makedirs(users_directory)
    with open(os.path.join(users_directory, "notes.txt"), "w") as f:
        f.write("keep me\n")
    for force in ([], ["--force"]):
        expect_refusal(slatetrain(args, 2, ["export", "--output", users_directory] + force, name,
                                  expect_ok=False), 1, users_directory, "not ours")
        check(os.listdir(users_directory) == ["notes.txt"], "export touched a user's directory")
    export = os.path.join(args.work, "refusals-export")
    shutil.rmtree(export, ignore_errors=True)
    slatetrain(args, 1, ["export", "--output", export], name)
    expect_refusal(slatetrain(args, 1, ["export", "--output", export], name, expect_ok=False), 1,
                   "--force")
    slatetrain(args, 2, ["export", "--output", export, "--force"], name)
    with open(os.path.join(export, "extra.txt"), "w") as f:
        f.write("mine\n")
    expect_refusal(slatetrain(args, 1, ["export", "--output", export, "--force"], name,
                              expect_ok=False), 1, "extra.txt")
    check(os.path.exists(os.path.join(export, "extra.txt")), "export removed a user's file")
    expect_refusal(slatetrain(args, 1, ["export", "--output", data(args, "finn")], name,
                              expect_ok=False), 1, "input")

    # --set before CONFIG takes one value: CONFIG is not swallowed as another override.
    good = os.path.join(args.work, "good-histories.jsonl")
    with open(good, "w") as f:
        f.write(json.dumps({"user": 1, "items": [5, "6"]}) + "\n")
    result = slatetrain(args, 1, ["recommend", "--set", "evaluation.batch_users=3", "--k", "3",
                                  "--input", good], name)
    check(json.loads(result.stdout.strip().splitlines()[-1])["user"] == 1, result.stdout)

    for command, needles in (("recommend", ["--checkpoint", "--k", "--split", "--input",
                                            "--output", "--exclude-seen", "--set"]),
                             ("export", ["--checkpoint", "--output", "--force", "--set"])):
        result = run([binary, command, "--help"])
        for needle in needles:
            check(needle in result.stdout, f"slatetrain {command} --help lacks {needle}")
    result = run([binary, "--help"])
    check("slatetrain recommend" in result.stdout and "slatetrain export" in result.stdout,
          "slatetrain --help does not name recommend and export")


def main():
    return main_for({
        "data": case_data,
        "gru": lambda a: case_model(a, "gru"),
        "transformer": lambda a: case_model(a, "transformer"),
        "sessions": case_sessions,
        "refusals": case_refusals,
    })

if __name__ == "__main__":
    sys.exit(main())
