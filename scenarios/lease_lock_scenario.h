// lease-lock/fenced and lease-lock/unfenced: read-modify-write critical sections under a lease
// lock on one simulated Redis node, against a register that checks fencing tokens or does not.
//
// Workload: `clients` processes each run `sections` critical sections: acquire the lease lock
// (bounded retry with jitter), read the register, compute for a while, check the lease is still
// valid by its own clock, prepare the write, write value + 1, release. Faults: pauses, client
// crashes and restarts, clock skew/drift/steps, lost and duplicated and delayed messages,
// partitions, Redis restarts with and without persistence.
//
// Invariant (no lost update): the register's applied writes form the chain 1, 2, 3, ... (each
// write read the value the previous one wrote), and every critical section that reported success
// is among them exactly once.
//
// Fenced, this holds for every seed: a resumed holder's stale token is refused. It assumes a
// durable fencing counter (Redis restarts keep their data): a counter that resets can issue
// one token twice, and equal tokens are indistinguishable to the resource. Unfenced it does
// not (Kleppmann 2016): a pause or a delayed write outlives the lease, another client takes the
// lock and writes, and the first one's write, based on an old read, overwrites it.
#pragma once

#include "scenarios/scenario.h"

namespace faultline::scenarios {

struct LeaseLockWorkload {
  int clients = 5;
  int sections = 20;
  Duration ttl = std::chrono::seconds(1);
  Duration call_timeout = std::chrono::milliseconds(100);
  Duration work_min = std::chrono::milliseconds(5);
  Duration work_max = std::chrono::milliseconds(60);
  Duration prepare = std::chrono::milliseconds(2);  // between the validity check and the write
  Duration think_max = std::chrono::milliseconds(20);
  Duration run_limit = std::chrono::seconds(300);  // virtual; a run that reaches it is a bug
};

class LeaseLockScenario final : public Scenario {
 public:
  LeaseLockScenario(bool fenced, LeaseLockWorkload workload = {})
      : fenced_(fenced), workload_(workload) {}

  [[nodiscard]] std::string name() const override;
  [[nodiscard]] std::string description() const override;
  [[nodiscard]] Expect expect() const override {
    return fenced_ ? Expect::kHolds : Expect::kViolationFound;
  }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override;
  [[nodiscard]] sim::FaultSpace fault_space() const;
  using Scenario::run;
  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override;

 private:
  bool fenced_;
  LeaseLockWorkload workload_;
};

}  // namespace faultline::scenarios
