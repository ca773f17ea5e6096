#include "scenarios/locks/lease_lock_scenario.h"

namespace faultline::scenarios {

LockScenarioSpec lease_lock_spec(bool fenced, LeaseLockWorkload workload) {
  LockScenarioSpec spec;
  spec.name = fenced ? "lease-lock/fenced" : "lease-lock/unfenced";
  spec.description =
      fenced ? "lease lock + fencing tokens on the register, Redis with AOF and appendfsync "
               "always: no lost update under pauses, crashes, skew, lost replies, partitions and "
               "Redis restarts (must hold)"
             : "lease lock without fencing: a pause or delay outlives the lease and a stale "
               "write loses an update (Kleppmann 2016; must be found)";
  spec.expect = fenced ? Expect::kHolds : Expect::kViolationFound;
  spec.kind = LockKind::kLease;
  spec.nodes = 1;
  spec.fenced = fenced;
  spec.workload = workload;
  // Unfenced, the hazard is two holders at once: mutual exclusion names it before the lost
  // update it causes. Fenced, a stale holder may still overlap (fencing refuses its write
  // instead), and the tokens must be unique and rising.
  spec.mutual_exclusion = !fenced;
  spec.tokens = fenced ? TokenCheck::kRising : TokenCheck::kNone;
  spec.min_sections_ok = fenced ? 30 : 0;  // fewest over 2000 seeds: 65 of 100
  sim::FaultSpace& space = spec.faults;
  space.client_crashes = true;
  // Fencing is only as good as its counter. Redis without persistence forgets the counter on a
  // restart and issues the same tokens again, so two holders can carry equal tokens, which a
  // fenced resource cannot tell apart. The fenced claim therefore assumes a durable counter
  // (AOF); the unfenced hazard keeps data-losing restarts.
  space.node_crash_without_persistence = !fenced;
  space.horizon = std::chrono::seconds(6);
  space.max_faults = 6;
  space.pause_max = std::chrono::seconds(2);
  return spec;
}

LockScenarioSpec failover_spec() {
  using namespace std::chrono_literals;
  LockScenarioSpec spec;
  spec.name = "redis/failover-lost-write";
  spec.description =
      "lease lock on one Redis that fails over to a replica 50ms behind: the newest grant is "
      "lost, the lock is granted again, two holders write (must be found)";
  spec.expect = Expect::kViolationFound;
  spec.kind = LockKind::kLease;
  spec.nodes = 1;
  spec.fenced = false;
  spec.replication_lag = 50ms;
  // No window between the validity check and the write, and no pauses or delays: the only way
  // to two holders is the failover.
  spec.workload.prepare = Duration::zero();
  spec.mutual_exclusion = true;
  sim::FaultSpace& f = spec.faults;
  f = sim::FaultSpace::none();
  f.horizon = 6s;
  f.max_faults = 6;
  f.node_crashes = true;
  f.node_crash_without_persistence = false;  // the primary keeps its disk; the replica wins
  f.downtime_max = 20ms;
  return spec;
}

LockScenarioSpec counter_rollback_spec() {
  using namespace std::chrono_literals;
  LockScenarioSpec spec = lease_lock_spec(/*fenced=*/true);
  spec.name = "lease-lock/fenced-counter-rollback";
  spec.description =
      "lease lock + fencing tokens on a Redis with appendfsync everysec: a crash loses the last "
      "second of writes, the fencing counter rolls back, the next holder gets a token already "
      "in use and the register admits both writes (must be found)";
  spec.expect = Expect::kViolationFound;
  spec.aof_fsync_every = 1s;  // Redis's everysec
  // Only the crash: no pause or delay is needed for two holders to carry one token.
  sim::FaultSpace& f = spec.faults;
  f = sim::FaultSpace::none();
  f.horizon = 6s;
  f.max_faults = 6;
  f.node_crashes = true;
  f.node_crash_without_persistence = false;  // the AOF survives; its unflushed tail does not
  f.downtime_max = 20ms;
  return spec;
}

}  // namespace faultline::scenarios
