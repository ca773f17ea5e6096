// What the rate-limit scenarios share: the application instances' clocks, drawn from the run's
// seed (an offset, a rate and one step each, noted in the history), the true time at the Redis
// node's resolution, and the faults the claims are made under.
// Thread-safety: none (a run's World is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faultline/clock.h"
#include "faultline/harness/scenario.h"
#include "faultline/harness/sim_scenario.h"
#include "faultline/ratelimit/decision.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/topology.h"
#include "scenarios/ratelimit/limit_invariants.h"

namespace faultline::scenarios::ratelimit {

struct InstanceClocks {
  int instances = 4;               // client-1 .. client-<instances>
  Duration skew_max{};             // the offset, either way
  std::int32_t drift_ppm_max = 0;  // the rate, either way
  Duration step_max{};             // one step either way within step_within; zero: no step
  Duration step_within{};
};

// Skews, drifts and (when step_max > 0) schedules one step of each instance's clock, drawn from
// `seed` on a stream of its own.
void skew_clocks(sim::Topology& topology, sim::History& history, std::uint64_t seed,
                 const InstanceClocks& clocks);

// True time since the run began, in whole milliseconds (as microseconds): the resolution of the
// Redis node's clock, which is accurate in these scenarios, so a decision on the node is made
// at exactly this.
[[nodiscard]] faultline::ratelimit::Micros true_ms(sim::SimTime now);

// Lost, duplicated and delayed messages (lost replies after the decision too), pauses of the
// instances, partitions between them and Redis, within the first 800ms. Redis never crashes
// (its limiter state would go, and that is another claim) and its clock is never faulted.
[[nodiscard]] sim::FaultSpace usual_faults();

// A window over its bound as a violation of kind "over-admitted": the operations of its
// admissions (indices into `admitted`) as the witness, the last of them blamed.
[[nodiscard]] harness::Violation over_admitted(LimitViolation over,
                                               const std::vector<Admission>& admitted);

// What every rate-limit scenario's spec shares: `instances` clients on one Redis ("redis"), at
// most 30s of virtual time, done when State::finished counts every instance.
template <class State>
harness::SimScenarioSpec<State> redis_limit_spec(std::string name, std::string description,
                                                 harness::Expect expect, int instances,
                                                 sim::FaultSpace faults) {
  harness::SimScenarioSpec<State> s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.expect = expect;
  s.clients = instances;
  s.faults = std::move(faults);
  s.run_limit = std::chrono::seconds(30);
  s.topology = [](sim::TopologyBuilder& t) { t.redis("redis"); };
  s.done = [instances](const harness::SimRun<State>& run) {
    return run.state.finished == instances;
  };
  return s;
}

}  // namespace faultline::scenarios::ratelimit
