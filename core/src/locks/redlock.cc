#include "faultline/locks/redlock.h"

#include <string>
#include <utility>
#include <vector>

#include "faultline/gather.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::locks {
Result<void> RedlockOptions::validate() const {
  if (auto r = validate_ttl(ttl); !r) return r;
  if (auto r = check_positive("node_timeout", node_timeout, ttl / 10,
                              "ttl / 10: slow nodes must cost little lease");
      !r) {
    return r;
  }
  if (auto r = check_range("max_attempts", max_attempts, 1, 100); !r) return r;
  if (auto r = backoff.validate(); !r) return r;
  if (auto r = check_range("drift_ppm", drift_ppm, 0, 500'000); !r) return r;
  if (drift_fixed < Duration::zero() || drift_fixed >= ttl) {
    return field_error("drift_fixed", duration_text(drift_fixed), "must be in [0, ttl)");
  }
  return Ok{};
}

Result<Redlock> Redlock::create(std::vector<LockStore*> nodes, LockStore* token_source,
                                Clock& clock, Random& random, std::string key,
                                RedlockOptions options) {
  if (auto r = check_size("nodes", nodes.size(), 1, kMaxNodes); !r) return std::move(r).error();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i] == nullptr) return invalid_argument("nodes[" + std::to_string(i) + "]: null");
  }
  if (auto r = validate_key(key); !r) return std::move(r).error();
  if (auto r = options.validate(); !r) return std::move(r).error();
  Result<resilience::Backoff> backoff = resilience::Backoff::create(options.backoff);
  if (!backoff.ok()) return std::move(backoff).error();
  return Redlock(std::move(nodes), token_source, clock, random, std::move(key), options,
                 *backoff);
}

Duration Redlock::drift() const {
  return options_.ttl / 1'000'000 * options_.drift_ppm + options_.drift_fixed;
}

Task<Redlock::Round> Redlock::acquire_round(const std::string& owner) {
  // All nodes at once: a round costs one round trip, not N, so less of the ttl is spent.
  std::vector<Task<Result<AcquireReply>>> calls;
  for (LockStore* node : nodes_) {
    calls.push_back(node->acquire(key_, owner, options_.ttl, options_.node_timeout));
  }
  std::vector<Result<AcquireReply>> replies = co_await gather(std::move(calls));
  Round round;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const Result<AcquireReply>& reply = replies[i];
    if (reply.ok() && reply->acquired) {
      ++round.granted;
    } else if (reply.ok()) {
      round.refused += (round.refused.empty() ? "" : ", ") + std::to_string(i);
    } else {
      ++round.unreachable;
    }
  }
  co_return round;
}

Task<std::size_t> Redlock::release_all(const std::string& owner) {
  // Every node, not only those that said yes: a grant whose reply was lost is a grant.
  std::vector<Task<Result<bool>>> calls;
  for (LockStore* node : nodes_) calls.push_back(node->release(key_, owner, options_.node_timeout));
  std::vector<Result<bool>> replies = co_await gather(std::move(calls));
  std::size_t released = 0;
  for (const Result<bool>& r : replies) released += (r.ok() && *r) ? 1 : 0;
  co_return released;
}

Task<Result<Lease>> Redlock::acquire() {
  Error last{ErrorCode::kBusy, "lock '" + key_ + "': no majority"};
  Duration slept = Duration::zero();  // the previous sleep, for decorrelated jitter
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      slept = backoff_.delay(*random_, attempt, slept);
      co_await clock_->sleep_for(slept);
    }
    // A fresh owner for every attempt: a failed attempt's release may arrive late (or twice),
    // and must not free what a later attempt of ours has taken, while we believe we hold it.
    const std::string owner = random_token(*random_);
    const TimePoint started = clock_->now();
    const Round round = co_await acquire_round(owner);
    // Measured after the majority is known, so that slow replies shorten the lease.
    const Duration elapsed = clock_->now() - started;
    const Duration validity = options_.ttl - elapsed - drift();
    if (round.granted >= quorum() && validity > Duration::zero()) {
      Lease lease{key_, owner, 0, started, started + elapsed + validity};
      if (token_source_ == nullptr) co_return lease;
      Result<FencingToken> token =
          co_await token_source_->next_fencing_token(key_, options_.node_timeout);
      if (token.ok() && clock_->now() < lease.valid_until) {
        lease.token = *token;
        co_return lease;
      }
      last = token.ok() ? Error{ErrorCode::kUnavailable, "lock '" + key_ +
                                                              "': lease ran out while fetching "
                                                              "its fencing token"}
                        : std::move(token).error();
    } else if (round.granted >= quorum()) {
      last = Error{ErrorCode::kUnavailable,
                   "lock '" + key_ + "': majority granted but the ttl was spent acquiring it"};
    } else if (round.unreachable > nodes_.size() - quorum()) {
      last = Error{ErrorCode::kUnavailable,
                   "lock '" + key_ + "': " + std::to_string(round.unreachable) + " of " +
                       std::to_string(nodes_.size()) + " nodes unreachable"};
    } else {
      last = Error{ErrorCode::kBusy, "lock '" + key_ + "': granted by " +
                                         std::to_string(round.granted) + " of " +
                                         std::to_string(nodes_.size()) +
                                         " nodes, refused by nodes " + round.refused};
    }
    (void)co_await release_all(owner);
  }
  last.message += " (after " + std::to_string(options_.max_attempts) + " attempts)";
  co_return last;
}

Task<Result<void>> Redlock::release(const Lease& lease) {
  assert(lease.key == key_);
  const std::size_t released = co_await release_all(lease.owner);
  if (released < quorum()) {
    co_return failed_precondition("lock '" + key_ + "': released on " +
                                  std::to_string(released) + " nodes only; the lease had " +
                                  "already lapsed on a majority");
  }
  co_return Ok{};
}

Task<Result<Lease>> Redlock::extend(const Lease& lease) {
  assert(lease.key == key_);
  const TimePoint started = clock_->now();
  std::vector<Task<Result<bool>>> calls;
  for (LockStore* node : nodes_) {
    calls.push_back(node->extend(key_, lease.owner, options_.ttl, options_.node_timeout));
  }
  std::vector<Result<bool>> replies = co_await gather(std::move(calls));
  std::size_t extended = 0;
  for (const Result<bool>& r : replies) extended += (r.ok() && *r) ? 1 : 0;
  const Duration elapsed = clock_->now() - started;
  const Duration validity = options_.ttl - elapsed - drift();
  if (extended < quorum() || validity <= Duration::zero()) {
    co_return failed_precondition("lock '" + key_ + "': extended on " +
                                  std::to_string(extended) + " of " +
                                  std::to_string(nodes_.size()) + " nodes; not held");
  }
  Lease renewed = lease;
  renewed.valid_until = started + elapsed + validity;
  co_return renewed;
}

}  // namespace faultline::locks
