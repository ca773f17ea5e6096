// lease-lock/fenced and lease-lock/unfenced: the lock workload (lock_scenario.h) with a lease
// lock on one simulated Redis node.
//
// Faults: pauses, client crashes and restarts, clock skew/drift/steps, lost, duplicated and
// delayed messages, partitions, Redis restarts (the unfenced hazard also without persistence).
//
// Fenced, no update is ever lost: a resumed holder's stale token is refused. It assumes a
// durable fencing counter (Redis restarts keep every acknowledged write: AOF with appendfsync
// always): a counter that resets or rolls back can issue one token twice, and equal tokens are
// indistinguishable to the resource (lease-lock/fenced-counter-rollback shows it). Unfenced (Kleppmann
// 2016), a pause or a delayed write outlives the lease, another client takes the lock and
// writes, and the first one's write, based on an old read, overwrites it.
#pragma once

#include "scenarios/locks/lock_scenario.h"

namespace faultline::scenarios {

[[nodiscard]] LockScenarioSpec lease_lock_spec(bool fenced, LeaseLockWorkload workload = {});

// redis/failover-lost-write (hazard): a single-node lease lock whose Redis fails over to an
// asynchronously replicated replica that has not yet received the latest grant, so the lock is
// granted again while its holder still works.
[[nodiscard]] LockScenarioSpec failover_spec();

// lease-lock/fenced-counter-rollback (hazard): lease-lock/fenced on a Redis with appendfsync
// everysec. A crash that keeps its data still loses the writes since the last AOF flush: the
// holder's grant and the INCR that gave it its token are undone, the next holder is handed the
// same token, and the fenced register admits both writes.
[[nodiscard]] LockScenarioSpec counter_rollback_spec();

class LeaseLockScenario final : public LockScenario {
 public:
  explicit LeaseLockScenario(bool fenced, LeaseLockWorkload workload = {})
      : LockScenario(lease_lock_spec(fenced, workload)) {}
};

}  // namespace faultline::scenarios
