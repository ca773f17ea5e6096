#!/usr/bin/env bash
# redis-servers.sh: start and stop throw-away Redis servers on loopback for tests and benchmarks.
#
#   redis-servers.sh start N BASE_PORT DIR [durable]
#                                            start N servers on 127.0.0.1:BASE_PORT.. with state in
#                                            DIR; `durable`: with AOF and appendfsync always
#   redis-servers.sh stop DIR                stop every server started into DIR
#   redis-servers.sh run [N] -- CMD...       start N servers (default $FAULTLINE_REDIS_COUNT or 3)
#                                            and one durable server after them in a fresh temporary
#                                            directory, run CMD with FAULTLINE_REDIS_PORTS=p1,p2,...
#                                            and FAULTLINE_REDIS_DURABLE_PORT exported, stop the
#                                            servers on exit (also when CMD fails), exit with CMD's
#                                            status. One more server runs in cluster mode, owning
#                                            every slot, on FAULTLINE_REDIS_CLUSTER_PORT (BASE_PORT
#                                            + 32): it refuses scripts whose keys span slots.
#
# Ports start at $FAULTLINE_REDIS_BASE_PORT (default 6390) in `run` mode.
# The N servers never persist anything (--save '' --appendonly no): a restart forgets every key,
# exactly like the simulator's "Redis without persistence". The durable server keeps every
# acknowledged write (--appendonly yes --appendfsync always), what a fencing-token counter needs
# and what the fenced claims assume; tests of fencing take their tokens from it. DEBUG is enabled
# so that tests can make a server slow on purpose (DEBUG SLEEP) and reload its AOF (DEBUG
# LOADAOF).
set -euo pipefail

readonly READY_ATTEMPTS=100        # x 0.05 s: at most 5 s for a server to answer PING
readonly STOP_ATTEMPTS=100         # x 0.05 s: at most 5 s for a server to exit before SIGKILL

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/servers.sh"

usage() { usage_from_header 20; }

