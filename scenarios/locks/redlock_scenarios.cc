#include "scenarios/locks/redlock_scenarios.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;

// Redlock over five nodes, no faults yet: each spec below opens the ones it is about.
LockScenarioSpec base(std::string name, std::string description, Expect expect) {
  LockScenarioSpec spec;
  spec.name = std::move(name);
  spec.description = std::move(description);
  spec.expect = expect;
  spec.kind = LockKind::kRedlock;
  spec.nodes = 5;
  // Unfenced unless a spec says otherwise: what Redlock alone promises is mutual exclusion.
  spec.mutual_exclusion = true;
  sim::FaultSpace& f = spec.faults;
  f = sim::FaultSpace::none();
  f.horizon = 6s;
  f.max_faults = 6;
  return spec;
}

}  // namespace

std::vector<LockScenarioSpec> redlock_specs() {
  std::vector<LockScenarioSpec> specs;

  {
    LockScenarioSpec s = base("redlock/fenced",
                              "Redlock over 5 nodes + fencing tokens from a durable counter: no "
                              "lost update under every fault at once (must hold)",
                              Expect::kHolds);
    s.fenced = true;
    s.mutual_exclusion = false;  // fencing, not exclusion, is what this claim rests on
    s.tokens = TokenCheck::kRising;
    s.min_sections_ok = 12;  // fewest applied writes over 2000 seeds: 29 of 100
    sim::FaultSpace& f = s.faults;
    f.max_faults = 8;
    f.pauses = true;
    f.pause_max = 2s;
    f.client_crashes = true;
    f.node_crashes = true;
    f.node_crash_without_persistence = true;
    f.clock_faults = true;
    f.step_max = 500ms;
    f.drift_ppm_max = 20'000;  // beyond the drift allowance: fencing must not care
    f.partitions = true;
    f.network_max = sim::NetworkFaults{50'000, 50'000, 10'000, 10'000, 1s};
    specs.push_back(std::move(s));
  }
  {
    LockScenarioSpec s = base(
        "redlock/bounded-faults",
        "Redlock over 5 nodes without fencing, within its assumptions: drift under the "
        "allowance, data-losing nodes down longer than the ttl, pauses and delays under the "
        "client's safety margin (must hold)",
        Expect::kHolds);
    // Pauses (100ms) + delay spikes (100ms) + latency (2ms) + prepare (2ms) < margin.
    s.safety_margin = 300ms;
    s.workload.hold_after_unknown_write = true;  // a late write must not outlive a release
    s.min_sections_ok = 10;  // fewest applied writes over 2000 seeds: 19 of 100
    sim::FaultSpace& f = s.faults;
    f.max_faults = 8;
    f.pauses = true;
    f.pause_max = 100ms;
    f.client_crashes = true;
    f.node_crashes = true;
    f.node_crash_without_persistence = true;
    f.downtime_min = s.workload.ttl + 200ms;
    f.downtime_max = 3s;
    f.clock_faults = true;
    f.step_max = 0ns;          // steps break Redlock (redlock/clock-step); drift only
    f.drift_ppm_max = 4'000;   // client and node together stay under the 10000 ppm allowance
    f.partitions = true;
    f.network_max = sim::NetworkFaults{50'000, 50'000, 10'000, 50'000, 100ms};
    specs.push_back(std::move(s));
  }
  {
    LockScenarioSpec s = base("redlock/pause-after-acquire",
                              "Redlock without fencing: a stop-the-world pause outlives the "
                              "lease and the resumed holder writes (must be found)",
                              Expect::kViolationFound);
    s.faults.pauses = true;
    s.faults.pause_max = 3s;
    specs.push_back(std::move(s));
  }
  {
    LockScenarioSpec s = base("redlock/clock-step",
                              "Redlock without fencing: a node's clock jumps forward, its key "
                              "expires early and a second client gets a majority (must be found)",
                              Expect::kViolationFound);
    s.faults.clock_faults = true;
    s.faults.client_clock_faults = false;
    s.faults.forward_steps_only = true;
    s.faults.step_max = 2s;
    s.faults.drift_ppm_max = 0;
    s.faults.max_faults = 8;
    specs.push_back(std::move(s));
  }
  {
    LockScenarioSpec s = base("redlock/restart-without-persistence",
                              "Redlock (3 nodes) without fencing: a holder missed one node, "
                              "another restarts at once without its data, forgets the key and "
                              "grants it again (must be found)",
                              Expect::kViolationFound);
    // Three nodes, so that one missed node (a partition) and one forgetful restart are enough.
    s.nodes = 3;
    s.faults.partitions = true;
    s.faults.node_crashes = true;
    s.faults.node_crash_without_persistence = true;
    s.faults.node_crash_always_loses_data = true;
    s.faults.downtime_max = 200ms;
    s.faults.max_faults = 12;
    specs.push_back(std::move(s));
  }
  {
    LockScenarioSpec s = base("redlock/no-elapsed-check",
                              "a Redlock that does not subtract the acquisition time from the "
                              "validity: slow replies leave it trusting an expired lease "
                              "(must be found)",
                              Expect::kViolationFound);
    s.kind = LockKind::kNaiveRedlock;
    s.faults.network_max = sim::NetworkFaults{0, 0, 0, 200'000, 900ms};
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace faultline::scenarios
