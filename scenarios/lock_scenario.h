// LockScenario: read-modify-write critical sections under a distributed lock, against a
// register that does or does not check fencing tokens, under a scenario-specific fault space.
//
// Workload: `clients` processes each run `sections` critical sections: acquire the lock,
// read the register, compute for a while, check by their own clock that the lease still has
// more than `safety_margin` left, prepare the write, write value + 1, release.
//
// Invariant (no lost update): the register's applied writes form the chain 1, 2, 3, ... (each
// write read the value the previous one wrote), and every critical section that reported
// success is among them exactly once. A run that does not finish by its limit also fails.
//
// The lock kinds: a lease lock on one simulated Redis node ("redis"), Redlock over N nodes
// ("redis-1".."redis-N", fencing tokens from a separate durable "tokens" node when fenced), and
// a deliberately naive Redlock that does not subtract the acquisition time from the validity
// (scenarios/naive_redlock.h), for the hazard that shows why the real one does, and a
// PostgreSQL advisory lock on a simulated server ("postgres"), whose session dies with its
// connection (its fencing tokens come from the same server's durable counter).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "faultline/sim/pg_node.h"
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

enum class LockKind {
  kLease,
  kRedlock,
  kNaiveRedlock,
  kPgAdvisory,
  // The catalogue's forbidden anti-patterns, each on one Redis node:
  kLeaseWithoutTtl,         // SET without expiry: a crashed holder keeps it for ever
  kReleaseWithoutOwnerCheck  // DEL on release: frees whoever holds it now
};

struct LockScenarioSpec {
  std::string name;
  std::string description;
  Expect expect = Expect::kHolds;
  LockKind kind = LockKind::kLease;
  int nodes = 1;        // lock servers (Redlock: 5; ignored for kPgAdvisory)
  bool fenced = false;  // does the register check fencing tokens
  // The client writes only while its own clock shows more than this left of the lease.
  Duration safety_margin = Duration::zero();
  LeaseLockWorkload workload;
  // When set, every lock node has a replica this far behind, and a node crash is a failover to
  // it (the last writes are lost). Unset: crashes keep or lose data as the fault says.
  std::optional<Duration> replication_lag;
  // When set, every Redis lock node runs with appendfsync everysec,
  // flushing its AOF this often: a crash that keeps data still loses the writes since the last
  // flush, and fencing counters roll back. Unset: appendfsync always (nothing acknowledged is
  // lost by a crash that keeps data).
  std::optional<Duration> aof_fsync_every;
  // kPgAdvisory: the server's TCP keepalive (how long a silently vanished client's session and
  // locks outlive it). Unset: the OS defaults (sim::Keepalive{}).
  std::optional<sim::Keepalive> pg_keepalive;
  // Liveness: while clients keep trying, some acquire must succeed at least this often; a
  // failed acquire with no success by anyone in the window before it is a violation. Zero
  // disables the check (safety-only scenarios).
  Duration max_unavailable = Duration::zero();
  // The fault space; `clients` and `nodes` are filled in from the names above.
  sim::FaultSpace faults;
};

class LockScenario : public Scenario {
 public:
  explicit LockScenario(LockScenarioSpec spec);

  [[nodiscard]] std::string name() const override { return spec_.name; }
  [[nodiscard]] std::string description() const override { return spec_.description; }
  [[nodiscard]] Expect expect() const override { return spec_.expect; }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override;
  [[nodiscard]] const sim::FaultSpace& fault_space() const { return spec_.faults; }
  [[nodiscard]] const LockScenarioSpec& spec() const { return spec_; }
  using Scenario::run;
  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override;

 private:
  LockScenarioSpec spec_;
};

}  // namespace faultline::scenarios
