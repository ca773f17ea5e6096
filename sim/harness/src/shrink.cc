#include "faultline/harness/shrink.h"

namespace faultline::harness {

bool needs_no_fault(const sim::FaultPlan& plan) {
  const sim::NetworkFaults& n = plan.network;
  return plan.faults.empty() && n.request_loss_ppm == 0 && n.reply_loss_ppm == 0 &&
         n.duplicate_ppm == 0 && n.spike_ppm == 0;
}

Shrunk shrink(const Scenario& scenario, std::uint64_t seed, sim::FaultPlan plan, int max_runs) {
  Shrunk best{plan, scenario.run(seed, plan, RunOptions{}), 1};
  auto still_fails = [&](const sim::FaultPlan& candidate) {
    if (best.runs >= max_runs) return false;
    ++best.runs;
    RunResult result = scenario.run(seed, candidate, RunOptions{});
    if (!result.violation) return false;
    best.plan = candidate;
    best.result = std::move(result);
    return true;
  };
  if (!best.result.violation) return best;

  bool changed = true;
  while (changed && best.runs < max_runs) {
    changed = false;
    // 1. Drop whole faults, last first (later faults are more often incidental).
    for (std::size_t i = best.plan.faults.size(); i-- > 0;) {
      sim::FaultPlan candidate = best.plan;
      candidate.faults.erase(candidate.faults.begin() + static_cast<std::ptrdiff_t>(i));
      changed |= still_fails(candidate);
    }
    // 2. Quieten the network, one kind of message fault at a time.
    for (std::uint32_t sim::NetworkFaults::*field :
         {&sim::NetworkFaults::request_loss_ppm, &sim::NetworkFaults::reply_loss_ppm,
          &sim::NetworkFaults::duplicate_ppm, &sim::NetworkFaults::spike_ppm}) {
      if (best.plan.network.*field == 0) continue;
      sim::FaultPlan candidate = best.plan;
      candidate.network.*field = 0;
      changed |= still_fails(candidate);
    }
    // 3. Tame what is left, as each kind knows how (shorter, smaller, failing fast): the first
    //    simpler variant that still fails replaces the fault.
    for (std::size_t i = 0; i < best.plan.faults.size(); ++i) {
      for (const sim::Fault& simpler : sim::shrink_candidates(best.plan.faults[i])) {
        sim::FaultPlan candidate = best.plan;
        candidate.faults[i] = simpler;
        if (still_fails(candidate)) {
          changed = true;
          break;
        }
      }
    }
  }
  return best;
}

}  // namespace faultline::harness
