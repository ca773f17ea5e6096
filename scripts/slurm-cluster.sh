#!/usr/bin/env bash
# slurm-cluster.sh: a throw-away single-node Slurm cluster (munged + slurmctld + slurmd) on
# loopback, for tests of sharded sweeps. Run as root: slurmd starts jobs as their submitter.
#
#   slurm-cluster.sh start DIR        start the three daemons with every file of theirs in DIR,
#                                     wait until the node is idle; then SLURM_CONF=DIR/slurm.conf
#   slurm-cluster.sh stop DIR         cancel the cluster's jobs and stop the daemons started into DIR
#   slurm-cluster.sh run -- CMD...    start a cluster in a fresh temporary directory, run CMD with
#                                     SLURM_CONF exported, stop the cluster and remove the directory
#                                     on exit (also when CMD fails or we are interrupted), exit with
#                                     CMD's status.
#
# slurmctld listens on $FAULTLINE_SLURM_BASE_PORT (default 16817, not Slurm's 6817) and slurmd on
# the next port: two clusters with different base ports run side by side. A system-wide Slurm or
# munge is left alone: our munged has its own key and socket, and slurm.conf names our own state,
# spool, pid and log files. Exits 77 (ctest's SKIP_RETURN_CODE) when Slurm or munge is not
# installed, so that a test wrapped in `run` is skipped there rather than failed.
set -euo pipefail

readonly READY_ATTEMPTS=600        # x 0.05 s: at most 30 s for munged to answer, the node to idle
readonly STOP_ATTEMPTS=100         # x 0.05 s: at most 5 s for a daemon to exit before SIGKILL
readonly CANCEL_ATTEMPTS=200       # x 0.05 s: at most 10 s for cancelled jobs to leave the queue
readonly SKIPPED=77

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/servers.sh"

usage() { usage_from_header 17; }

base_port() {
  local port=${FAULTLINE_SLURM_BASE_PORT:-16817}
  if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65534)); then
    die "FAULTLINE_SLURM_BASE_PORT must be in [1024, 65534], got '$port'"
  fi
  echo "$port"
}

require_installed() {
  local tool
  for tool in munged munge unmunge slurmctld slurmd sinfo squeue scancel; do
    if ! command -v "$tool" >/dev/null; then
      echo "${0##*/}: $tool not found (apt-get install slurm-wlm munge); skipped" >&2
      exit "$SKIPPED"
    fi
  done
  [[ $(id -u) -eq 0 ]] || die "must run as root: slurmd starts each job as its submitter" \
    "and munged must run as user munge"
}

# Every client command of ours talks to our controller only, whatever the caller's SLURM_CONF.
slurm() {  # DIR TOOL ARGS...
  local dir=$1
  shift
  SLURM_CONF="$dir/slurm.conf" timeout 10 "$@"
}

# Launches CMD... in the background with its output in LOG and its pid in PIDFILE. The daemons
# run in the foreground (-F, -D) as our children so that the pid is known the moment they start:
# a daemon that forks writes its pid file later, and an interrupt in between would leak it. Each
# gets a process group of its own (set -m), so a Ctrl-C in a terminal reaches us and not them:
# stop cancels the jobs while the controller still runs, then stops the daemons in order.
launch() {  # PIDFILE LOG CMD...
  local pidfile=$1 log=$2
  shift 2
  set -m
  "$@" </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
  set +m
}

# Prints the last lines of each daemon's output in DIR on stderr, for a failure message. In the
# foreground a daemon copies its log there, with what it says before its log file is open.
log_tails() {  # DIR
  local log
  for log in "$1"/log/*.out; do
    [[ -s "$log" ]] || continue
    echo "--- ${log#"$1"/} (last 15 lines)" >&2
    tail -n 15 "$log" >&2
  done
}

# Fails with the logs unless the daemon of PIDFILE is alive.
require_alive() {  # DIR NAME PIDFILE
  alive "$(cat "$3")" && return 0
  echo "${0##*/}: $2 exited during start-up" \
    "(is port $(cat "$1/port") or the next one taken? set FAULTLINE_SLURM_BASE_PORT); logs:" >&2
  log_tails "$1"
  return 1
}

