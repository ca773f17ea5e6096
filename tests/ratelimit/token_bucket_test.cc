// The token bucket: starts full, refills continuously, refusals take nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultline/ratelimit/token_bucket.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

// Capacity 3, 1 token per 100ms.
const TokenBucketPolicy kBucket{.capacity = 3, .count = 1, .period = milliseconds(100)};

// The store's clock stepped back 1s after a request drained the bucket: the level is as it was
// then, refilling resumes from then, and both waits count from it (the state must not expire
// while it still matters).
TEST(RateLimitTokenBucket, TimeReadBackWaitsFromTheLastUpdate) {
  TokenBucketState state;
  ASSERT_TRUE(decide(state, kBucket, at_ms(10'000), 3).allowed);
  const Decision d = decide(state, kBucket, at_ms(9'000), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(1'100));
  EXPECT_EQ(d.reset_after, milliseconds(1'300));
  TokenBucketState early = state;
  EXPECT_FALSE(decide(early, kBucket, at_ms(10'100) - Micros(1), 1).allowed);
  EXPECT_TRUE(decide(state, kBucket, at_ms(10'100), 1).allowed);
}

TEST(RateLimitTokenBucket, StartsFullAndRefillsContinuously) {
  TokenBucketState state;
  Decision d = decide(state, kBucket, at_ms(1000), 3);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 3);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_after, milliseconds(300));
  d = decide(state, kBucket, at_ms(1050), 1);  // half a token
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(50));
  EXPECT_EQ(d.reset_after, milliseconds(250));
  d = decide(state, kBucket, at_ms(1100), 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  d = decide(state, kBucket, at_ms(1350), 2);  // 2.5 tokens
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_after, milliseconds(250));
  d = decide(state, kBucket, at_ms(9000), 0);  // long idle: full, never more
  EXPECT_EQ(d.remaining, 3);
  EXPECT_EQ(d.reset_after, Micros::zero());
}

TEST(RateLimitTokenBucket, RefusalsAndPeeksWriteNothingAndLoseNoRefill) {
  TokenBucketState state;
  ASSERT_TRUE(decide(state, kBucket, at_ms(0), 3).allowed);
  const TokenBucketState before = state;
  for (int ms = 10; ms < 100; ms += 10) {
    EXPECT_FALSE(decide(state, kBucket, at_ms(ms), 1).allowed);
    EXPECT_TRUE(decide(state, kBucket, at_ms(ms), 0).allowed);
  }
  EXPECT_EQ(state.updated, before.updated);
  EXPECT_EQ(state.level, before.level);
  EXPECT_TRUE(decide(state, kBucket, at_ms(100), 1).allowed);
}

TEST(RateLimitTokenBucket, ACostAboveTheCapacityIsNeverAllowed) {
  TokenBucketState state;
  const Decision d = decide(state, kBucket, at_ms(0), 4);
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.retry_after.has_value());
  EXPECT_EQ(d.remaining, 3);
}

// Over any interval of length d: at most capacity + d * count / period (+1 for the
// microsecond rounding).
RC_GTEST_PROP(RateLimitTokenBucket, NeverExceedsCapacityPlusRefill, ()) {
  const TokenBucketPolicy policy{.capacity = *rc::gen::inRange<std::int64_t>(1, 8),
                                 .count = *rc::gen::inRange<std::int64_t>(1, 5),
                                 .period = milliseconds(*rc::gen::inRange<std::int64_t>(1, 500))};
  const auto in = admitted(policy, *gen_trace(100'000, 3));
  for (const Micros length : {policy.period, 4 * policy.period}) {
    const std::int64_t bound = policy.capacity + length * policy.count / policy.period + 1;
    RC_ASSERT(max_units_in_window(in, length) <= bound);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
