// redis_limit_bench: rate-limit decisions per second through RedisLimitStore against, in the same
// run on the same loopback server, redis-benchmark running the very same script and
// rate-limiter-flexible (npm) on Node.js.
//
//   scripts/redis-servers.sh run -- build/bench/redis_limit_bench
//
// Policies (kAlgorithms), keys cycling over kKeys = 10,000, so at 20-80 k decisions/s a key sees
// 2-8 decisions a second: every decision is allowed and writes the key's state (with its TTL),
// and finds the state the previous one left. GCRA and the token bucket: 10 a second with a burst
// of 1000 (each decision moves the TAT 100 ms ahead, a run adds ~100 per key: far from the 100 s
// of tolerance; a rate of 1000/s would leave a key at rest, its state expired, 1 ms after each
// decision). The windows: a limit of 1000 per 1 s; the sliding log, the heaviest script, then
// holds the few members of the last second (a longer window would grow during the run, so the
// side that runs second would find longer logs).
//
// BM_VersusRedisBenchmark/<algorithm>: ours is kClients coroutines on one io_context thread,
// each with its own Connection (like redis-benchmark -c 50), deciding cost 1 on key
// serial % kKeys (twelve digits), without pipelining. Theirs: redis-benchmark -c 50 running
// EVALSHA of the same script text (prelude included: the SHA our store runs) with the same ARGV,
// on KEYS[1] = limit_key(__rand_int__) with -r kKeys: the same 10,000 keys, drawn at random.
// The pair (ours, then redis-benchmark) runs kRepetitions times, interleaved. Counters
// (medians): ours_decisions_per_s, redis_benchmark_decisions_per_s, ratio = ours / theirs
// (target >= 0.9; reported, not asserted), ratio_min, ratio_max, each side's CPU microseconds
// per decision (ours: this process; theirs: the redis-benchmark child), ours_allowed_share,
// failures.
//
// BM_VersusRateLimiterFlexible: one Node.js process (bench/node/limit_bench.js: one ioredis
// client, 50 consumers each with one consume() in flight) against ours deployed the same way:
// 50 coroutines sharing one Connection (which pipelines them), for the same kNodeSeconds after
// the same warm-up (20 decisions per client), on the same keys. Per repetition: our fixed
// window, their RateLimiterRedis (fixed window, one Lua script), our GCRA, their
// BurstyRateLimiter (their other Redis limiter that is atomic; its second limiter is never
// consulted here). Counters (medians): ratio_fixed_window = our fixed window / their fixed
// window, ratio_gcra = our GCRA / the better of their two (target: ahead, > 1), the rates, each
// side's CPU microseconds per fixed-window decision, and the allowed shares. Without node or its
// node_modules the benchmark is skipped, the reason in its label.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/measure.h"
#include "bench/node_runner.h"
#include "bench/redis_benchmark_runner.h"
#include "faultline/backends/redis/limit_scripts.h"
#include "faultline/backends/redis/limit_store.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::redis::RedisLimitStore;
using faultline::bench::make_stores;
using faultline::bench::median;
using SteadyClock = std::chrono::steady_clock;
namespace rl = faultline::ratelimit;
namespace scripts = faultline::backends::redis::limit_scripts;

constexpr int kClients = 50;
constexpr long kKeys = 10'000;
constexpr int kWarmupDecisions = 20;  // per client: connect, load the script, warm caches
constexpr int kRepetitions = 5;       // interleaved (ours, theirs) pairs; medians reported
constexpr int kDecisions = 100'000;   // per run against redis-benchmark
constexpr double kNodeSeconds = 3;    // per run against rate-limiter-flexible
constexpr auto kTimeout = 5s;

struct Algorithm {
  const char* name;
  rl::Policy policy;
};

const Algorithm kAlgorithms[] = {
    {"gcra", rl::GcraPolicy{.count = 10, .period = 1s, .max_burst = 999}},
    {"sliding-log", rl::SlidingLogPolicy{.limit = 1000, .window = 1s}},
    {"fixed-window", rl::FixedWindowPolicy{.limit = 1000, .window = 1s}},
    {"token-bucket", rl::TokenBucketPolicy{.capacity = 1000, .count = 10, .period = 1s}},
    {"sliding-counter", rl::SlidingCounterPolicy{.limit = 1000, .window = 1s}},
};
constexpr int kGcra = 0;
constexpr int kFixedWindow = 2;

// The ARGV RedisLimitStore sends for `policy` and cost 1 (see limit_scripts.h), space-separated.
std::string script_argv(const rl::Policy& policy) {
  std::string argv;
  for (const std::string& p : faultline::backends::redis::script_params(policy)) argv += p + " ";
  return argv + "1";
}