# munged refuses a key readable by others, and a socket directory it cannot search.
start_munge() {  # DIR
  local dir=$1 i
  mkdir -p "$dir/munge" "$dir/run"
  head -c 1024 /dev/urandom >"$dir/munge/munge.key"
  chown -R munge:munge "$dir/munge" "$dir/run"
  chmod 700 "$dir/munge"
  chmod 400 "$dir/munge/munge.key"
  chmod 755 "$dir/run"
  launch "$dir/pids/munged" "$dir/log/munged.out" \
    setpriv --reuid=munge --regid=munge --init-groups -- munged --foreground \
    --key-file="$dir/munge/munge.key" --socket="$dir/run/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/run/munged.log" --seed-file="$dir/run/seed"
  for ((i = 0; i < READY_ATTEMPTS; i++)); do
    if munge -n -S "$dir/run/munge.socket" 2>/dev/null |
        unmunge -S "$dir/run/munge.socket" >/dev/null 2>&1; then
      return 0
    fi
    require_alive "$dir" munged "$dir/pids/munged" || return 1
    sleep 0.05
  done
  echo "${0##*/}: munged did not answer on $dir/run/munge.socket within 30 s; logs:" >&2
  log_tails "$dir"
  return 1
}

# The cluster's configuration: one node (this host) with all its CPUs, one default partition.
# Linux process tracking and no task plugin: the cgroup plugins would take over the machine's
# cgroup hierarchy, which a system-wide slurmd may own. KillWait is short so that stopping a
# cluster with running jobs is quick. RealMemory is left out: CR_Core schedules CPUs only.
write_config() {  # DIR NODE PORT
  local dir=$1 node=$2 port=$3
  : >"$dir/plugstack.conf"  # no SPANK plugins, whatever /etc/slurm/plugstack.conf loads
  cat >"$dir/slurm.conf" <<EOF
ClusterName=faultline
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
KillWait=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc)
PartitionName=sweep Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# Waits until sinfo reports our node idle; fails early if a daemon died (a taken port, mostly).
wait_idle() {  # DIR NODE
  local dir=$1 node=$2 i state=""
  for ((i = 0; i < READY_ATTEMPTS; i++)); do
    state=$(slurm "$dir" sinfo -h -n "$node" -o %t 2>/dev/null || true)
    [[ "$state" == idle ]] && return 0
    require_alive "$dir" slurmctld "$dir/pids/slurmctld" || return 1
    require_alive "$dir" slurmd "$dir/pids/slurmd" || return 1
    sleep 0.05
  done
  echo "${0##*/}: node $node not idle within 30 s (sinfo says '${state:-nothing}'); logs:" >&2
  log_tails "$dir"
  return 1
}

start() {  # DIR
  local dir=$1 port node
  port=$(base_port)
  require_installed
  node=$(hostname -s)
  mkdir -p "$dir/pids" "$dir/log" "$dir/state" "$dir/spool"
  # munged (user munge) must reach its key and socket below DIR; mktemp makes DIR 0700.
  chmod 755 "$dir"
  echo "$port" >"$dir/port"
  start_munge "$dir" || { stop "$dir"; return 1; }
  write_config "$dir" "$node" "$port"
  # SLURM_CONF in slurmd's environment reaches its slurmstepd processes, which outlive slurmd:
  # stop finds the ones of this cluster by it.
  launch "$dir/pids/slurmctld" "$dir/log/slurmctld.out" \
    env SLURM_CONF="$dir/slurm.conf" slurmctld -D -c -f "$dir/slurm.conf"
  launch "$dir/pids/slurmd" "$dir/log/slurmd.out" \
    env SLURM_CONF="$dir/slurm.conf" slurmd -D -f "$dir/slurm.conf" -N "$node"
  wait_idle "$dir" "$node" || { stop "$dir"; return 1; }
}

