#!/usr/bin/env python3
"""Whether two runs logged the same training losses (metrics.jsonl's "train" records), for the
A/B scripts (cpu_ab_phases.sh, cpu_seconds_ab.sh): prints whether they are identical and, when
not, their largest relative difference.

usage: compare_run_losses.py RUN_DIR_A RUN_DIR_B
"""
import json
import sys


def losses(run_dir):
    with open(f"{run_dir}/metrics.jsonl") as metrics:
        return [json.loads(line)["loss"] for line in metrics if '"train"' in line]


def main():
    a, b = losses(sys.argv[1]), losses(sys.argv[2])
    identical = a == b
    line = f"losses identical: {identical}"
    if not identical:
        if len(a) != len(b):
            line += f" ({len(a)} against {len(b)} logged)"
        else:
            largest = max(abs(x - y) / max(abs(x), 1e-30) for x, y in zip(a, b))
            line += f"; largest relative difference: {largest:.3g}"
    print(line)


if __name__ == "__main__":
    main()