// How a run of ours ends: when `budget` decisions are spent or at `deadline`, whichever first.
struct Run {
  long budget = LONG_MAX;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  long serial = 0;  // the next key: serial % kKeys
};

struct Tally {
  long allowed = 0;
  long refused = 0;
  long failures = 0;
};

Task<void> client(RedisLimitStore& store, const rl::Policy& policy, Run& run, Tally& tally) {
  while (run.budget > 0 && SteadyClock::now() < run.deadline) {
    --run.budget;
    const std::string key = faultline::bench::twelve_digits(run.serial++ % kKeys);
    auto call = store.decide(key, policy, 1, kTimeout);  // named: g++ 12 and co_await operands
    Result<rl::Decision> decision = co_await std::move(call);
    if (!decision.ok()) {
      ++tally.failures;
    } else if (decision->allowed) {
      ++tally.allowed;
    } else {
      ++tally.refused;
    }
  }
}

// kClients clients over `stores` (client i on store i % size) until `run` ends; returns the
// decisions made per second.
double run_clients(boost::asio::io_context& io,
                   std::vector<std::unique_ptr<RedisLimitStore>>& stores, const rl::Policy& policy,
                   Run run, Tally& tally) {
  const long before = tally.allowed + tally.refused + tally.failures;
  int running = kClients;
  const auto started = SteadyClock::now();
  for (int i = 0; i < kClients; ++i) {
    boost::asio::co_spawn(io, client(*stores[i % stores.size()], policy, run, tally),
                          [&running](std::exception_ptr) { --running; });
  }
  while (running > 0) io.run_one();
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  return static_cast<double>(tally.allowed + tally.refused + tally.failures - before) / seconds;
}

// redis-benchmark -c kClients: kDecisions EVALSHA of `algorithm`'s script on random keys among
// kKeys; decisions per second, or nothing.
std::optional<double> run_raw(boost::asio::io_context& io, int port, const Algorithm& algorithm) {
  const std::optional<std::string> sha = faultline::bench::load_script(
      io, port, scripts::single_script(rl::algorithm_name(algorithm.policy)));
  if (!sha) return std::nullopt;
  const std::string arguments =
      "1 " + rl::limit_key("__rand_int__", algorithm.policy) + " " + script_argv(algorithm.policy);
  return faultline::bench::redis_benchmark({port}, kClients, kDecisions, {*sha}, arguments, 1,
                                           kKeys)[0];
}