# SIGTERM, a bounded wait, then SIGKILL: the one way a process of ours is stopped.
terminate() {  # PID...
  local pid
  for pid in "$@"; do
    kill -CONT "$pid" 2>/dev/null || true  # a stopped (SIGSTOP) process would never handle TERM
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    wait_exit "$pid" "$STOP_ATTEMPTS" && continue
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" "$STOP_ATTEMPTS" || echo "${0##*/}: pid $pid survived SIGKILL" >&2
  done
}

descendants() {  # PID
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}

# Job steps outlive slurmd by design, and a job's processes outlive their step; none of them is
# left if the cancel failed (the controller was gone). The steps of this cluster carry its
# SLURM_CONF (see start).
stray_processes() {  # DIR
  local pid
  for pid in $(pgrep -x slurmstepd || true); do
    # A step that ends meanwhile takes its /proc entry with it: no environment, not ours.
    if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$1/slurm.conf"; then
      echo "$pid"
      descendants "$pid"
    fi
  done
}

stop() {  # DIR
  local dir=$1 i daemon pid strays
  [[ -d "$dir/pids" ]] || return 0
  # Cancel what still runs while the controller can, so that no job outlives the cluster.
  if [[ -f "$dir/pids/slurmctld" ]] && alive "$(cat "$dir/pids/slurmctld")" &&
      [[ -n "$(slurm "$dir" squeue -h -o %i 2>/dev/null || true)" ]]; then
    slurm "$dir" scancel --partition=sweep >/dev/null 2>&1 || true
    for ((i = 0; i < CANCEL_ATTEMPTS; i++)); do
      [[ -z "$(slurm "$dir" squeue -h -o %i 2>/dev/null || true)" ]] && break
      sleep 0.05
    done
  fi
  for daemon in slurmd slurmctld munged; do
    [[ -f "$dir/pids/$daemon" ]] || continue
    pid=$(cat "$dir/pids/$daemon")
    if [[ -n "$pid" ]] && alive "$pid"; then terminate "$pid"; fi
    rm -f "$dir/pids/$daemon"
  done
  mapfile -t strays < <(stray_processes "$dir")
  if [[ ${#strays[@]} -gt 0 ]]; then terminate "${strays[@]}"; fi
}

# `run` mode, part 2: lib/servers.sh's run_and_exit, but with CMD in the background. Bash runs a
# trap only once its foreground command has ended, so there a SIGTERM to this script (a timeout's)
# would leave the cluster up for as long as CMD runs; `wait` returns at once on a signal. The trap
# passes the signal on to CMD, gives it STOP_ATTEMPTS to exit, and the EXIT trap stops the cluster.
run_in_background_and_exit() {  # CMD...
  local status=0
  # Without job control a background command ignores SIGINT and reads /dev/null: undo both, so
  # that a Ctrl-C reaches CMD and its children as it would in the foreground.
  (trap - INT QUIT; exec "$@") <&0 &
  CMD_PID=$!
  trap 'pass_on INT 130' INT
  trap 'pass_on TERM 143' TERM
  wait "$CMD_PID" || status=$?
  exit "$status"
}

pass_on() {  # SIGNAL STATUS
  kill -"$1" "$CMD_PID" 2>/dev/null || true
  wait_exit "$CMD_PID" "$STOP_ATTEMPTS" || kill -KILL "$CMD_PID" 2>/dev/null || true
  exit "$2"
}

run() {  # -- CMD...
  [[ $# -gt 0 && "$1" == "--" ]] || usage
  shift
  [[ $# -gt 0 ]] || usage
  require_installed  # before making anything: a skip leaves nothing behind
  enter_run_dir faultline-slurm  # the cluster is stopped however we leave
  start "$RUN_DIR"
  export SLURM_CONF="$RUN_DIR/slurm.conf"
  run_in_background_and_exit "$@"
}

[[ $# -ge 1 ]] || usage
mode=$1
shift
case "$mode" in
  start) [[ $# -eq 1 ]] || usage; start "$@" ;;
  stop) [[ $# -eq 1 ]] || usage; stop "$@" ;;
  run) run "$@" ;;
  *) usage ;;
esac
