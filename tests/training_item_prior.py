#!/usr/bin/env python3
"""The item prior through real mpirun runs of the built slatetrain (docs/ITEM_PRIOR.md).

usage: training_item_prior.py CASE --bin DIR --work DIR

Cases (on tests/training_end_to_end.py's tiny dataset, its `data` case being the fixture):
  lazy-equals-dense   the lazy prior (rows caught up when read or updated) and the dense one
                      (prior.every_step: every row every step) end at the same checkpoint, at
                      np=1 and np=2; and the prior changed it (a run without it differs)
  resume-bitwise      with the prior, 2N steps straight == N steps, stop, resume, N steps,
                      bitwise (checkpoints on the refresh grid: docs/ITEM_PRIOR.md)
  sgd-resume-bitwise  the plain SGD row optimizer (no state tables) with the prior resumes
                      bitwise, and it moved the rows differently from Adam
  group-state         the checkpoint holds the group vectors and scales; resuming a checkpoint
                      written without the prior, with it, is refused naming the datasets
Standard library only.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpi_run_support import check, main_for, run  # noqa: E402
from training_end_to_end import (  # noqa: E402
    checkpoint_difference, checkpoints, compare, slatetrain_command, tiny, train)

PRIOR = ["prior.kind=group", "prior.weight=0.05", "prior.sigma=0.1", "prior.learn_sigma=true",
         "prior.refresh_steps=3", "optimizer.embedding.learning_rate=0.05"]
SMALL = ["schedule.batch_users=16", "evaluation.max_users=64"]


def case_lazy_equals_dense(args):
    for ranks in (1, 2):
        settings = SMALL + ["schedule.max_steps=10"] + PRIOR
        lazy = os.path.join(args.work, f"prior-lazy-np{ranks}")
        dense = os.path.join(args.work, f"prior-dense-np{ranks}")
        without = os.path.join(args.work, f"prior-none-np{ranks}")
        train(args, ranks, tiny(args), lazy, settings)
        train(args, ranks, tiny(args), dense, settings + ["prior.every_step=true"])
        compare(args, checkpoints(lazy)[-1], checkpoints(dense)[-1], 2e-5)
        train(args, ranks, tiny(args), without, settings + ["prior.kind=none"])
        check(differ(args, checkpoints(lazy)[-1], checkpoints(without)[-1], 1e-3),
              f"np={ranks}: the prior changed nothing beyond 1e-3")


def case_resume_bitwise(args, extra=(), name="prior-resume"):
    settings = SMALL + ["schedule.decay=constant"] + PRIOR + list(extra)
    straight = os.path.join(args.work, f"{name}-straight")
    split = os.path.join(args.work, f"{name}-split")
    train(args, 2, tiny(args), straight, settings + ["schedule.max_steps=12"])
    first, _ = train(args, 2, tiny(args), split, settings + ["schedule.max_steps=6"])
    check(first["steps"] == 6, f"first half ran {first['steps']} steps")
    second, result = train(args, 2, tiny(args), split, settings + ["schedule.max_steps=12"],
                           resume=True)
    check("resumed from" in result.stderr, "the second half did not say it resumed")
    check(second["steps"] == 12, f"resumed run ended at step {second['steps']}")
    compare(args, checkpoints(straight)[-1], checkpoints(split)[-1], 0)


def case_sgd_resume_bitwise(args):
    case_resume_bitwise(args, ["optimizer.embedding.kind=sgd",
                               "optimizer.embedding.learning_rate=20"], "prior-sgd-resume")
    # The same run with Adam rows, trained here (never another case's leftovers).
    adam = os.path.join(args.work, "prior-sgd-resume-adam")
    train(args, 2, tiny(args), adam,
          SMALL + ["schedule.decay=constant", "schedule.max_steps=12"] + PRIOR)
    check(differ(args, checkpoints(adam)[-1],
                 checkpoints(os.path.join(args.work, "prior-sgd-resume-straight"))[-1], 1e-4),
          "sgd and adam rows agree: was sgd used?")


def differ(args, first, second, tolerance):
    """Whether two checkpoints differ beyond `tolerance` (checkpoint_compare)."""
    return checkpoint_difference(args, first, second, tolerance).returncode != 0


def case_group_state(args):
    plain = os.path.join(args.work, "prior-group-state")
    train(args, 1, tiny(args), plain, SMALL + ["schedule.max_steps=3", "schedule.decay=constant"])
    result = run(train_command(args, plain, SMALL + ["schedule.max_steps=6",
                                                     "schedule.decay=constant"] + PRIOR),
                 expect_ok=False)
    check(result.returncode != 0 and "prior_group_vectors" in result.stderr,
          f"resuming a checkpoint without the prior's state was not refused by name:\n"
          f"{result.stderr[-2000:]}")


def train_command(args, run_dir, settings):
    return slatetrain_command(args, 1, tiny(args), run_dir, settings, resume=True)


def main():
    return main_for({"lazy-equals-dense": case_lazy_equals_dense,
                     "resume-bitwise": case_resume_bitwise,
                     "sgd-resume-bitwise": case_sgd_resume_bitwise,
                     "group-state": case_group_state})

if __name__ == "__main__":
    sys.exit(main())
