#!/usr/bin/env python3
"""slatetrain's choice of OpenBLAS kernels (core/cpu/openblas_kernels.hpp), through the program.

OPENBLAS_VERBOSE=2 makes OpenBLAS print "Core: NAME" each time it loads. Checks:
  - without OPENBLAS_CORETYPE: when OpenBLAS loaded its Prescott fallback on a CPU with AVX2/FMA
    or AVX-512 (/proc/cpuinfo's flags), slatetrain restarts once with the widest set the CPU
    supports (Haswell, SkylakeX); when OpenBLAS recognised the CPU, it loads once and is kept;
  - the restarted program gets the same arguments (`evaluate --help` prints evaluate's usage);
  - with OPENBLAS_CORETYPE set by the user, that choice is kept (one load, no restart).

usage: openblas_kernels_test.py --slatetrain PATH
"""
import argparse
import os
import re
import subprocess
import sys

failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message)
    if not condition:
        failures.append(message)


def cpu_flags():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def run(slatetrain, environment_changes):
    environment = dict(os.environ)
    environment.pop("OPENBLAS_CORETYPE", None)
    environment.pop("SLATETRAIN_OPENBLAS_RESTARTED", None)
    environment["OPENBLAS_VERBOSE"] = "2"
    environment.update(environment_changes)
    result = subprocess.run([slatetrain, "evaluate", "--help"], env=environment,
                            capture_output=True, text=True, timeout=60)
    cores = re.findall(r"^Core: (\S+)", result.stdout + result.stderr, re.MULTILINE)
    return result, cores


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slatetrain", required=True)
    args = parser.parse_args()

    result, cores = run(args.slatetrain, {})
    check(result.returncode == 0, f"evaluate --help exits 0 (got {result.returncode})")
    check("usage: slatetrain evaluate" in result.stdout,
          "the restarted program got the same arguments (evaluate's usage printed)")
    check(len(cores) in (1, 2), f"OpenBLAS loaded once or twice (cores {cores})")
    if cores:
        flags = cpu_flags()
        expected = cores[0]
        if cores[0].lower() == "prescott":
            if {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= flags:
                expected = "SkylakeX"
            elif {"avx2", "fma"} <= flags:
                expected = "Haswell"
        restarts = 0 if expected == cores[0] else 1
        print(f"OpenBLAS loaded {cores[0]}; this CPU supports {expected}")
        check(len(cores) == restarts + 1, f"{restarts} restart(s) (cores {cores})")
        check(cores[-1] == expected, f"the program runs {expected} kernels (cores {cores})")

    result, cores = run(args.slatetrain, {"OPENBLAS_CORETYPE": "Prescott"})
    check(result.returncode == 0 and "usage: slatetrain evaluate" in result.stdout,
          "with OPENBLAS_CORETYPE=Prescott: evaluate --help works")
    check(cores == ["Prescott"], f"the user's OPENBLAS_CORETYPE is kept, no restart (cores {cores})")

    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