require_number() {  # NAME VALUE
  [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a non-negative integer, got '$2'"
}

# The pid of the server answering on PORT, or nothing.
server_pid() {
  redis-cli -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p' || true
}

# Waits until OUR server on PORT answers PING. A server someone else runs on that port answers
# too, so the answer must come from the pid in our pidfile.
wait_ready() {  # PORT NODE_DIR
  local i pid
  for ((i = 0; i < READY_ATTEMPTS; i++)); do
    pid=$(cat "$2/redis.pid" 2>/dev/null || true)
    if [[ -n "$pid" && "$(redis-cli -p "$1" ping 2>/dev/null || true)" == "PONG" ]]; then
      if [[ "$(server_pid "$1")" == "$pid" ]]; then return 0; fi
    fi
    sleep 0.05
  done
  echo "redis-servers.sh: our server on port $1 did not answer PING within 5 s" \
    "(is the port taken? set FAULTLINE_REDIS_BASE_PORT); log:" >&2
  tail -n 20 "$2/redis.log" >&2 || true
  return 1
}

# Launches one server on PORT with its state in DIR/PORT and adds PORT to DIR/ports.
launch() {  # PORT DIR PERSISTENCE (none | durable)
  local port=$1 node="$2/$1" persistence=(--appendonly no)
  if [[ "$3" == durable ]]; then persistence=(--appendonly yes --appendfsync always); fi
  mkdir -p "$node"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' "${persistence[@]}" \
    --enable-debug-command yes --dir "$node" --pidfile "$node/redis.pid" \
    --logfile "$node/redis.log" >/dev/null
  echo "$port" >>"$2/ports"
}

start() {  # N BASE_PORT DIR [durable]
  local count=$1 base=$2 dir=$3 persistence=${4:-none} i port
  require_number N "$count"
  require_number BASE_PORT "$base"
  ((count >= 1 && count <= 64)) || die "N must be in [1, 64], got $count"
  ((base >= 1024 && base + count - 1 <= 65535)) || die "BASE_PORT must leave N ports in [1024, 65535]"
  [[ "$persistence" == none || "$persistence" == durable ]] || usage
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  mkdir -p "$dir"
  [[ -f "$dir/ports" ]] || : >"$dir/ports"
  for ((i = 0; i < count; i++)); do
    port=$((base + i))
    launch "$port" "$dir" "$persistence"
  done
  for ((i = 0; i < count; i++)); do
    port=$((base + i))
    wait_ready "$port" "$dir/$port" || { stop "$dir"; return 1; }
  done
}

# A one-node Redis Cluster on PORT that owns all 16384 slots, its state in DIR/PORT; stopped by
# `stop DIR` like the others.
start_cluster() {  # PORT DIR
  local port=$1 dir=$2 node="$2/$1" i
  mkdir -p "$node"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --cluster-enabled yes --cluster-config-file "$node/nodes.conf" --dir "$node" \
    --pidfile "$node/redis.pid" --logfile "$node/redis.log" >/dev/null
  echo "$port" >>"$dir/ports"
  wait_ready "$port" "$node" || return 1
  timeout 5 redis-cli -p "$port" cluster addslotsrange 0 16383 >/dev/null
  for ((i = 0; i < READY_ATTEMPTS * 2; i++)); do  # a new cluster takes about 2 s to say ok
    timeout 5 redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' &&
      return 0
    sleep 0.05
  done
  echo "redis-servers.sh: the cluster-mode server on port $port did not reach cluster_state:ok" >&2
  return 1
}

stop() {  # DIR
  local dir=$1 port pid
  [[ -f "$dir/ports" ]] || return 0
  while read -r port; do
    [[ -n "$port" ]] || continue
    pid=$(cat "$dir/$port/redis.pid" 2>/dev/null || true)
    if [[ -z "$pid" ]] || ! alive "$pid"; then continue; fi
    # A test that died while it had a server stopped (SIGSTOP) left it unable to answer: wake it,
    # and bound every redis-cli call, so that stopping can never hang.
    kill -CONT "$pid" 2>/dev/null || true
    # Only ever stop our own server: another one may own the port if ours failed to start.
    if [[ "$(timeout 5 redis-cli -p "$port" info server 2>/dev/null | tr -d '\r' |
           sed -n 's/^process_id://p')" == "$pid" ]]; then
      timeout 5 redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    else
      kill -TERM "$pid" 2>/dev/null || true
    fi
    wait_exit "$pid" "$STOP_ATTEMPTS" || kill -KILL "$pid" 2>/dev/null || true
  done <"$dir/ports"
  rm -f "$dir/ports"
}

run() {  # [N] -- CMD...
  local count=${FAULTLINE_REDIS_COUNT:-3} base=${FAULTLINE_REDIS_BASE_PORT:-6390}
  if [[ $# -gt 0 && "$1" != "--" ]]; then count=$1; shift; fi
  [[ $# -gt 0 && "$1" == "--" ]] || usage
  shift
  [[ $# -gt 0 ]] || usage
  require_number N "$count"
  ((count < 32)) || die "run: N must be below 32 (the cluster-mode server listens on BASE_PORT + 32)"
  enter_run_dir faultline-redis  # the servers are stopped however we leave
  start "$count" "$base" "$RUN_DIR"
  FAULTLINE_REDIS_PORTS=$(paste -sd, "$RUN_DIR/ports")
  start 1 "$((base + count))" "$RUN_DIR" durable
  FAULTLINE_REDIS_DURABLE_PORT=$((base + count))
  FAULTLINE_REDIS_CLUSTER_PORT=$((base + 32))
  start_cluster "$FAULTLINE_REDIS_CLUSTER_PORT" "$RUN_DIR" || { stop "$RUN_DIR"; exit 1; }
  export FAULTLINE_REDIS_PORTS FAULTLINE_REDIS_DURABLE_PORT FAULTLINE_REDIS_CLUSTER_PORT
  run_and_exit "$@"
}

[[ $# -ge 1 ]] || usage
mode=$1
shift
case "$mode" in
  start) [[ $# -eq 3 || $# -eq 4 ]] || usage; start "$@" ;;
  stop) [[ $# -eq 1 ]] || usage; stop "$@" ;;
  run) run "$@" ;;
  *) usage ;;
esac
