// The LeaseKeeper claims: critical sections that outlast the ttl, kept alive by a LeaseKeeper
// that extends the lease every ttl / 3 while the holder works, without fencing.
//
//   lease-keeper/lease-lock  holds: a lease lock on one Redis (restarts keep their data)
//   lease-keeper/redlock     holds: Redlock over 5 nodes (data-losing nodes stay down longer
//                            than the ttl)
//
// Both within the assumptions a lock without fencing needs (redlock/bounded-faults): pauses and
// delays shorter than the holder's safety margin, drift under the allowance, no clock steps.
// Judged by mutual exclusion, no lost update, rising tokens (the lease lock's) and a liveness
// floor: a keeper that stops extending leaves every section abandoned (its work is longer than
// the ttl), and the floor fails.
#pragma once

#include <vector>

#include "scenarios/locks/lock_scenario.h"

namespace faultline::scenarios {

// One claim per lock kind (kLease or kRedlock). `keeper` false switches the keeper off, for the
// test that shows the floor failing without it.
[[nodiscard]] LockScenarioSpec keeper_spec(LockKind kind, bool keeper = true);

[[nodiscard]] std::vector<LockScenarioSpec> keeper_specs();

}  // namespace faultline::scenarios
