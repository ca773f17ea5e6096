#include "faultline/ratelimit/token_bucket.h"

#include <algorithm>

#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> validate(const TokenBucketPolicy& policy) {
  if (auto r = check_range("capacity", policy.capacity, 1, kMaxLimit); !r) return r;
  if (auto r = check_range("count", policy.count, 1, kMaxLimit); !r) return r;
  return check_range("period", policy.period, kMinWindow, kMaxWindow);
}

namespace {

// The level at `now`: the stored one plus `count` units per elapsed microsecond, up to `full`.
std::int64_t level_at(const TokenBucketState& state, const TokenBucketPolicy& policy, Instant now) {
  const std::int64_t full = policy.capacity * policy.period.count();
  if (state.updated == Instant::min()) return full;
  if (now <= state.updated) return state.level;
  const std::int64_t to_full = ceil_div(full - state.level, policy.count);
  const std::int64_t elapsed_us = (now - state.updated).count();
  return elapsed_us >= to_full ? full : state.level + elapsed_us * policy.count;
}

}  // namespace

Decision decide(TokenBucketState& state, const TokenBucketPolicy& policy, Instant now,
                std::int64_t cost) {
  FAULTLINE_INVARIANT(validate(policy).ok(), "decide needs a validated TokenBucketPolicy");
  FAULTLINE_INVARIANT(check_cost(cost).ok(), "decide needs 0 <= cost <= kMaxCost");
  const std::int64_t unit = policy.period.count();  // units per token
  const std::int64_t full = policy.capacity * unit;
  std::int64_t level = level_at(state, policy, now);
  const std::int64_t wanted = cost * unit;
  // Time read back (the store's clock stepped back): the level is as at `updated`, and refilling
  // resumes from there, so every wait counts from it.
  const Micros ahead = state.updated > now ? state.updated - now : Micros::zero();

  Decision d;
  d.limit = policy.capacity;
  if (cost > policy.capacity) {
    d.retry_after = std::nullopt;
  } else if (level < wanted) {
    d.retry_after = ahead + Micros(ceil_div(wanted - level, policy.count));
  } else {
    d.allowed = true;
    if (cost > 0) {
      level -= wanted;
      state.updated = std::max(now, state.updated);
      state.level = level;
    }
  }
  d.remaining = level / unit;
  d.reset_after = level == full ? Micros::zero() : ahead + Micros(ceil_div(full - level, policy.count));
  return d;
}

}  // namespace faultline::ratelimit
