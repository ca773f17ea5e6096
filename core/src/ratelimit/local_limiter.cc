#include "faultline/ratelimit/local_limiter.h"

#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<LocalLimiter> LocalLimiter::create(Clock& clock, LocalLimiterOptions options) {
  if (auto r = validate(options.policy); !r) return std::move(r).error();
  if (auto r = check_size("max_keys", options.max_keys, 1, 10'000'000); !r) {
    return std::move(r).error();
  }
  return LocalLimiter(clock, std::move(options));
}

Instant LocalLimiter::now() const {
  return Instant(std::chrono::floor<Micros>(clock_->now().time_since_epoch()));
}

void LocalLimiter::make_room(Instant now) {
  while (by_key_.size() >= options_.max_keys) {
    const Entry& oldest = order_.back();
    if (oldest.rest_at > now) ++evicted_busy_;
    by_key_.erase(oldest.key);
    order_.pop_back();
  }
}

Result<Decision> LocalLimiter::decide(std::string_view key, std::int64_t cost) {
  if (auto r = check_size("key", key.size(), 1, kMaxKeyLength, "characters"); !r) {
    return std::move(r).error();
  }
  if (auto r = check_cost(cost); !r) return std::move(r).error();
  const Instant at = now();
  auto found = by_key_.find(key);
  if (found == by_key_.end()) {
    State fresh = initial_state(options_.policy);
    const Decision d = ratelimit::decide(fresh, options_.policy, at, cost);
    if (!d.allowed || cost == 0) return d;
    make_room(at);
    order_.push_front(
        {.key = std::string(key), .state = std::move(fresh), .rest_at = at + d.reset_after});
    by_key_.emplace(order_.front().key, order_.begin());
    return d;
  }
  Entry& entry = *found->second;
  const Decision d = ratelimit::decide(entry.state, options_.policy, at, cost);
  if (d.allowed && cost > 0) {
    entry.rest_at = at + d.reset_after;
    order_.splice(order_.begin(), order_, found->second);
  }
  FAULTLINE_INVARIANT(by_key_.size() <= options_.max_keys, "at most max_keys keys");
  return d;
}

}  // namespace faultline::ratelimit
