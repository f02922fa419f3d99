#!/usr/bin/env bash
# A real one-node SLURM on this machine, in a directory of its own, for tests and trials.
#
#   launch/slurm/local-cluster.sh start DIR   write slurm.conf, start munged, slurmctld, slurmd
#                                             (loopback only), wait until the node is idle
#   launch/slurm/local-cluster.sh env DIR     print the `export SLURM_CONF=...` line for clients
#   launch/slurm/local-cluster.sh stop DIR    stop every daemon started in DIR, by its pid file
#   launch/slurm/local-cluster.sh check       exit 0 when SLURM can run here, else print why, exit 3
#
# Needs root (slurmd launches jobs as their owner) and slurm-wlm + munge installed. Ports are
# picked free at start, so a leftover cluster or another test cannot collide with this one.
# Environment: LOCAL_CLUSTER_GPUS=N declares N GPUs on the node as a GRES without device files,
# so batch scripts that ask for --gpus-per-node are scheduled (nothing binds a real device).
set -euo pipefail

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

# Why SLURM cannot run here, or nothing when it can.
why_not_runnable() {
  local program
  for program in munged mungekey slurmctld slurmd sinfo sbatch scontrol srun; do
    if ! command -v "$program" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$program ]]; then
      echo "$program is not installed (Debian packages slurm-wlm and munge)"
      return
    fi
  done
  if [[ $(id -u) -ne 0 ]]; then
    echo "not root: slurmd must start job processes as their owner, which needs root"
    return
  fi
}

# Runs a system daemon by its Debian path even when /usr/sbin is not on PATH.
daemon_path() {
  command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

write_slurm_conf() {
  local dir=$1 node=$2 cpus=$3 gpus=$4 controller_port=$5 node_port=$6
  local gres_line="" node_gres=""
  if ((gpus > 0)); then
    gres_line="GresTypes=gpu"
    node_gres="Gres=gpu:$gpus"
    # Placeholder device files: SLURM schedules and hands out these, nothing real is bound.
    mkdir -p "$dir/devices"
    local index
    for ((index = 0; index < gpus; index++)); do : >"$dir/devices/gpu$index"; done
    {
      echo "AutoDetect=off"
      printf 'NodeName=%s Name=gpu File=%s/devices/gpu[0-%d]\n' "$node" "$dir" $((gpus - 1))
    } >"$dir/gres.conf"
  fi
  cat >"$dir/slurm.conf" <<EOF
# Written by launch/slurm/local-cluster.sh: one node on loopback, everything under $dir.
ClusterName=slatetrain-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's restart; the default 120 s would slow the tests.
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobRequeue=1
MinJobAge=600
KillWait=10
$gres_line
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus $node_gres State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  local dir=$1
  local reason
  reason=$(why_not_runnable)
  if [[ -n $reason ]]; then
    echo "local-cluster: SLURM cannot run here: $reason" >&2
    exit 3
  fi
  if [[ -e $dir/slurm.conf ]]; then
    echo "local-cluster: $dir already holds a cluster; stop it first" >&2
    exit 1
  fi
  mkdir -p "$dir"/{munge,state,spool,log,pids}
  dir=$(cd "$dir" && pwd)
  chmod 700 "$dir/munge"
  local node cpus gpus
  node=$(hostname -s)
  cpus=$(nproc)
  gpus=${LOCAL_CLUSTER_GPUS:-0}

  # munged: its own key, socket, pid, log and seed; --force because it refuses root otherwise.
  if [[ -r /etc/munge/munge.key ]]; then
    cp /etc/munge/munge.key "$dir/munge/munge.key"
  else
    "$(daemon_path mungekey)" --create --keyfile="$dir/munge/munge.key"
  fi
  chmod 600 "$dir/munge/munge.key"
  "$(daemon_path munged)" --foreground --force \
    --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" >>"$dir/log/munged.out" 2>&1 &
  echo $! >"$dir/pids/munged"
  if ! wait_for 20 test -S "$dir/munge/munge.socket"; then
    echo "local-cluster: munged did not start; see $dir/log/munged.log" >&2
    stop "$dir"
    exit 1
  fi

  write_slurm_conf "$dir" "$node" "$cpus" "$gpus" "$(free_port)" "$(free_port)"
  export SLURM_CONF=$dir/slurm.conf
  # -D keeps them in the foreground as children of this script; -i ignores stale state.
  "$(daemon_path slurmctld)" -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >"$dir/pids/slurmctld"
  "$(daemon_path slurmd)" -D -f "$SLURM_CONF" -N "$node" >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >"$dir/pids/slurmd"

  local deadline=$((SECONDS + 60)) state=""
  while ((SECONDS < deadline)); do
    state=$(sinfo --noheader --nodes="$node" --format=%T 2>/dev/null || true)
    if [[ $state == idle ]]; then
      echo "local-cluster: node $node idle ($cpus CPUs, $gpus GPUs), SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    local name
    for name in slurmctld slurmd; do
      if ! kill -0 "$(cat "$dir/pids/$name")" 2>/dev/null; then
        echo "local-cluster: $name exited; last lines of its log:" >&2
        tail -n 20 "$dir/log/$name.log" "$dir/log/$name.out" >&2 2>/dev/null || true
        stop "$dir"
        exit 1
      fi
    done
    sleep 0.5
  done
  echo "local-cluster: node $node not idle after 60 s (state '${state}'); logs in $dir/log" >&2
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  stop "$dir"
  exit 1
}

# Stops the daemons in reverse order of start, each by the pid it was started with.
stop() {
  local dir=$1 name pid jobs
  # Jobs first: their slurmstepd processes are not our children and would outlive slurmd.
  if [[ -f $dir/pids/slurmctld && -f $dir/slurm.conf ]] &&
    kill -0 "$(cat "$dir/pids/slurmctld")" 2>/dev/null; then
    export SLURM_CONF=$dir/slurm.conf
    jobs=$(squeue --noheader --format=%A 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086
      scancel --full $jobs 2>/dev/null || true
      wait_for 30 bash -c '[[ -z $(squeue --noheader --states=RUNNING,COMPLETING --format=%A) ]]' ||
        echo "local-cluster: jobs still running after scancel: $jobs" >&2
    fi
  fi
  for name in slurmd slurmctld munged; do
    [[ -f $dir/pids/$name ]] || continue
    pid=$(cat "$dir/pids/$name")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      if ! wait_for 15 bash -c "! kill -0 $pid"; then
        echo "local-cluster: $name (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$dir/pids/$name"
  done
  # The config goes too, so `start` may reuse the directory.
  rm -f "$dir/slurm.conf" "$dir/gres.conf"
}

command=${1:-}
case "$command" in
  start)
    [[ $# -eq 2 ]] || usage
    start "$2"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    stop "$2"
    ;;
  env)
    [[ $# -eq 2 ]] || usage
    echo "export SLURM_CONF=$(cd "$2" && pwd)/slurm.conf"
    ;;
  check)
    reason=$(why_not_runnable)
    if [[ -n $reason ]]; then
      echo "SLURM cannot run here: $reason"
      exit 3
    fi
    ;;
  *) usage ;;
esac
