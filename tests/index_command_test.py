#!/usr/bin/env python3
"""`slatetrain index` through real mpirun runs (run by CTest, one case each).

usage: index_command_test.py CASE --bin DIR --check PROGRAM --work DIR

Cases:
  data      generate and convert two datasets of the same shape, train a GRU at np=2 on the
            first (checkpoints at steps 3 and 6): the fixture of the others
  flat      a flat index at np=1 and np=2: the same index both times, and item_index_check
            finds every user's top-k and scores exactly those computed from the checkpoint's
            rows; an index of step 3 is refused for the checkpoint of step 6
  approximate  hnsw and ivf indexes at np=2: recall@10 against the exact top-k above a
            measured bound; the parameters land in the header
  recommend `recommend --index`: with a flat index the output is byte for byte exact
            recommend's (test split and --input histories, np=1 and np=2); with an hnsw index
            recall@10 of the recommendations against exact recommend is above a measured bound
            and every score is the exact one; an index of another step is refused (once at
            np=2); --ef-search without --index exits 2
  refusals  a foreign file at --output (untouched, even with --force), an existing index
            without --force (replaced with it), --output the checkpoint, a checkpoint of
            another dataset, a missing checkpoint, unusable arguments (exit 2), --help;
            a multi-rank refusal is printed once
Standard library only.
"""
import hashlib
import json
import os
import shutil
import sys

from mpi_run_support import CONFIG, check, launcher, main_for, run

USERS, ITEMS = 2000, 300
SETTINGS = ["model.dim=16", "schedule.warmup_steps=0", "evaluation.batch_users=32",
            "evaluation.max_users=64", "run.device=cpu", "run.threads=1"]
TRAIN = ["schedule.max_steps=6", "schedule.batch_users=32", "evaluation.every_steps=3",
         "checkpoint.every_steps=3", "checkpoint.keep=10", "model.kind=gru"]


def data(args, name="tiny"):
    return os.path.join(args.work, name, "converted")


def checkpoint(args, step):
    return os.path.join(args.work, "run", "checkpoints", f"checkpoint-{step:012d}.h5")


def sets(settings):
    arguments = []
    for setting in settings:
        arguments += ["--set", setting]
    return arguments


def index(args, output, ranks=2, kind="flat", step=6, extra=(), dataset="tiny", expect_ok=True):
    command = launcher(ranks) + [os.path.join(args.bin, "slatetrain"), "index", CONFIG,
                                 "--checkpoint", checkpoint(args, step), "--output", output,
                                 "--kind", kind] + list(extra)
    result = run(command + sets(SETTINGS + [f"data.path={data(args, dataset)}"]),
                 expect_ok=expect_ok)
    if not expect_ok:
        check(result.returncode != 0, f"{' '.join(command)} succeeded; expected a refusal")
        return result
    return json.loads(result.stdout.strip().splitlines()[-1])


def header(path):
    with open(path, "rb") as file:
        check(file.readline() == b"slatetrain item index 1\n", f"{path}: not an item index")
        return json.loads(file.readline())


def check_index(args, path, step=6, extra=(), expect_ok=True):
    result = run([args.check, path, checkpoint(args, step), "--users", "64", "--k", "10"] +
                 list(extra), expect_ok=expect_ok)
    if not expect_ok:
        check(result.returncode != 0, f"item_index_check accepted {path} for step {step}")
        return result
    return json.loads(result.stdout.strip().splitlines()[-1])


