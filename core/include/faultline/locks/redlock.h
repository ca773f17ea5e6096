// Redlock: a lease lock over N independent lock servers, held when a majority grants it.
//
// The algorithm (antirez, "Distributed locks with Redis"):
//   1. read the clock; try to acquire the key on every node, all at once, each call bounded by
//      node_timeout, which is much smaller than the ttl, so a dead node costs little;
//   2. the lock is held if a majority (N/2 + 1) granted it AND the validity left is positive:
//      validity = ttl - elapsed - drift, where elapsed is measured *after* the majority was
//      reached and drift = ttl * drift_ppm / 1e6 + drift_fixed (clock rates differ);
//   3. otherwise release it on every node (also those whose reply was lost: their grant may have
//      happened), wait a random delay and retry, a bounded number of times, each time with a
//      new owner token (a late release of an earlier attempt must not free a later one's grant).
// Unlock releases on every node. extend() follows the same quorum-and-validity rule.
//
// What it promises: mutual exclusion *while the holder's clock says the lease is valid*,
// provided clocks drift less than drift_ppm, nodes that lose their data stay down longer than
// the ttl, and the holder does not pause past its validity (Kleppmann 2016 and the debate that
// followed: scenarios redlock/* show each assumption failing). Redlock cannot issue fencing
// tokens by itself (every node counts on its own), so a token comes from an optional
// `token_source`: a LockStore with a linearizable, durable counter (next_fencing_token).
//
// Errors: kInvalidArgument from create(); kBusy naming the nodes that refused when no majority
// could be had in `max_attempts` tries; kUnavailable when too many nodes were unreachable; errors of
// the token source as they are.
//
// Ownership: borrows the stores, clock and random, which must outlive it.
// Thread-safety: one executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "faultline/clock.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/random.h"
#include "faultline/resilience/backoff.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

struct RedlockOptions {
  // How long each node keeps the lock. Range [kMinTtl, kMaxTtl].
  Duration ttl = std::chrono::seconds(10);
  // Bound on each node's round trip. Range (0, ttl / 10]: a slow node must cost little of the
  // lease.
  Duration node_timeout = std::chrono::milliseconds(50);
  // Tries in all, each over all nodes. Range [1, 100].
  int max_attempts = 3;
  // The sleep before retry n (n = 1, 2, ...), as in resilience::Retry. The default is the
  // algorithm's random delay, uniform in [base, cap] = [50ms, 200ms] whatever n. Checked by
  // BackoffOptions::validate().
  resilience::BackoffOptions backoff{resilience::BackoffStrategy::kUniform,
                                     std::chrono::milliseconds(50),
                                     std::chrono::milliseconds(200)};
  // Clock drift allowance: ttl * drift_ppm / 1e6 + drift_fixed. drift_ppm in [0, 500000].
  std::uint32_t drift_ppm = 10'000;
  Duration drift_fixed = std::chrono::milliseconds(2);

  [[nodiscard]] Result<void> validate() const;
};

class Redlock {
 public:
  // `nodes` are the independent servers (1 to kMaxNodes; an odd count is usual); `token_source`
  // may be null (leases then carry token 0: no fencing).
  [[nodiscard]] static Result<Redlock> create(std::vector<LockStore*> nodes,
                                              LockStore* token_source, Clock& clock,
                                              Random& random, std::string key,
                                              RedlockOptions options);

  static constexpr std::size_t kMaxNodes = 99;

  Task<Result<Lease>> acquire();
  // Releases on every node. Ok if this lease held a majority until now.
  Task<Result<void>> release(const Lease& lease);
  // Re-extends on every node; a lease with fresh validity if a majority still held it in time.
  Task<Result<Lease>> extend(const Lease& lease);

  [[nodiscard]] std::size_t quorum() const noexcept { return nodes_.size() / 2 + 1; }
  [[nodiscard]] const RedlockOptions& options() const noexcept { return options_; }

 private:
  Redlock(std::vector<LockStore*> nodes, LockStore* token_source, Clock& clock, Random& random,
          std::string key, RedlockOptions options, resilience::Backoff backoff)
      : nodes_(std::move(nodes)), token_source_(token_source), clock_(&clock), random_(&random),
        key_(std::move(key)), options_(options), backoff_(backoff) {}

  struct Round {
    std::size_t granted = 0;
    std::size_t unreachable = 0;
    std::string refused;  // names of nodes that said no, for the error
  };
  Task<Round> acquire_round(const std::string& owner);
  Task<std::size_t> release_all(const std::string& owner);  // how many released
  [[nodiscard]] Duration drift() const;

  std::vector<LockStore*> nodes_;
  LockStore* token_source_;
  Clock* clock_;
  Random* random_;
  std::string key_;
  RedlockOptions options_;
  resilience::Backoff backoff_;
};

}  // namespace faultline::locks
