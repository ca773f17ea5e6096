// Our PostgreSQL clients against pgbench, interleaved in one run: the client threads ours run on,
// and the repeated (ours, pgbench) pairs with the counters they report. Shared by
// postgres_lock_bench and postgres_idempotency_bench.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/measure.h"
#include "bench/pgbench_runner.h"
#include "faultline/task.h"

namespace faultline::bench {

using SteadyClock = std::chrono::steady_clock;

// Runs every shard's clients, each shard on a thread of its own, for `duration`, and returns
// the elapsed seconds. A Shard has an `io` (an io_context run by its thread alone, so Asio takes
// no locks); clients(shard, shard index, until) returns the coroutines to run on it, each of
// which must end soon after `until`.
template <class Shard, class Clients>
double run_shards(std::vector<std::unique_ptr<Shard>>& shards, std::chrono::nanoseconds duration,
                  const Clients& clients) {
  const auto started = SteadyClock::now();
  const auto until = started + duration;
  const auto run_shard = [until, &clients](Shard& shard, std::size_t index) {
    std::vector<Task<void>> tasks = clients(shard, index, until);
    int running = static_cast<int>(tasks.size());
    for (Task<void>& task : tasks) {
      boost::asio::co_spawn(shard.io, std::move(task),
                            [&running](std::exception_ptr) { --running; });
    }
    if (shard.io.stopped()) shard.io.restart();
    while (running > 0) shard.io.run_one();
  };
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < shards.size(); ++i) {
    others.emplace_back(run_shard, std::ref(*shards[i]), i);
  }
  run_shard(*shards[0], 0);
  for (std::thread& t : others) t.join();
  return std::chrono::duration<double>(SteadyClock::now() - started).count();
}

// What our side did in one timed run.
struct OursRun {
  double seconds = 0;
  long pairs = 0;  // completed units of work: the same unit as one pgbench script run
  long failures = 0;
};

struct Versus {
  std::chrono::nanoseconds warmup{};   // an untimed run of ours first
  std::chrono::nanoseconds duration{};  // of each of our runs (pgbench's -T is the caller's)
  int repetitions = 3;                  // interleaved (ours, pgbench) pairs; medians reported
  int statements_per_pair = 2;          // for the CPU per statement
};

// Runs ours(duration) and theirs() `repetitions` times, interleaved, after a warm-up, and sets
// the counters: ours_tps and pgbench_tps (pairs per second, medians), ratio = ours / theirs (the
// median; the project's target is >= 0.8, reported, not asserted), ratio_min, ratio_max,
// failures, and each side's client CPU per statement (ours: getrusage of this process; pgbench:
// of the reaped pgbench process and its shell): the client's own cost, which the rates only show
// mixed with how the scheduler shared the cores with the server that run. Skips the benchmark
// with an error when pgbench fails or a side did no work. A smoke run (smoke_run()) runs ours
// alone, once, for kSmokeDuration.
inline void versus_pgbench(benchmark::State& state, const Versus& versus,
                           const std::function<OursRun(std::chrono::nanoseconds)>& ours,
                           const std::function<std::optional<PgbenchRun>()>& theirs) {
  if (smoke_run()) {
    for (auto _ : state) {
      const OursRun run = ours(kSmokeDuration);
      state.counters["ours_tps"] = static_cast<double>(run.pairs) / run.seconds;
      state.counters["failures"] = static_cast<double>(run.failures);
      if (run.pairs == 0 || run.failures > 0) state.SkipWithError("the smoke run failed");
    }
    return;
  }
  std::vector<double> ours_rates;
  std::vector<double> theirs_rates;
  std::vector<double> ratios;
  double ours_cpu_us = 0;  // summed over the repetitions, per statement
  double theirs_cpu_us = 0;
  long failures = 0;
  for (auto _ : state) {
    failures += ours(versus.warmup).failures;
    for (int rep = 0; rep < versus.repetitions; ++rep) {
      const double self_before = cpu_seconds(RUSAGE_SELF);
      const OursRun run = ours(versus.duration);
      const double self_used = cpu_seconds(RUSAGE_SELF) - self_before;
      failures += run.failures;
      const double children_before = cpu_seconds(RUSAGE_CHILDREN);
      const std::optional<PgbenchRun> raw = theirs();
      const double children_used = cpu_seconds(RUSAGE_CHILDREN) - children_before;
      if (!raw || run.pairs == 0 || raw->transactions <= 0) {
        state.SkipWithError("pgbench failed to run, or a side did no work");
        return;
      }
      const double rate = static_cast<double>(run.pairs) / run.seconds;
      ours_rates.push_back(rate);
      theirs_rates.push_back(raw->tps);
      ratios.push_back(rate / raw->tps);
      const double statements = versus.statements_per_pair;
      ours_cpu_us += self_used * 1e6 / (static_cast<double>(run.pairs) * statements);
      theirs_cpu_us += children_used * 1e6 / (raw->transactions * statements);
    }
  }
  state.counters["ours_tps"] = median(ours_rates);
  state.counters["pgbench_tps"] = median(theirs_rates);
  state.counters["ratio"] = median(ratios);
  state.counters["ratio_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["ratio_max"] = *std::max_element(ratios.begin(), ratios.end());
  state.counters["ours_cpu_us_per_statement"] = ours_cpu_us / versus.repetitions;
  state.counters["pgbench_cpu_us_per_statement"] = theirs_cpu_us / versus.repetitions;
  state.counters["failures"] = static_cast<double>(failures);
}

}  // namespace faultline::bench
