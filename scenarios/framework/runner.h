// Running a scenario over many seeds, and shrinking a violation's fault plan.
//
// Seeds: the i-th seed of a run starting at `first` is seed_at(first, i) — a mixed, well spread
// 64-bit value, printed in hex so that it can be pasted into `faultline replay`.
// Parallelism: `jobs` worker threads each run whole Worlds; a World itself never sees a thread,
// and the result is independent of `jobs` (the lowest-indexed violation is the one reported).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::uint64_t seed_at(std::uint64_t first, std::uint64_t index);

struct SweepResult {
  std::uint64_t seeds_run = 0;
  std::optional<RunResult> first_violation;  // the lowest-indexed violating seed, if any
  // Its index: the same for any `jobs` (seeds_run is not: other workers may have run further).
  std::uint64_t first_violation_index = 0;
  std::uint64_t events = 0;
  double wall_seconds = 0;
};

// Runs seeds seed_at(first, 0 .. count-1). Stops early at a violation when `stop_at_violation`.
// `progress(done, count)` is called from the calling thread now and then, if set.
[[nodiscard]] SweepResult sweep(const Scenario& scenario, std::uint64_t first,
                                std::uint64_t count, int jobs, bool stop_at_violation,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress);

struct Shrunk {
  sim::FaultPlan plan;
  RunResult result;
  int runs = 0;  // how many runs shrinking took
};

// Greedily simplifies `plan` while run(seed, plan) still violates the invariant: drops faults,
// then quietens each network fault, then tames what is left (sim::shrink_candidates). Bounded by `max_runs`.
[[nodiscard]] Shrunk shrink(const Scenario& scenario, std::uint64_t seed, sim::FaultPlan plan,
                            int max_runs = 400);

}  // namespace faultline::scenarios