def digest(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


# ---- cases --------------------------------------------------------------------------------

def case_data(args):
    convert = os.path.join(args.bin, "slateconvert")
    for name, seed in (("tiny", 7), ("other", 8)):
        base = os.path.join(args.work, name)
        shutil.rmtree(base, ignore_errors=True)
        run([convert, "synth", "--output", os.path.join(base, "finn"), "--users", str(USERS),
             "--items", str(ITEMS), "--seed", str(seed)])
        run([convert, "finn", "--input", os.path.join(base, "finn"), "--output", data(args, name),
             "--shards", "3"])
    run_dir = os.path.join(args.work, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    run(launcher(2) + [os.path.join(args.bin, "slatetrain"), CONFIG] +
        sets(SETTINGS + TRAIN + [f"data.path={data(args)}", f"run.dir={run_dir}"]))
    for step in (3, 6):
        check(os.path.isfile(checkpoint(args, step)), f"no checkpoint of step {step}")


def case_flat(args):
    outputs = {}
    for ranks in (1, 2):
        path = os.path.join(args.work, f"flat-np{ranks}.index")
        if os.path.exists(path):
            os.remove(path)
        summary = index(args, path, ranks=ranks)
        print(f"np={ranks}: {summary}")
        check(summary["kind"] == "flat" and summary["items"] == ITEMS - 3 and
              summary["first_item"] == 3 and summary["dim"] == 16 and summary["step"] == 6 and
              summary["world_size"] == ranks and summary["bytes"] == os.path.getsize(path),
              f"np={ranks}: the summary {summary}")
        got = check_index(args, path, extra=["--exact"])
        print(f"np={ranks}: {got}")
        check(got["recall"] == 1.0 and got["wrong"] == 0, f"np={ranks}: not exact: {got}")
        outputs[ranks] = header(path)
        leftovers = [name for name in os.listdir(args.work) if ".tmp-" in name]
        check(not leftovers, f"temporary files left: {leftovers}")
    one, two = outputs[1], outputs[2]
    for key in ("faiss_crc32", "faiss_bytes", "rows_crc32", "run_id", "step", "dataset_id",
                "num_items", "count", "dim"):
        check(one[key] == two[key], f"np=1 and np=2 differ in {key}: {one[key]} vs {two[key]}")
    # The index of step 3 is not the index of step 6's checkpoint.
    early = os.path.join(args.work, "flat-step3.index")
    if os.path.exists(early):
        os.remove(early)
    index(args, early, step=3)
    check(header(early)["rows_crc32"] != one["rows_crc32"], "steps 3 and 6 have the same rows")
    refused = check_index(args, early, step=6, expect_ok=False)
    check("step 3" in refused.stderr and "rebuild it" in refused.stderr,
          f"the refusal does not say why: {refused.stderr}")


# Measured before the bounds were set (297 items of dim 16, 64 random users, seeds 5-7):
# hnsw recall@10 1.0 with M 16, efConstruction 100, efSearch 32 (0.955-0.984 with M 8,
# efSearch 16); ivf with 17 lists: 1.0 probing all 17 (exact by construction), 0.45 with 2.
def case_approximate(args):
    hnsw = os.path.join(args.work, "hnsw.index")
    ivf = os.path.join(args.work, "ivf.index")
    for path in (hnsw, ivf):
        if os.path.exists(path):
            os.remove(path)
    summary = index(args, hnsw, kind="hnsw",
                    extra=["--hnsw-m", "16", "--hnsw-ef-construction", "100",
                           "--hnsw-ef-search", "32"])
    check(summary["hnsw"] == {"m": 16, "ef_construction": 100, "ef_search": 32},
          f"hnsw summary {summary}")
    got = check_index(args, hnsw, extra=["--min-recall", "0.98"])
    print(f"hnsw: {got}")
    check(header(hnsw)["parameters"] == {"kind": "hnsw", "m": 16, "ef_construction": 100,
                                         "ef_search": 32}, f"hnsw header {header(hnsw)}")
    summary = index(args, ivf, kind="ivf")
    lists = summary["ivf"]["lists"]
    check(lists == round(4 * ITEMS ** 0.5), f"default lists {lists}, expected 4 sqrt(items)")
    recalls = {}
    for probes, bound in ((17, 1.0), (2, 0.3)):  # probing every list is exact
        os.remove(ivf)
        summary = index(args, ivf, kind="ivf", extra=["--ivf-lists", "17", "--ivf-probes",
                                                      str(probes)])
        check(summary["ivf"]["lists"] == 17 and summary["ivf"]["probes"] == probes,
              f"ivf summary {summary}")
        got = check_index(args, ivf, extra=["--min-recall", str(bound)])
        print(f"ivf 17 lists, {probes} probes: {got}")
        recalls[probes] = got["recall"]
    check(recalls[2] < recalls[17], f"2 probes of 17 found everything: {recalls}")


def case_refusals(args):
    slatetrain = os.path.join(args.bin, "slatetrain")
    precious = os.path.join(args.work, "precious.txt")
    with open(precious, "w") as file:
        file.write("the user's own file\n")
    before = digest(precious)
    for extra in ([], ["--force"]):
        result = index(args, precious, extra=extra, expect_ok=False)
        check("not ours to replace" in result.stderr, f"foreign file: {result.stderr}")
        check(result.stderr.count("not ours to replace") == 1,
              f"the np=2 refusal is not printed once: {result.stderr}")
        check(digest(precious) == before, "the user's file was changed")

    mine = os.path.join(args.work, "mine.index")
    if os.path.exists(mine):
        os.remove(mine)
    index(args, mine, ranks=1, step=3)
    first = digest(mine)
    result = index(args, mine, ranks=1, expect_ok=False)
    check("--force" in result.stderr and digest(mine) == first, f"no --force: {result.stderr}")
    index(args, mine, ranks=1, extra=["--force"])
    check(header(mine)["step"] == 6, "--force did not replace the index")

    ckpt = checkpoint(args, 6)
    ckpt_digest = digest(ckpt)
    result = index(args, ckpt, extra=["--force"], expect_ok=False)
    check(digest(ckpt) == ckpt_digest, "the checkpoint was changed")
    check(ckpt in result.stderr, f"--output the checkpoint: {result.stderr}")

    other = os.path.join(args.work, "other.index")
    result = index(args, other, dataset="other", expect_ok=False)
    check("dataset" in result.stderr and not os.path.exists(other),
          f"a checkpoint of another dataset: {result.stderr}")

    missing = launcher(1) + [slatetrain, "index", CONFIG, "--checkpoint",
                             os.path.join(args.work, "none.h5"), "--output", other]
    result = run(missing + sets([f"data.path={data(args)}"]), expect_ok=False)
    check(result.returncode == 1 and "none.h5" in result.stderr, f"missing: {result.stderr}")

    base = [slatetrain, "index", CONFIG, "--checkpoint", ckpt]
    for arguments, needle in ((["--output", other, "--kind", "pq"], "--kind"),
                              (["--output", other, "--hnsw-m", "1"], "--hnsw-m"),
                              ([], "--output"),
                              (["--output", other, "--threads", "x"], "--threads")):
        result = run(base + arguments, expect_ok=False)
        check(result.returncode == 2 and needle in result.stderr,
              f"{arguments}: exit {result.returncode}, {result.stderr}")
    check(not os.path.exists(other), "a refused run wrote its output")
    result = run([slatetrain, "index", "--help"])
    check("--hnsw-ef-search" in result.stdout and "--ivf-probes" in result.stdout,
          f"--help: {result.stdout}")


def recommend(args, ranks, output, extra=(), expect_ok=True):
    if os.path.exists(output):
        os.remove(output)
    command = launcher(ranks) + [os.path.join(args.bin, "slatetrain"), "recommend", CONFIG,
                                 "--checkpoint", checkpoint(args, 6), "--k", "10", "--output",
                                 output] + list(extra)
    result = run(command + sets(SETTINGS + [f"data.path={data(args)}"]), expect_ok=expect_ok)
    if not expect_ok:
        check(result.returncode != 0, f"{' '.join(command)} succeeded; expected a refusal")
        return result
    with open(output, "rb") as file:
        return file.read()


def write_histories(args, exact_lines):
    """Histories of new users for --input: items from the exact recommendations."""
    path = os.path.join(args.work, "histories.jsonl")
    with open(path, "w") as file:
        for number, line in enumerate(exact_lines[:20]):
            items = [entry["item"] for entry in line["recommendations"][number % 4:][:3]]
            file.write(json.dumps({"user": f"new-{number}", "items": items}) + "\n")
    return path


# Measured before the bound was set: recall@10 0.7278 (the same in three runs) of the
# recommendations from a deliberately weak hnsw index (M 4, efConstruction 8; efSearch 1 is
# raised to the candidates asked for) against exact recommend on these 297 items. Below 1.0
# it also shows that --index is what ranked (exact recommend gets 1.0 by definition).
RECOMMEND_HNSW_RECALL = 0.6


def case_recommend(args):
    flat = os.path.join(args.work, "recommend-flat.index")
    weak = os.path.join(args.work, "recommend-hnsw.index")
    early = os.path.join(args.work, "recommend-step3.index")
    for path in (flat, weak, early):
        if os.path.exists(path):
            os.remove(path)
    index(args, flat, ranks=1)
    index(args, weak, ranks=1, kind="hnsw",
          extra=["--hnsw-m", "4", "--hnsw-ef-construction", "8", "--hnsw-ef-search", "1"])
    index(args, early, ranks=1, step=3)
    out = os.path.join(args.work, "recommend.jsonl")

    exact = recommend(args, 2, out)
    exact_lines = [json.loads(line) for line in exact.decode().splitlines()]
    check(len(exact_lines) > 10, f"only {len(exact_lines)} users recommended")
    histories = write_histories(args, exact_lines)
    exact_histories = recommend(args, 1, out, ["--input", histories])
    for ranks in (1, 2):
        got = recommend(args, ranks, out, ["--index", flat])
        check(got == exact, f"np={ranks}: recommend --index flat differs from exact recommend")
        got = recommend(args, ranks, out, ["--index", flat, "--input", histories])
        check(got == exact_histories,
              f"np={ranks}: --input with --index flat differs from exact recommend")

    approximate = [json.loads(line) for line in
                   recommend(args, 2, out, ["--index", weak]).decode().splitlines()]
    check(len(approximate) == len(exact_lines), "hnsw: another number of users")
    found = total = 0
    for mine, reference in zip(approximate, exact_lines):
        check(mine["user"] == reference["user"], f"hnsw: user {mine['user']} against {reference['user']}")
        truth = {entry["item"]: entry["score"] for entry in reference["recommendations"]}
        for entry in mine["recommendations"]:
            if entry["item"] in truth:
                found += 1
                check(entry["score"] == truth[entry["item"]],
                      f"hnsw: {entry} scored {truth[entry['item']]} by exact recommend")
        total += len(truth)
    recall = found / total
    print(f"recommend --index hnsw (M 4, efSearch 1): recall@10 against exact {recall:.4f}")
    check(RECOMMEND_HNSW_RECALL <= recall < 1.0,
          f"recall@10 {recall:.4f}: expected [{RECOMMEND_HNSW_RECALL}, 1) from the weak index")

    result = recommend(args, 2, out, ["--index", early], expect_ok=False)
    check("step 3" in result.stderr and result.stderr.count("rebuild it") == 1,
          f"an index of step 3: {result.stderr}")
    check(not os.path.exists(out), "a refused recommend wrote its output")
    result = run([os.path.join(args.bin, "slatetrain"), "recommend", CONFIG, "--checkpoint",
                  checkpoint(args, 6), "--k", "10", "--ef-search", "8"], expect_ok=False)
    check(result.returncode == 2 and "--index" in result.stderr,
          f"--ef-search without --index: exit {result.returncode}, {result.stderr}")


CASES = {"data": case_data, "flat": case_flat, "approximate": case_approximate,
         "recommend": case_recommend, "refusals": case_refusals}


def main():
    return main_for(CASES, "--check")

if __name__ == "__main__":
    sys.exit(main())
