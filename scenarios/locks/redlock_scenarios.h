// The Redlock scenarios: one safety claim with fencing, one without fencing under bounded
// faults, and the hazards of Kleppmann's 2016 critique and the debate that followed, each of
// which the simulator must find, shrink and replay.
//
//   redlock/fenced                      holds: fencing tokens from a durable counter
//   redlock/bounded-faults              holds: drift within the allowance, data-losing nodes
//                                       stay down longer than the ttl, pauses and delays shorter
//                                       than the client's safety margin
//   redlock/pause-after-acquire         hazard: a pause outlives the lease (no fencing)
//   redlock/clock-step                  hazard: a node's clock jumps, its key expires early
//   redlock/restart-without-persistence hazard: a node forgets the key and grants it again
//   redlock/no-elapsed-check            hazard: validity not reduced by the acquisition time
#pragma once

#include <vector>

#include "scenarios/locks/lock_scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::vector<LockScenarioSpec> redlock_specs();

}  // namespace faultline::scenarios