void BM_VersusRedisBenchmark(benchmark::State& state) {
  const std::optional<int> port = faultline::bench::redis_port_or_skip(state);
  if (!port) return;
  const Algorithm& algorithm = kAlgorithms[state.range(0)];
  state.SetLabel(algorithm.name);
  boost::asio::io_context io(1);  // one thread: no locking inside Asio
  std::vector<std::unique_ptr<RedisLimitStore>> stores =
      make_stores<RedisLimitStore>(state, io, *port, kClients);
  if (stores.empty()) return;
  Tally warmup, tally;
  std::vector<double> ours_rates, theirs_rates, ratios, ours_cpu, theirs_cpu;
  using faultline::bench::cpu_seconds;
  for (auto _ : state) {
    run_clients(io, stores, algorithm.policy, Run{.budget = kClients * kWarmupDecisions}, warmup);
    for (int rep = 0; rep < kRepetitions; ++rep) {
      const double self_before = cpu_seconds(RUSAGE_SELF);
      const double ours =
          run_clients(io, stores, algorithm.policy, Run{.budget = kDecisions}, tally);
      ours_cpu.push_back((cpu_seconds(RUSAGE_SELF) - self_before) * 1e6 / kDecisions);
      const double children_before = cpu_seconds(RUSAGE_CHILDREN);
      const std::optional<double> theirs = run_raw(io, *port, algorithm);
      theirs_cpu.push_back((cpu_seconds(RUSAGE_CHILDREN) - children_before) * 1e6 / kDecisions);
      if (!theirs) {
        state.SkipWithError("redis-benchmark failed");
        return;
      }
      ours_rates.push_back(ours);
      theirs_rates.push_back(*theirs);
      ratios.push_back(ours / *theirs);
    }
  }
  state.counters["ours_decisions_per_s"] = median(ours_rates);
  state.counters["redis_benchmark_decisions_per_s"] = median(theirs_rates);
  state.counters["ratio"] = median(ratios);
  state.counters["ratio_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["ratio_max"] = *std::max_element(ratios.begin(), ratios.end());
  state.counters["ours_cpu_us_per_decision"] = median(ours_cpu);
  state.counters["redis_benchmark_cpu_us_per_decision"] = median(theirs_cpu);
  state.counters["ours_allowed_share"] =
      static_cast<double>(tally.allowed) / static_cast<double>(kRepetitions * kDecisions);
  state.counters["failures"] = static_cast<double>(warmup.failures + tally.failures);
}

BENCHMARK(BM_VersusRedisBenchmark)
    ->DenseRange(0, std::size(kAlgorithms) - 1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One timed run of ours on the single shared store, after `run_clients` made it warm: decisions
// per second and our CPU microseconds per decision.
struct OursRun {
  double per_s = 0;
  double cpu_us = 0;
};
OursRun run_shared(boost::asio::io_context& io,
                   std::vector<std::unique_ptr<RedisLimitStore>>& shared, const rl::Policy& policy,
                   Tally& tally) {
  using faultline::bench::cpu_seconds;
  run_clients(io, shared, policy, Run{.budget = kClients * kWarmupDecisions}, tally);
  const long before = tally.allowed + tally.refused + tally.failures;
  const double cpu_before = cpu_seconds(RUSAGE_SELF);
  const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                 std::chrono::duration<double>(kNodeSeconds));
  const double per_s = run_clients(io, shared, policy, Run{.deadline = deadline}, tally);
  const long decisions = tally.allowed + tally.refused + tally.failures - before;
  return {per_s, (cpu_seconds(RUSAGE_SELF) - cpu_before) * 1e6 / static_cast<double>(decisions)};
}

void BM_VersusRateLimiterFlexible(benchmark::State& state) {
  const std::optional<int> port = faultline::bench::redis_port_or_skip(state);
  if (!port) return;
  const std::string node_dir = FAULTLINE_BENCH_NODE_DIR;
  if (const std::optional<std::string> missing = faultline::bench::node_missing(node_dir)) {
    for (auto _ : state) {
    }
    state.SetLabel("skipped: " + *missing);
    return;
  }
  boost::asio::io_context io(1);
  std::vector<std::unique_ptr<RedisLimitStore>> shared =
      make_stores<RedisLimitStore>(state, io, *port, 1);
  if (shared.empty()) return;
  Tally tally;
  std::vector<double> ours_fw, ours_gcra, theirs_fw, theirs_bursty, ratio_fw, ratio_gcra;
  std::vector<double> ours_cpu, theirs_cpu, theirs_allowed;
  const auto node = [&](const char* limiter) {
    return faultline::bench::run_node(node_dir, limiter, *port, kClients, kKeys, kNodeSeconds);
  };
  for (auto _ : state) {
    for (int rep = 0; rep < kRepetitions; ++rep) {
      const OursRun fw = run_shared(io, shared, kAlgorithms[kFixedWindow].policy, tally);
      const std::optional<faultline::bench::NodeRun> their_fw = node("fixed-window");
      const OursRun gcra = run_shared(io, shared, kAlgorithms[kGcra].policy, tally);
      const std::optional<faultline::bench::NodeRun> bursty = node("bursty");
      if (!their_fw || !bursty) {
        state.SkipWithError("bench/node/limit_bench.js failed (its output is on stderr)");
        return;
      }
      ours_fw.push_back(fw.per_s);
      ours_gcra.push_back(gcra.per_s);
      theirs_fw.push_back(their_fw->consumes_per_s);
      theirs_bursty.push_back(bursty->consumes_per_s);
      ratio_fw.push_back(fw.per_s / their_fw->consumes_per_s);
      ratio_gcra.push_back(gcra.per_s / std::max(their_fw->consumes_per_s, bursty->consumes_per_s));
      ours_cpu.push_back(fw.cpu_us);
      theirs_cpu.push_back(their_fw->cpu_us_per_consume);
      theirs_allowed.push_back(std::min(their_fw->allowed_share, bursty->allowed_share));
    }
  }
  state.counters["ours_fixed_window_per_s"] = median(ours_fw);
  state.counters["ours_gcra_per_s"] = median(ours_gcra);
  state.counters["rlflx_fixed_window_per_s"] = median(theirs_fw);
  state.counters["rlflx_bursty_per_s"] = median(theirs_bursty);
  state.counters["ratio_fixed_window"] = median(ratio_fw);
  state.counters["ratio_fixed_window_min"] = *std::min_element(ratio_fw.begin(), ratio_fw.end());
  state.counters["ratio_gcra"] = median(ratio_gcra);
  state.counters["ratio_gcra_min"] = *std::min_element(ratio_gcra.begin(), ratio_gcra.end());
  state.counters["ours_cpu_us_per_decision"] = median(ours_cpu);
  state.counters["rlflx_cpu_us_per_consume"] = median(theirs_cpu);
  state.counters["ours_allowed_share"] =
      static_cast<double>(tally.allowed) / static_cast<double>(tally.allowed + tally.refused);
  state.counters["rlflx_allowed_share"] = median(theirs_allowed);
  state.counters["failures"] = static_cast<double>(tally.failures);
}

BENCHMARK(BM_VersusRateLimiterFlexible)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
