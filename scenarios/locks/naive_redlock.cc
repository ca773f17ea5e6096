#include "scenarios/locks/naive_redlock.h"

namespace faultline::scenarios {

Task<Result<locks::Lease>> NaiveRedlock::acquire() {
  const std::string owner = random_token(*random_);
  const std::size_t quorum = nodes_.size() / 2 + 1;
  Duration slept = Duration::zero();
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      slept = backoff_.delay(*random_, attempt, slept);
      co_await clock_->sleep_for(slept);
    }
    std::size_t granted = 0;
    for (locks::LockStore* node : nodes_) {
      // The mistake, part one: a node may take the whole ttl to answer.
      Result<locks::AcquireReply> reply =
          co_await node->acquire(key_, owner, options_.ttl, options_.ttl);
      if (reply.ok() && reply->acquired) ++granted;
    }
    if (granted >= quorum) {
      // The mistake, part two: the lease starts now, after the replies, not before the requests.
      const TimePoint now = clock_->now();
      co_return locks::Lease{key_, owner, 0, now,
                             now + options_.ttl - options_.ttl / 1'000'000 * options_.drift_ppm};
    }
    for (locks::LockStore* node : nodes_) {
      (void)co_await node->release(key_, owner, options_.node_timeout);
    }
  }
  co_return Error{ErrorCode::kBusy, "naive redlock: no majority"};
}

Task<Result<void>> NaiveRedlock::release(const locks::Lease& lease) {
  for (locks::LockStore* node : nodes_) {
    (void)co_await node->release(key_, lease.owner, options_.node_timeout);
  }
  co_return Ok{};
}

}  // namespace faultline::scenarios
