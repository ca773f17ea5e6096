// Seeds per second of every scenario in the catalogue, one worker, whatever the verdict.
//
// A sweep stops a hazard at its first violation, so `faultline run` cannot time one; here every
// scenario runs seed_at(0x5eed, 0..15), again and again, for the benchmark's time, hazards
// included. The counters are seeds per second and events per seed (a change that cuts the work per
// seed shows in the second). scripts/speed-compare.sh runs this beside an older build of the same
// file to print before/after ratios measured in one run.
//   build/bench/catalogue_bench --benchmark_filter='breaker/outage'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "scenarios/framework/catalogue.h"
#include "scenarios/framework/runner.h"

namespace {

using faultline::scenarios::Scenario;

void run_seeds(benchmark::State& state, const Scenario* scenario) {
  std::uint64_t i = 0;
  std::uint64_t events = 0;
  for (auto _ : state) {
    // The same 16 seeds over and over, so that two builds compared time the same runs.
    const auto result = scenario->run(faultline::scenarios::seed_at(0x5EED, i++ % 16));
    events += result.events;
    benchmark::DoNotOptimize(result.trace_hash);
  }
  state.counters["seeds_per_s"] =
      benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
  state.counters["events_per_seed"] = static_cast<double>(events) / static_cast<double>(i);
}

}  // namespace

int main(int argc, char** argv) {
  // The catalogue outlives the benchmarks that point into it: they all run before main returns.
  const faultline::harness::Catalogue all = faultline::scenarios::catalogue();
  for (const auto& scenario : all) {
    benchmark::RegisterBenchmark(scenario->name().c_str(), run_seeds, scenario.get())
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
