#include "faultline/ratelimit/local_limiter.h"

#include "faultline/invariant.h"
#include "faultline/ratelimit/limit_store.h"
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

void LocalLimiter::keep(std::string_view key, State state, Instant now, Instant rest_at) {
  if (auto found = by_key_.find(key); found != by_key_.end()) {
    found->second->state = std::move(state);
    found->second->rest_at = rest_at;
    order_.splice(order_.begin(), order_, found->second);
    return;
  }
  make_room(now);
  order_.push_front({.key = std::string(key), .state = std::move(state), .rest_at = rest_at});
  by_key_.emplace(order_.front().key, order_.begin());
}

Result<TieredDecision> LocalLimiter::decide_all(std::span<const Tier> tiers, std::int64_t cost) {
  if (auto r = validate_decide_all(tiers, cost, Duration::max()); !r) return std::move(r).error();
  const Instant at = now();
  std::vector<std::string> names;
  std::vector<Policy> policies;
  std::vector<State> states;
  for (const Tier& tier : tiers) {
    names.push_back(limit_key(tier.key, tier.policy));
    policies.push_back(tier.policy);
    const auto found = by_key_.find(names.back());
    states.push_back(found == by_key_.end() ? initial_state(tier.policy) : found->second->state);
  }
  TieredDecision d = ratelimit::decide_all(states, policies, at, cost);
  if (d.allowed && cost > 0) {
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      keep(names[i], std::move(states[i]), at, at + d.tiers[i].reset_after);
    }
  }
  FAULTLINE_INVARIANT(by_key_.size() <= options_.max_keys, "at most max_keys keys");
  return d;
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
    if (d.allowed && cost > 0) keep(key, std::move(fresh), at, at + d.reset_after);
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
