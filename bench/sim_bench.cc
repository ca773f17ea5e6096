// Simulator throughput: raw scheduler events per second, and whole scenario seeds per second.
//
// Targets (issue 2): >= 5 million events/s per core for the scheduler; >= 1,000 seeds/s for
// lease-lock/fenced with 5 clients x 20 critical sections. Reported as counters, not asserted:
// timing belongs in benchmarks, never in unit tests.
#include <benchmark/benchmark.h>

#include "faultline/sim/world.h"
#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/framework/runner.h"

namespace {

using namespace std::chrono_literals;

faultline::Task<void> sleeper(faultline::Clock& clock, int sleeps) {
  for (int i = 0; i < sleeps; ++i) co_await clock.sleep_for(1ms);
}

// `coroutines` coroutines on one process each sleep `sleeps` times: one event per sleep.
void BM_SchedulerEvents(benchmark::State& state) {
  const auto coroutines = static_cast<int>(state.range(0));
  const int sleeps = 10'000;
  std::uint64_t events = 0;
  for (auto _ : state) {
    faultline::sim::World world(1);
    faultline::sim::Process& p = world.add_process("p");
    for (int i = 0; i < coroutines; ++i) p.spawn(sleeper(p.clock(), sleeps));
    while (world.step()) {
    }
    events += world.events_run();
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerEvents)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond);

// Whole runs of lease-lock/fenced (5 clients x 20 critical sections), one seed per iteration.
void BM_LeaseLockFencedSeeds(benchmark::State& state) {
  faultline::scenarios::LeaseLockScenario scenario(/*fenced=*/true);
  std::uint64_t i = 0;
  std::uint64_t events = 0;
  for (auto _ : state) {
    auto result = scenario.run(faultline::scenarios::seed_at(0x5EED, i++));
    if (result.violation) state.SkipWithError("invariant violated");
    events += result.events;
  }
  state.counters["seeds_per_s"] =
      benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
  state.counters["events_per_seed"] = static_cast<double>(events) / static_cast<double>(i);
}
BENCHMARK(BM_LeaseLockFencedSeeds)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
