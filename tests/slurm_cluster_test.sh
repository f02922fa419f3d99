#!/usr/bin/env bash
# The one-node SLURM of launch/slurm/local-cluster.sh: it starts, runs a batch job and a
# two-task srun step, offers an MPI plugin, and its stop leaves no daemon behind.
# Exit 77 (CTest's skip code here) only where SLURM cannot run, with the reason printed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster=$root/launch/slurm/local-cluster.sh

if ! reason=$("$cluster" check); then
  echo "SKIP: $reason"
  exit 77
fi

work=$(mktemp -d /tmp/slatetrain-slurm-cluster.XXXXXX)
cleanup() {
  "$cluster" stop "$work/cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    failures=$((failures + 1))
  fi
}

LOCAL_CLUSTER_GPUS=2 "$cluster" start "$work/cluster" || {
  echo "FAIL: the cluster did not start"
  exit 1
}
eval "$("$cluster" env "$work/cluster")"
pids=$(cat "$work"/cluster/pids/*)

state=$(sinfo --noheader --format=%T)
check "sinfo shows the node idle (got '$state')" test "$state" = idle

cd "$work" || exit 1
job=$(sbatch --parsable --output="$work/hostname-%j.out" --wait --wrap 'hostname -s')
check "sbatch --wrap hostname ran (job $job)" test "$(cat "$work/hostname-$job.out")" = "$(hostname -s)"

tasks=$(timeout 60 srun --ntasks=2 --gpus-per-node=2 bash -c 'echo "$SLURM_PROCID/$SLURM_NTASKS"' | sort | tr '\n' ' ')
check "srun --ntasks=2 runs two tasks (got '$tasks')" test "$tasks" = "0/2 1/2 "

offered=$(srun --mpi=list 2>&1)
check "srun --mpi=list offers pmix or pmi2" grep -qwE 'pmix|pmi2' <<<"$offered"

"$cluster" stop "$work/cluster"
alive=""
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then alive+=" $pid"; fi
done
check "stop ended every daemon (still alive:${alive:- none})" test -z "$alive"

if ((failures > 0)); then
  echo "$failures check(s) failed; cluster logs were in $work/cluster/log"
  exit 1
fi
echo "all checks passed"
