#!/usr/bin/env bash
# Builds and runs the benchmarks: the simulator's, the resilience patterns' per-call cost, the
# Redis lock and the Redis idempotency store against redis-benchmark on a loopback server started
# for the run, Redlock against redis-benchmark on five loopback servers, and advisory locks and
# the PostgreSQL idempotency store against pgbench on a throw-away PostgreSQL cluster, the
# in-process rate limiter against the pure decide, and the Redis rate-limit store against
# redis-benchmark and rate-limiter-flexible on Node.js (installed into bench/node/node_modules by
# `npm ci` when npm is on PATH; without it that comparison is skipped). The figures in README.md
# come from this command.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --servers
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target sim_bench linearizability_bench resilience_bench \
  redis_lock_bench redlock_bench postgres_lock_bench redis_idempotency_bench \
  postgres_idempotency_bench local_limiter_bench redis_limit_bench
if command -v npm >/dev/null; then
  npm ci --prefix "$root/bench/node" --no-audit --no-fund >/dev/null
fi
build/bench/sim_bench --benchmark_min_time=2
build/bench/linearizability_bench
build/bench/resilience_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
build/bench/local_limiter_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
FAULTLINE_REDIS_COUNT=1 "$root/scripts/redis-servers.sh" run -- build/bench/redis_lock_bench
# A fresh server: the benchmark creates its records and expects none of them to exist.
FAULTLINE_REDIS_COUNT=1 "$root/scripts/redis-servers.sh" run -- \
  build/bench/redis_idempotency_bench
# Rate-limit decisions: redis-benchmark and rate-limiter-flexible on the same server, same run.
FAULTLINE_REDIS_COUNT=1 "$root/scripts/redis-servers.sh" run -- build/bench/redis_limit_bench
# Redlock needs its five independent nodes.
"$root/scripts/redis-servers.sh" run 5 -- build/bench/redlock_bench
"$root/scripts/postgres-server.sh" run -- build/bench/postgres_lock_bench
"$root/scripts/postgres-server.sh" run -- build/bench/postgres_idempotency_bench
