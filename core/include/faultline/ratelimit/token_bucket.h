// Token bucket: `capacity` tokens, refilled continuously at `count` tokens per `period`; a
// request of cost c takes c tokens if the bucket holds them. A key seen for the first time
// starts full.
//
// Exact integer arithmetic: the level is kept in units of 1/period_us of a token (a full bucket
// is capacity * period_us units, below 2^53 by the bounds in decision.h), and each elapsed
// microsecond adds `count` units, up to the capacity. So refilling is independent of how often
// the key is read, and a refused request (which writes nothing) loses no refill.
//
//   allowed     when level >= c tokens (then level -= c; cost 0 peeks and writes nothing)
//   retry_after (c tokens - level) / rate, rounded up to a microsecond; never if c > capacity
//   remaining   whole tokens left after the decision
//   reset_after time until the bucket is full again, rounded up
//   limit       capacity
//
// An instant before the state's last update (time read back) sees the level as it was then,
// with no refill until that update's instant: both waits count from it.
//
// Memory per key: an instant and a level (16 bytes; in Redis a hash of two fields).
#pragma once

#include <cstdint>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit {

struct TokenBucketPolicy {
  std::int64_t capacity{1};                // in [1, kMaxLimit]
  std::int64_t count{1};                   // tokens added per period, in [1, kMaxLimit]
  Micros period{std::chrono::seconds(1)};  // in [1ms, 1 day]
};

struct TokenBucketState {
  Instant updated{Instant::min()};  // when `level` was written; min() for a key never seen
  std::int64_t level{0};            // in 1/period_us tokens

  friend bool operator==(const TokenBucketState&, const TokenBucketState&) = default;
};

// Ok, or kInvalidArgument naming the first field out of range.
[[nodiscard]] Result<void> validate(const TokenBucketPolicy& policy);

[[nodiscard]] Decision decide(TokenBucketState& state, const TokenBucketPolicy& policy, Instant now,
                              std::int64_t cost);

}  // namespace faultline::ratelimit
