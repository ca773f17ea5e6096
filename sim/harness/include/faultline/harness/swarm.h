// Swarm testing, as TigerBeetle's VOPR and Groce et al. ("Swarm Testing", ISSTA 2012) do it:
// each seed switches whole fault kinds off, so that a run sees a few kinds at full strength
// rather than every kind diluted. Rare combinations (a pause with no message loss to mask it,
// a crash with nothing else going on) then come up far more often.
//
// swarm_plan keeps each scheduled fault kind and each kind of message fault (request loss,
// reply loss, duplication, delay spikes) with probability 1/2, drawn from the seed alone, on a
// stream of its own (the scenario's own draws are unchanged). Deterministic in (seed, plan).
#pragma once

#include <cstdint>

#include "faultline/sim/fault_plan.h"

namespace faultline::harness {

[[nodiscard]] sim::FaultPlan swarm_plan(std::uint64_t seed, sim::FaultPlan plan);

}  // namespace faultline::harness
