// LockScenario: read-modify-write critical sections under a distributed lock, against a
// register that does or does not check fencing tokens, under a scenario-specific fault space.
//
// Workload: `clients` processes each run `sections` critical sections: acquire the lock,
// read the register, compute for a while, check by their own clock that the lease still has
// more than `safety_margin` left, prepare the write, write value + 1, release.
//
// Invariants, judged from the history and the register's log (lock_invariants.h), never from
// the lock's own idea of who holds it:
//   - no lost update (always): the register's applied writes form the chain 1, 2, 3, ... (each
//     write read the value the previous one wrote), and every critical section that reported
//     success is among them exactly once. A run that does not finish by its limit also fails;
//   - mutual exclusion (spec.mutual_exclusion): no two sections' acquire-to-write intervals
//     overlap in true time;
//   - fencing tokens (spec.tokens): unique, or unique and rising in order of acquisition;
//   - a liveness floor (spec.min_sections_ok): at least that many sections' writes applied;
//   - the liveness window (spec.max_unavailable), for the pair about crashed holders.
//
// With spec.keeper, each holder runs a LeaseKeeper (lease_keeper.h) that extends its lease
// every ttl / 3 while it works, and writes only while the keeper's latest lease has more than
// the safety margin left and the keeper has not reported it lost.
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

#include "faultline/sim/pg_lock_session.h"
#include "scenarios/framework/scenario.h"

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
  // After a failed acquire, wait this long before the next section: a client that retries
  // at once spends its whole budget of sections inside one outage.
  Duration pause_after_failure = Duration::zero();
  // After a write whose outcome is unknown, keep the lock until the lease runs out instead of
  // releasing it: the write may still be in flight and land inside the next holder's section.
  // Claims of mutual exclusion need it; the hazards keep the careless client.
  bool hold_after_unknown_write = false;
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

// What the fencing-token invariant checks (lock_invariants.h).
enum class TokenCheck {
  kNone,    // the lock issues no tokens, or nothing is claimed about them
  kUnique,  // no token handed to two acquisitions
  kRising   // unique, and rising in the order the acquisitions returned in true time
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
  // Whether a client vanishing silently within the window before a failed acquire excuses it
  // (check_liveness_window's `vanished`): for PostgreSQL, where a waiter that vanished can be
  // granted the lock. Never for a hazard whose stall is the finding.
  bool liveness_excuses_vanished = false;
  // Mutual exclusion in true time (check_mutual_exclusion): for the claims that promise it,
  // the unfenced ones. A fenced lock promises less: a stale holder's write may land while the
  // next holder works, as long as the register still orders them by token.
  bool mutual_exclusion = false;
  TokenCheck tokens = TokenCheck::kNone;
  // Liveness floor: at least this many sections' writes applied, or the run fails. Every claim
  // states one (measured minima in the spec files), so that none can hold vacuously.
  int min_sections_ok = 0;
  // Extend leases through a LeaseKeeper while the section works (kLease and kRedlock only).
  bool keeper = false;
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
