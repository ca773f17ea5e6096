#!/usr/bin/env bash
# Builds and runs the benchmarks: the simulator's, the resilience patterns' per-call cost, the
# Redis lock and the Redis idempotency store against redis-benchmark on a loopback server started
# for the run, Redlock against redis-benchmark on five loopback servers, and advisory locks and
# the PostgreSQL idempotency store against pgbench on a throw-away PostgreSQL cluster. The
# figures in README.md come from this command.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --servers
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target sim_bench linearizability_bench resilience_bench \
  redis_lock_bench redlock_bench postgres_lock_bench redis_idempotency_bench \
  postgres_idempotency_bench
build/bench/sim_bench --benchmark_min_time=2
build/bench/linearizability_bench
build/bench/resilience_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
FAULTLINE_REDIS_COUNT=1 "$root/scripts/redis-servers.sh" run -- build/bench/redis_lock_bench
# A fresh server: the benchmark creates its records and expects none of them to exist.
FAULTLINE_REDIS_COUNT=1 "$root/scripts/redis-servers.sh" run -- \
  build/bench/redis_idempotency_bench
# Redlock needs its five independent nodes.
"$root/scripts/redis-servers.sh" run 5 -- build/bench/redlock_bench
"$root/scripts/postgres-server.sh" run -- build/bench/postgres_lock_bench
"$root/scripts/postgres-server.sh" run -- build/bench/postgres_idempotency_bench
