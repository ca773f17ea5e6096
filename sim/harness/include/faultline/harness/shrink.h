// Shrinking a violation's fault plan to the few faults that still break the invariant.
//
// Greedy and deterministic: drops whole faults (last first), then quietens each kind of
// message fault, then tames what is left as each fault kind knows how (sim::shrink_candidates:
// shorter, smaller, failing fast), repeating while anything changed. Every candidate is run
// with the same seed, so the result replays exactly. Bounded by `max_runs` runs.
#pragma once

#include <cstdint>

#include "faultline/harness/scenario.h"

namespace faultline::harness {

struct Shrunk {
  sim::FaultPlan plan;
  RunResult result;  // the run of `plan`: still violating, unless the original did not
  int runs = 0;      // how many runs shrinking took
};

[[nodiscard]] Shrunk shrink(const Scenario& scenario, std::uint64_t seed, sim::FaultPlan plan,
                            int max_runs = 400);

// A plan with no fault at all: nothing scheduled, no message fault.
[[nodiscard]] bool needs_no_fault(const sim::FaultPlan& plan);

}  // namespace faultline::harness
