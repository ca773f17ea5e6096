// LeaseLock: a single-server lease lock with owner checks and fencing tokens.
//
// What it promises
//   - acquire() returns a Lease only if this call's owner token holds the key on the server, with
//     the fencing token the server issued for it. Retries are bounded (max_attempts) and spaced by
//     the resilience backoff (resilience/backoff.h; full jitter by default) drawn from the
//     injected Random.
//   - A Lease is believed valid until `valid_until` on the holder's own clock: the ttl measured
//     from *before* the request was sent, minus a drift allowance. Past that, the holder must
//     assume someone else may hold the lock.
//   - release() and extend() act only if the server still records this owner (atomic on the
//     server); otherwise they return kFailedPrecondition and change nothing.
//
// What it cannot promise: mutual exclusion in real time. A holder can be paused past its lease
// (GC, swap, a stopped VM) and resume believing it holds the lock. Only a resource that checks
// fencing tokens (FencedResource) turns the lease into a safe lock. The scenarios
// lease-lock/fenced and lease-lock/unfenced show both sides.
//
// Errors: kInvalidArgument from create() naming the bad option; kBusy when another owner held the
// lock on every attempt; kUnavailable / kOutcomeUnknown passed through from the store when every
// attempt failed that way. After an attempt whose outcome was unknown the lock may be held by
// this call's owner: acquire() then releases it, best effort, before giving up.
//
// Ownership: borrows the store, clock and random, which must outlive it.
// Thread-safety: one executor; concurrent acquire() calls on one LeaseLock are allowed (each has
// its own owner token).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "faultline/clock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/random.h"
#include "faultline/resilience/backoff.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

struct LeaseLockOptions {
  // How long the server keeps the lock without an extension. The catalogue's advice: 2-3x the
  // expected critical section. Range (0, kMaxTtl].
  Duration ttl = std::chrono::seconds(30);
  // Bound on one round trip to the store. Range (0, ttl).
  Duration call_timeout = std::chrono::milliseconds(500);
  // Attempts to acquire in all, the first included. Range [1, kMaxAttempts].
  int max_attempts = 5;
  // The sleep before retry n (n = 1, 2, ...), as in resilience::Retry. The default, full jitter
  // in [0, min(1s, 25ms * 2^n)], sleeps up to 50ms, 100ms, 200ms, ... 1s. Checked by
  // BackoffOptions::validate().
  resilience::BackoffOptions backoff{resilience::BackoffStrategy::kFullJitter,
                                     std::chrono::milliseconds(25), std::chrono::seconds(1)};
  // Allowance for the holder's clock running faster than the server's, as a fraction of ttl,
  // in parts per million. Range [0, 500000].
  std::uint32_t drift_ppm = 10'000;

  static constexpr int kMaxAttempts = 1000;

  // Ok, or kInvalidArgument naming the first offending field and its allowed range.
  [[nodiscard]] Result<void> validate() const;
};

struct Lease {
  std::string key;
  std::string owner;        // secret: never log it
  FencingToken token = 0;   // pass to every fenced operation
  TimePoint acquired_at{};  // holder's clock, taken before the request was sent
  TimePoint valid_until{};  // holder's clock; past this, assume the lock is lost
};

class LeaseLock {
 public:
  // Validates key and options. kInvalidArgument names the field.
  [[nodiscard]] static Result<LeaseLock> create(LockStore& store, Clock& clock, Random& random,
                                                std::string key, LeaseLockOptions options);

  Task<Result<Lease>> acquire();
  // Ok when this lease's owner held the lock and it is now free.
  Task<Result<void>> release(const Lease& lease);
  // A lease with a fresh validity (ttl - drift, counted from before the request was sent) when
  // the owner still held the lock. kFailedPrecondition when it did not, or when the reply came
  // so late that the fresh validity had already ended (the extension is then released, best
  // effort): either way the holder must treat the lock as lost.
  Task<Result<Lease>> extend(const Lease& lease);

  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  [[nodiscard]] const LeaseLockOptions& options() const noexcept { return options_; }

 private:
  LeaseLock(LockStore& store, Clock& clock, Random& random, std::string key,
            LeaseLockOptions options, resilience::Backoff backoff)
      : store_(&store), clock_(&clock), random_(&random), key_(std::move(key)),
        options_(options), backoff_(backoff) {}

  [[nodiscard]] TimePoint validity_end(TimePoint started) const;

  LockStore* store_;
  Clock* clock_;
  Random* random_;
  std::string key_;
  LeaseLockOptions options_;
  resilience::Backoff backoff_;
};

}  // namespace faultline::locks
