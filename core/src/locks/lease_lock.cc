#include "faultline/locks/lease_lock.h"

#include <optional>
#include <string>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::locks {
Result<void> LeaseLockOptions::validate() const {
  if (auto r = validate_ttl(ttl); !r) return r;
  if (call_timeout <= Duration::zero() || call_timeout >= ttl) {
    return field_error("call_timeout", duration_text(call_timeout),
                       "must be in (0, ttl) so a reply can still arrive within the lease");
  }
  if (auto r = check_range("max_attempts", max_attempts, 1, kMaxAttempts); !r) return r;
  if (auto r = backoff.validate(); !r) return r;
  if (auto r = check_range("drift_ppm", drift_ppm, 0, 500'000); !r) return r;
  return Ok{};
}

Result<LeaseLock> LeaseLock::create(LockStore& store, Clock& clock, Random& random,
                                    std::string key, LeaseLockOptions options) {
  if (auto r = validate_key(key); !r) return std::move(r).error();
  if (auto r = options.validate(); !r) return std::move(r).error();
  Result<resilience::Backoff> backoff = resilience::Backoff::create(options.backoff);
  if (!backoff.ok()) return std::move(backoff).error();
  return LeaseLock(store, clock, random, std::move(key), options, *backoff);
}

TimePoint LeaseLock::validity_end(TimePoint started) const {
  // The server's ttl started no earlier than `started` (we read the clock before sending), so
  // the lease lasts until started + ttl on the server's clock. If our clock runs *slow*
  // relative to the server's, our reading of that moment comes late: the drift allowance
  // shortens the lease to cover it. (A fast holder clock errs on the safe side.)
  const Duration drift = options_.ttl / 1'000'000 * options_.drift_ppm;
  return started + options_.ttl - drift;
}

Task<Result<Lease>> LeaseLock::acquire() {
  // One owner token for every attempt of this call: if an attempt's outcome is unknown, the
  // next attempt finds the lock already ours and the store returns the same fencing token.
  std::string owner = random_token(*random_);
  bool maybe_held = false;
  // The last attempt's failure; none while the last was refused because another owner holds
  // the lock, the common case under contention, whose message is built only if it is returned.
  std::optional<Error> last;

  Duration slept = Duration::zero();  // the previous sleep, for decorrelated jitter
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      slept = backoff_.delay(*random_, attempt, slept);
      co_await clock_->sleep_for(slept);
    }
    const TimePoint started = clock_->now();
    Result<AcquireReply> reply =
        co_await store_->acquire(key_, owner, options_.ttl, options_.call_timeout);
    if (!reply.ok()) {
      Error error = std::move(reply).error();
      maybe_held = maybe_held || error.may_have_happened();
      last = std::move(error);
      // Retrying cannot mend bad arguments or a server we do not understand; stop, but still
      // release below if an attempt may have taken the lock.
      if (last->code == ErrorCode::kInvalidArgument || last->code == ErrorCode::kProtocol) break;
      continue;
    }
    if (!reply->acquired) {
      last.reset();
      continue;
    }
    Lease lease{key_, owner, reply->token, started, validity_end(started)};
    if (clock_->now() >= lease.valid_until) {
      // The reply took longer than the lease: it is worthless. Give it back and try again.
      maybe_held = true;
      last = Error{ErrorCode::kUnavailable,
                   "lock '" + key_ + "' was granted after its lease had already run out"};
      continue;
    }
    co_return lease;
  }

  if (maybe_held) {
    // Best effort: an attempt may have taken the lock for `owner`. Leaving it would block others
    // until the ttl runs out. Its own failure changes nothing we can report.
    (void)co_await store_->release(key_, owner, options_.call_timeout);
  }
  Error error = last ? std::move(*last)
                     : Error{ErrorCode::kBusy, "lock '" + key_ + "' is held by another owner"};
  if (error.code != ErrorCode::kInvalidArgument && error.code != ErrorCode::kProtocol) {
    error.message += " (after " + std::to_string(options_.max_attempts) + " attempts)";
  }
  co_return error;
}

Task<Result<void>> LeaseLock::release(const Lease& lease) {
  assert(lease.key == key_);
  Result<bool> released = co_await store_->release(lease.key, lease.owner, options_.call_timeout);
  if (!released.ok()) co_return std::move(released).error();
  if (!*released) {
    co_return failed_precondition("lock '" + key_ +
                                  "' is no longer held by this lease (expired or taken)");
  }
  co_return Ok{};
}

Task<Result<Lease>> LeaseLock::extend(const Lease& lease) {
  assert(lease.key == key_);
  const TimePoint started = clock_->now();
  Result<bool> extended =
      co_await store_->extend(lease.key, lease.owner, options_.ttl, options_.call_timeout);
  if (!extended.ok()) co_return std::move(extended).error();
  if (!*extended) {
    co_return failed_precondition("lock '" + key_ +
                                  "' is no longer held by this lease (expired or taken)");
  }
  Lease renewed = lease;
  renewed.valid_until = validity_end(started);
  if (clock_->now() >= renewed.valid_until) {
    // The reply took longer than the lease it granted, as acquire() refuses too: whatever the
    // server holds for us now ends before we could use it. Free it for others, best effort.
    (void)co_await store_->release(lease.key, lease.owner, options_.call_timeout);
    co_return failed_precondition("lock '" + key_ +
                                  "' was extended only after the extension had already run out");
  }
  co_return renewed;
}

}  // namespace faultline::locks
