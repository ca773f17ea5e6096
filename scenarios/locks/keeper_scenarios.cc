#include "scenarios/locks/keeper_scenarios.h"

#include "faultline/invariant.h"

namespace faultline::scenarios {

using namespace std::chrono_literals;

LockScenarioSpec keeper_spec(LockKind kind, bool keeper) {
  FAULTLINE_INVARIANT(kind == LockKind::kLease || kind == LockKind::kRedlock,
                      "a keeper extends a lease lock or a Redlock");
  const bool redlock = kind == LockKind::kRedlock;
  LockScenarioSpec s;
  s.name = redlock ? "lease-keeper/redlock" : "lease-keeper/lease-lock";
  s.description =
      redlock ? "Redlock over 5 nodes, sections longer than the ttl kept alive by a LeaseKeeper, "
                "without fencing, within Redlock's assumptions: mutual exclusion, no lost "
                "update (must hold)"
              : "lease lock, sections longer than the ttl kept alive by a LeaseKeeper, without "
                "fencing, under short pauses, delays, lost messages, partitions and restarts "
                "that keep data: mutual exclusion, no lost update (must hold)";
  s.expect = Expect::kHolds;
  s.kind = kind;
  s.nodes = redlock ? 5 : 1;
  s.keeper = keeper;
  s.mutual_exclusion = true;
  // Redlock without a token source hands out token 0; the lease lock's tokens come from the
  // node's durable counter.
  s.tokens = redlock ? TokenCheck::kNone : TokenCheck::kRising;
  // Fewest applied writes over 2000 seeds: 4 (Redlock) and 7 (lease lock) of 36. Low because
  // waiting clients give up while a 1.5s section runs, and a lost extension ends a section;
  // not vacuous all the same: every applied write outlasted the ttl, so it needed the keeper.
  s.min_sections_ok = redlock ? 2 : 4;

  LeaseLockWorkload& w = s.workload;
  // Three clients: with sections this long, more of them mostly wait out each other's
  // sections, give up acquiring and spend their sections on that.
  w.clients = 3;
  w.sections = 12;
  w.ttl = 1s;
  // Every section's work outlasts the ttl: only extensions let it write.
  w.work_min = 1200ms;
  w.work_max = 1800ms;
  FAULTLINE_INVARIANT(w.work_min > w.ttl,
                      "work outlasts the ttl, or the keeper would never be needed");
  // Above the longest delay spike (the network's 100ms), so a delayed extension still counts.
  w.call_timeout = 250ms;
  // Found by mutual exclusion: a write delayed past its call timeout, the holder released, the
  // next one acquired, and then the write landed.
  w.hold_after_unknown_write = true;
  // Pauses (50ms) + a delayed write (100ms spike + latency) + prepare (2ms) stay under the
  // margin, and the margin under what is left of a lease extended a third of a ttl ago
  // (ttl - drift allowance - ttl / 3 - one call, about 400ms).
  s.safety_margin = 250ms;

  sim::FaultSpace& f = s.faults;
  f = sim::FaultSpace::none();
  f.horizon = 40s;  // the run lasts some 60s of virtual time: faults throughout
  f.max_faults = 10;
  f.pauses = true;
  f.pause_max = 50ms;
  f.client_crashes = true;
  f.node_crashes = true;
  // One node's counter and keys must survive; Redlock tolerates forgetful nodes that stay down
  // longer than the ttl (an extension granted before the crash covers at most one ttl).
  f.node_crash_without_persistence = redlock;
  if (redlock) f.downtime_min = w.ttl + 200ms;
  f.downtime_max = 2s;
  f.clock_faults = true;
  f.step_max = 0ns;
  f.drift_ppm_max = 4'000;  // client and node together under the 10000 ppm allowance
  f.partitions = true;
  f.partition_max = 1s;
  // Lower message-fault rates than redlock/bounded-faults: a Redlock lease often stands on just
  // a majority of nodes (3 of 5), extend() renews only where it is held, so one lost or late
  // message per extension ends it. At 5% loss most sections were abandoned (fewest applied
  // writes over 1000 seeds: 1); safe, but a claim about keeping leases should keep some.
  f.network_max = sim::NetworkFaults{10'000, 10'000, 10'000, 10'000, 100ms};
  return s;
}

std::vector<LockScenarioSpec> keeper_specs() {
  return {keeper_spec(LockKind::kLease), keeper_spec(LockKind::kRedlock)};
}

}  // namespace faultline::scenarios
