# shellcheck shell=bash
# servers.sh: helpers shared by the throw-away server scripts (postgres-server.sh,
# redis-servers.sh). Source it after `set -euo pipefail`; it only defines functions. Each script
# defines its own stop DIR, which the `run` scaffolding below calls on exit.

# Prints "SCRIPT: MESSAGE" on stderr and exits 2.
die() { echo "${0##*/}: $*" >&2; exit 2; }

# Prints the script's header comment, lines 2..LAST without the "# ", on stderr and exits 2.
usage_from_header() {  # LAST
  sed -n "2,$1p" "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# True while PID is a live process; a zombie (state Z) counts as stopped.
alive() {  # PID
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z* ]]
}

# Waits until PID has exited, polling every 0.05 s at most ATTEMPTS times; false if it is still
# alive then.
wait_exit() {  # PID ATTEMPTS
  local i
  for ((i = 0; i < $2; i++)); do
    alive "$1" || return 0
    sleep 0.05
  done
  ! alive "$1"
}

# `run` mode, part 1: makes a fresh temporary directory ${TMPDIR:-/tmp}/PREFIX.XXXXXX, stores its
# path in RUN_DIR, and arranges for `stop RUN_DIR` and its removal however the script leaves:
# the command failing, set -e, or a signal. Call it from the script's top-level shell (not in a
# $(...) subshell: the traps must belong to the script).
enter_run_dir() {  # PREFIX
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  # The path is expanded now: the trap may run after the caller's locals are gone.
  # shellcheck disable=SC2064
  trap "stop '$RUN_DIR'; rm -rf '$RUN_DIR'" EXIT
  trap 'exit 130' INT TERM
}

# `run` mode, part 2: runs CMD... and exits with its status (the EXIT trap then stops the servers).
run_and_exit() {  # CMD...
  local status=0
  "$@" || status=$?
  exit "$status"
}
