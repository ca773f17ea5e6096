// redis_lock_bench: lease-lock round trips through RedisLockStore against redis-benchmark, both
// on the same loopback server in the same run.
//
//   scripts/redis-servers.sh run -- build/bench/redis_lock_bench
//
// Ours: kClients coroutines on one io_context thread, each with its own Connection (like
// redis-benchmark's -c 50), each doing acquire + release (two EVALSHA requests) on its own key,
// without pipelining. Theirs: redis-benchmark -c 50 running EVALSHA of the same acquire script,
// then of the same release script, as many of each, on random keys; their combined rate is the
// rate of that 50/50 mix. Counters: ours_requests_per_s, redis_benchmark_requests_per_s, and
// ratio = ours / theirs (the project's target is >= 0.8; reported, not asserted).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/redis_benchmark_runner.h"
#include "tests/support/redis_env.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/lock_scripts.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/redis/script.h"

namespace {

using faultline::testing::first_redis_port;

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::redis::Connection;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLockStore;
using faultline::backends::redis::Script;
using SteadyClock = std::chrono::steady_clock;

constexpr int kClients = 50;
constexpr int kWarmupRoundTrips = 20;  // per client: connect, load scripts, warm caches


// Lock round trips until the shared budget is spent; failures are counted, not retried.
Task<void> client(RedisLockStore& store, std::string key, std::string owner, int& budget,
                  int& failures) {
  while (budget > 0) {
    --budget;
    Result<faultline::locks::AcquireReply> acquired = co_await store.acquire(key, owner, 10s, 2s);
    if (!acquired.ok() || !acquired->acquired) {
      ++failures;
      continue;
    }
    Result<bool> released = co_await store.release(key, owner, 2s);
    if (!released.ok() || !*released) ++failures;
  }
}

// Runs `round_trips` acquire+release pairs over kClients clients; returns the elapsed seconds.
double run_clients(boost::asio::io_context& io,
                   std::vector<std::unique_ptr<RedisLockStore>>& stores, int round_trips,
                   int& failures) {
  int budget = round_trips;
  int running = static_cast<int>(stores.size());
  const auto started = SteadyClock::now();
  for (std::size_t i = 0; i < stores.size(); ++i) {
    boost::asio::co_spawn(io,
                          client(*stores[i], "bench:ours:" + std::to_string(i),
                                 "owner-" + std::to_string(i), budget, failures),
                          [&running](std::exception_ptr) { --running; });
  }
  while (running > 0) io.run_one();
  return std::chrono::duration<double>(SteadyClock::now() - started).count();
}

void BM_LeaseLockAcquireRelease(benchmark::State& state) {
  const std::optional<int> port = first_redis_port();
  if (!port) {
    state.SkipWithError("FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh");
    return;
  }
  const int round_trips = static_cast<int>(state.range(0));
  boost::asio::io_context io(1);  // one thread: no locking inside Asio

  std::vector<std::unique_ptr<RedisLockStore>> stores;
  for (int i = 0; i < kClients; ++i) {
    ConnectionOptions options;
    options.port = *port;
    Result<std::unique_ptr<RedisLockStore>> store = RedisLockStore::create(io, options);
    if (!store.ok()) {
      state.SkipWithError(store.error().to_string().c_str());
      return;
    }
    stores.push_back(std::move(store).value());
  }
  namespace scripts = faultline::backends::redis::lock_scripts;
  using faultline::bench::load_script;
  const std::optional<std::string> acquire_sha = load_script(io, *port, scripts::kAcquire);
  const std::optional<std::string> release_sha = load_script(io, *port, scripts::kRelease);
  if (!acquire_sha || !release_sha) {
    state.SkipWithError("could not load the lock scripts");
    return;
  }

  int failures = 0;
  double ours = 0;
  double theirs = 0;
  double theirs_acquire = 0;
  double theirs_release = 0;
  for (auto _ : state) {
    run_clients(io, stores, kClients * kWarmupRoundTrips, failures);
    const double seconds = run_clients(io, stores, round_trips, failures);
    ours = 2.0 * round_trips / seconds;  // acquire and release are one request each
    // The same two scripts, the same number of each, at the same concurrency: redis-benchmark
    // runs one command per invocation, so it runs acquire, then release, on the same keys.
    using faultline::bench::redis_benchmark;
    const std::optional<double> acquire = redis_benchmark(
        {*port}, kClients, round_trips, {*acquire_sha},
        "2 bench:theirs:__rand_int__ bench:theirs:__rand_int__:fence owner 10000")[0];
    const std::optional<double> release = redis_benchmark(
        {*port}, kClients, round_trips, {*release_sha}, "1 bench:theirs:__rand_int__ owner")[0];
    if (!acquire || !release) {
      state.SkipWithError("redis-benchmark failed to run");
      return;
    }
    theirs_acquire = *acquire;
    theirs_release = *release;
    theirs = 2.0 / (1.0 / *acquire + 1.0 / *release);  // the rate of the 50/50 mix
  }
  state.counters["ours_requests_per_s"] = ours;
  state.counters["redis_benchmark_requests_per_s"] = theirs;
  state.counters["redis_benchmark_acquire_per_s"] = theirs_acquire;
  state.counters["redis_benchmark_release_per_s"] = theirs_release;
  state.counters["ratio"] = theirs > 0 ? ours / theirs : 0;
  state.counters["failures"] = failures;
}

BENCHMARK(BM_LeaseLockAcquireRelease)
    ->Arg(50'000)  // lock round trips = 100,000 requests, the same count redis-benchmark sends
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
