#!/usr/bin/env bash
# mpirun for a preemptible slatetrain run: a stop request (TERM, INT or USR1 to this script)
# becomes SIGUSR1 to mpirun, which Open MPI forwards to every rank; each rank writes a
# checkpoint at the next step boundary and exits 0, and so does mpirun, and so does this
# script. Plain `mpirun` cannot do this: Open MPI 4.1's mpirun treats its own TERM or INT as an
# abort (it kills the ranks after a second and exits 1 even when they exited 0) and refuses
# SIGTERM in ess_base_forward_signals. docs/DATA_SAFETY.md, "Failure messages".
#
#   launch/mpirun-preemptible.sh -np 8 slatetrain configs/gru.yaml [--resume] ...
#
# Arguments go to mpirun unchanged ($SLATETRAIN_MPIRUN, default `mpirun`). mpirun runs in its
# own session, so a signal to this script's process group (Ctrl-C, `kill -TERM -- -PGID`)
# reaches only this script. A second stop request sends TERM to mpirun (Open MPI's abort).
# Exit status: mpirun's.
set -uo pipefail

if [[ $# -eq 0 || $1 == --help || $1 == -h ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  [[ $# -eq 0 ]] && exit 2
  exit 0
fi
mpirun_program=${SLATETRAIN_MPIRUN:-mpirun}

launcher_pid=""
stop_requests=0
request_stop() {
  stop_requests=$((stop_requests + 1))
  [[ -n $launcher_pid ]] || return
  if ((stop_requests == 1)); then
    echo "mpirun-preemptible: SIG$1: asking every rank to checkpoint and exit (SIGUSR1)" >&2
    kill -USR1 "$launcher_pid" 2>/dev/null
  else
    echo "mpirun-preemptible: SIG$1 again: ending the job (SIGTERM to mpirun)" >&2
    kill -TERM "$launcher_pid" 2>/dev/null
  fi
}
trap 'request_stop TERM' TERM
trap 'request_stop INT' INT
trap 'request_stop USR1' USR1

# A background job of a script is no process group leader, so setsid starts a new session in
# this very process and execs mpirun: $! is mpirun's pid.
setsid "$mpirun_program" "$@" &
launcher_pid=$!
# A request that came while starting is passed on now.
if ((stop_requests > 0)); then
  stop_requests=0
  request_stop TERM
fi
wait "$launcher_pid"
status=$?
# A trap interrupts `wait` (status > 128): keep waiting until mpirun has really ended.
while ((status > 128)) && kill -0 "$launcher_pid" 2>/dev/null; do
  wait "$launcher_pid"
  status=$?
done
exit "$status"
