#!/usr/bin/env bash
# ThreadSanitizer over what runs on more than one thread: builds the few targets below with
# -fsanitize=thread in build-tsan/ (-DFAULTLINE_SANITIZE=thread), starts the test servers the way
# scripts/test-all.sh does (PostgreSQL, and five Redis servers), and runs
#   - the harness sweep's and explore's worker threads (harness_test: --jobs 2 and 3, on the
#     small scenario the harness tests are written against);
#   - PostgreSQL pools on two threads at once (postgres_pool_threads_test);
#   - the benchmarks' two-thread layouts (threads:2 of redlock_bench, postgres_lock_bench and
#     postgres_idempotency_bench) as smoke runs (FAULTLINE_BENCH_SMOKE=1: our clients only,
#     briefly, no reference client).
# --full adds what needs the whole scenario catalogue built (about half as much again to build):
# `faultline run 'locks/*' --seeds 50 --jobs 2` (real scenarios on the sweep's workers) and the
# backoff contention study's workers (backoff_contention_test). CI (.ci/run) runs the default.
# Every other test and benchmark runs on one thread (one io_context or World each), where TSan
# has nothing to say. Any TSan report ends the run with a non-zero status (halt_on_error, exit
# code 66), as does a failing test or a benchmark error. No suppressions: none has been needed
# (libpq and hiredis are not instrumented, and TSan is silent about what it cannot see). ccache
# only when the caller asks through CMake's own variable: CMAKE_CXX_COMPILER_LAUNCHER=ccache.
# Prints the seconds spent building and running at the end.
#   scripts/test-tsan.sh [--full]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="build-tsan"

# The runs, once the servers are up (the script calls itself through the servers' scripts).
if [[ "${1:-}" == "--run" ]]; then
  full=${2:-}
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
  export FAULTLINE_BENCH_SMOKE=1
  # The tests would skip, and pass, without their servers.
  : "${FAULTLINE_PG_HOST:?needs scripts/postgres-server.sh}" "${FAULTLINE_REDIS_PORTS:?}"
  run() { echo "test-tsan: $*" >&2; "$@"; }
  bench() {  # NAME FILTER: also fails on a benchmark skipped with an error
    local out
    echo "test-tsan: $build/bench/$1 --benchmark_filter=$2"
    out=$("$build/bench/$1" --benchmark_filter="$2" 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    ! grep -q "ERROR OCCURRED" <<<"$out"
  }
  run "$build/tests/harness/harness_test" --gtest_brief=1
  if [[ "$full" == --full ]]; then
    run "$build/scenarios/faultline" run 'locks/*' --seeds 50 --jobs 2 >/dev/null
    run "$build/tests/scenarios/backoff_contention_test" --gtest_brief=1
  fi
  run "$build/tests/backends/postgres_pool_threads_test" --gtest_brief=1
  bench redlock_bench '/threads:2/'
  bench postgres_lock_bench 'threads:2'
  bench postgres_idempotency_bench 'threads:2'
  exit 0
fi

"$root/scripts/install-deps.sh" --servers
full=""
[[ "${1:-}" == --full ]] && full=--full
targets=(harness_test postgres_pool_threads_test redlock_bench postgres_lock_bench
         postgres_idempotency_bench)
[[ -n "$full" ]] && targets+=(faultline backoff_contention_test)
# -O0 with line tables only (-g1): the build is most of the cost, and -O1 would cost more to
# compile than it saves in these short runs.
flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DFAULTLINE_SANITIZE=thread
       -DFAULTLINE_BUILD_BENCH=ON)
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
built=$SECONDS
"$root/scripts/postgres-server.sh" run -- "$root/scripts/redis-servers.sh" run 5 -- \
  "$root/scripts/test-tsan.sh" --run ${full:+"$full"}
echo "test-tsan: no ThreadSanitizer report; built in ${built}s, ran in $((SECONDS - built))s"
