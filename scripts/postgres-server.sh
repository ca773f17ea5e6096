#!/usr/bin/env bash
# postgres-server.sh: a throw-away PostgreSQL 15 cluster on loopback for tests and benchmarks.
#
#   postgres-server.sh start DIR          initdb a cluster in DIR and start it on 127.0.0.1:PORT
#   postgres-server.sh stop DIR           stop the cluster started into DIR
#   postgres-server.sh run -- CMD...      start a cluster in a fresh temporary directory, run CMD
#                                         with the connection exported (below), stop the cluster
#                                         on exit (also when CMD fails), exit with CMD's status.
#
# PORT is $FAULTLINE_PG_PORT (default 5433). Exported to CMD in `run` mode:
#   FAULTLINE_PG_HOST=127.0.0.1 FAULTLINE_PG_PORT FAULTLINE_PG_USER=app FAULTLINE_PG_PASSWORD=app
#   FAULTLINE_PG_DB=app         (role `app` owns database `app`; TCP logins use scram-sha-256)
# Composes with redis-servers.sh: postgres-server.sh run -- redis-servers.sh run -- ctest ...
# The cluster trades durability for speed (fsync=off, initdb --no-sync): never keep data in it.
# PostgreSQL refuses to run as root, so as root every server command runs as user postgres.
set -euo pipefail

readonly PGBIN=${FAULTLINE_PGBIN:-/usr/lib/postgresql/15/bin}
readonly START_TIMEOUT_S=30        # pg_ctl -w -t: bound on the server becoming ready
readonly STOP_TIMEOUT_S=20         # pg_ctl -w -t: bound on a fast shutdown
readonly KILL_ATTEMPTS=100         # x 0.05 s: at most 5 s for the postmaster to exit after SIGKILL
readonly APP_ROLE=app
readonly APP_PASSWORD=app
readonly APP_DB=app

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/servers.sh"

usage() { usage_from_header 16; }

# Runs a server tool as the cluster's owner: user postgres when we are root, ourselves otherwise.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_number() {
  local port=${FAULTLINE_PG_PORT:-5433}
  [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) ||
    die "FAULTLINE_PG_PORT must be in [1024, 65535], got '$port'"
  echo "$port"
}

start() {  # DIR
  local dir=$1 port
  port=$(port_number)
  [[ -x "$PGBIN/initdb" ]] || die "$PGBIN/initdb not found (apt-get install postgresql-15)"
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
  echo "$port" >"$dir/port"
  as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 ||
    { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed"; }
  # -w waits until the server accepts connections, for at most START_TIMEOUT_S. A taken port
  # makes the server exit at once ("could not create any TCP/IP sockets"), and pg_ctl with it.
  if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$START_TIMEOUT_S" \
      start -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null; then
    echo "postgres-server.sh: the server did not start on port $port" \
      "(is the port taken? set FAULTLINE_PG_PORT); log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    stop "$dir"
    return 1
  fi
  # Over the Unix socket in DIR (trust): no password needed to create the application role.
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_PASSWORD'" \
    -c "CREATE DATABASE $APP_DB OWNER $APP_ROLE" >/dev/null ||
    { stop "$dir"; die "could not create role and database $APP_DB"; }
}

stop() {  # DIR
  local dir=$1 pid
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  if [[ -z "$pid" ]] || ! alive "$pid"; then return 0; fi
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t "$STOP_TIMEOUT_S" stop >/dev/null 2>&1 ||
    true
  # pg_ctl may report failure while the postmaster lingers as a zombie: decide by process state.
  if alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" "$KILL_ATTEMPTS" || true
  fi
}

run() {  # -- CMD...
  [[ $# -gt 0 && "$1" == "--" ]] || usage
  shift
  [[ $# -gt 0 ]] || usage
  enter_run_dir faultline-pg  # the cluster is stopped however we leave
  start "$RUN_DIR"
  export FAULTLINE_PG_HOST=127.0.0.1
  export FAULTLINE_PG_PORT
  FAULTLINE_PG_PORT=$(cat "$RUN_DIR/port")
  export FAULTLINE_PG_USER=$APP_ROLE
  export FAULTLINE_PG_PASSWORD=$APP_PASSWORD
  export FAULTLINE_PG_DB=$APP_DB
  run_and_exit "$@"
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
