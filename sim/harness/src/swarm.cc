#include "faultline/harness/swarm.h"

#include <algorithm>

#include "faultline/sim/rng.h"

namespace faultline::harness {
namespace {

constexpr std::uint64_t kSwarmStream = 0x5357'4152'4dULL;  // "SWARM": a stream of its own

}  // namespace

sim::FaultPlan swarm_plan(std::uint64_t seed, sim::FaultPlan plan) {
  // One bit per scheduled kind, then one per kind of message fault.
  std::uint64_t state = seed ^ kSwarmStream;
  const std::uint64_t bits = sim::splitmix64(state);
  auto on = [bits](int bit) { return ((bits >> bit) & 1U) != 0; };
  std::erase_if(plan.faults, [&](const sim::Fault& f) { return !on(static_cast<int>(f.kind)); });
  sim::NetworkFaults& n = plan.network;
  if (!on(sim::kFaultKinds + 0)) n.request_loss_ppm = 0;
  if (!on(sim::kFaultKinds + 1)) n.reply_loss_ppm = 0;
  if (!on(sim::kFaultKinds + 2)) n.duplicate_ppm = 0;
  if (!on(sim::kFaultKinds + 3)) n.spike_ppm = 0;
  return plan;
}

}  // namespace faultline::harness
