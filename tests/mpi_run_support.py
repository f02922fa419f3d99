"""What the Python test drivers that run slatetrain under real mpirun share: the Open MPI
environment of CTest's MPI cases (root allowed, oversubscribed 2 cores, shared memory only),
the default config, and running a command with its output kept for the checks.
Standard library only."""
import argparse
import os
import subprocess
import sys

# As SLATETRAIN_MPI_ENVIRONMENT in tests/CMakeLists.txt; progress lines kept out of the logs.
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
    "OMPI_MCA_btl": "self,vader",
    "SLATETRAIN_PROGRESS_SECONDS": "1000",
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "gru-small.yaml")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def env():
    """This process's environment with MPI_ENV over it."""
    merged = dict(os.environ)
    merged.update(MPI_ENV)
    return merged


def run(command, expect_ok=True, timeout=300):
    """Runs `command` under env(), output captured; with expect_ok a non-zero exit prints the
    tail of both streams and raises Failure."""
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=timeout)
    if expect_ok and result.returncode != 0:
        print(result.stdout[-3000:])
        print(result.stderr[-3000:])
        raise Failure(f"exit {result.returncode}: {' '.join(command)}")
    return result


def launcher(ranks):
    """mpirun for `ranks` ranks (oversubscribed; as root where the tests run as root)."""
    command = ["mpirun", "-np", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command


def settings_arguments(settings):
    """--set KEY=VALUE for each setting."""
    arguments = []
    for setting in settings:
        arguments += ["--set", setting]
    return arguments


def run_case(cases, args):
    """Runs cases[args.case](args): 0 when it passes, 1 on a Failure (said on stderr), 2 for a
    case that does not exist. The drivers' main() returns this as the exit code."""
    if args.case not in cases:
        print(f"unknown case {args.case}; cases: {', '.join(cases)}", file=sys.stderr)
        return 2
    try:
        cases[args.case](args)
    except Failure as failure:
        print(f"FAIL {args.case}: {failure}", file=sys.stderr)
        return 1
    print(f"PASS {args.case}")
    return 0


def main_for(cases, *extra_options):
    """A driver's main(): `DRIVER CASE --bin DIR --work DIR [--OPTION VALUE ...]` (each of
    extra_options a required option), the work directory made, then run_case."""
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    for option in extra_options:
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    return run_case(cases, args)

