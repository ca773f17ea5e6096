// GCRA against redis-cell's own table (src/cell/mod.rs, `it_rate_limits`) and README example,
// its bound as a property, and refusals that write nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultline/ratelimit/gcra.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

struct Case {
  std::int64_t at_ms;
  std::int64_t cost;
  bool allowed;
  std::int64_t remaining;
  std::int64_t reset_after_ms;
  std::int64_t retry_after_ms;  // -1: allowed, or never
};

// redis-cell's test: limit 5 (max_burst 4), one per second.
TEST(RateLimitGcra, MatchesRedisCellsTable) {
  const GcraPolicy policy{.count = 1, .period = seconds(1), .max_burst = 4};
  const Case cases[] = {
      {0, 6, false, 5, 0, -1},  // more than the limit: never
      {0, 1, true, 4, 1000, -1},    {0, 1, true, 3, 2000, -1},
      {0, 1, true, 2, 3000, -1},    {0, 1, true, 1, 4000, -1},
      {0, 1, true, 0, 5000, -1},    {0, 1, false, 0, 5000, 1000},
      {3000, 1, true, 2, 3000, -1}, {3100, 1, true, 1, 3900, -1},
      {4000, 1, true, 1, 4000, -1}, {8000, 1, true, 4, 1000, -1},
      {9500, 1, true, 4, 1000, -1}, {9500, 0, true, 4, 1000, -1},  // a peek
      {9500, 2, true, 2, 3000, -1}, {9500, 5, false, 2, 3000, 3000},
  };
  GcraState state;
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(i++);
    const Decision d = decide(state, policy, at_ms(1'000'000 + c.at_ms), c.cost);
    EXPECT_EQ(d.allowed, c.allowed);
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, c.remaining);
    EXPECT_EQ(d.reset_after, milliseconds(c.reset_after_ms));
    if (c.retry_after_ms == -1 && !c.allowed) {
      EXPECT_FALSE(d.retry_after.has_value());
    } else if (!c.allowed) {
      EXPECT_EQ(d.retry_after, milliseconds(c.retry_after_ms));
    }
  }
}

// README: CL.THROTTLE user123 15 30 60 1 -> 0, 16, 15, -1, 2.
TEST(RateLimitGcra, MatchesRedisCellsReadme) {
  const GcraPolicy policy{.count = 30, .period = seconds(60), .max_burst = 15};
  GcraState state;
  const Decision d = decide(state, policy, at_ms(5'000), 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 16);
  EXPECT_EQ(d.remaining, 15);
  EXPECT_EQ(d.reset_after, seconds(2));
  EXPECT_EQ(emission_interval(policy), seconds(2));
}

TEST(RateLimitGcra, RefusalsAndPeeksWriteNothing) {
  const GcraPolicy policy{.count = 10, .period = seconds(1), .max_burst = 1};
  GcraState state;
  ASSERT_TRUE(decide(state, policy, at_ms(0), 2).allowed);
  const Instant tat = state.tat;
  EXPECT_FALSE(decide(state, policy, at_ms(10), 1).allowed);
  EXPECT_FALSE(decide(state, policy, at_ms(10), 3).allowed);
  EXPECT_TRUE(decide(state, policy, at_ms(10), 0).allowed);
  EXPECT_EQ(state.tat, tat);
  // The refused request was told to come back when it fits, and it does.
  const Decision refused = decide(state, policy, at_ms(50), 1);
  ASSERT_FALSE(refused.allowed);
  ASSERT_TRUE(refused.retry_after.has_value());
  EXPECT_EQ(*refused.retry_after, milliseconds(50));
  EXPECT_FALSE(decide(state, policy, at_ms(99), 1).allowed);
  EXPECT_TRUE(decide(state, policy, at_ms(100), 1).allowed);
}

TEST(RateLimitGcra, ACostAboveTheLimitIsNeverAllowed) {
  const GcraPolicy policy{.count = 1, .period = seconds(1), .max_burst = 2};
  GcraState state;
  const Decision d = decide(state, policy, at_ms(0), 4);
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.retry_after.has_value());
  EXPECT_EQ(d.remaining, 3);
  EXPECT_EQ(state.tat, Instant::min());
  EXPECT_TRUE(decide(state, policy, at_ms(0), 3).allowed);  // the limit itself fits
}

// Over any interval of length d, at most limit + d / T units (T the emission interval).
RC_GTEST_PROP(RateLimitGcra, NeverExceedsItsBound, ()) {
  const GcraPolicy policy{.count = *rc::gen::inRange<std::int64_t>(1, 20),
                          .period = milliseconds(*rc::gen::inRange<std::int64_t>(1, 2000)),
                          .max_burst = *rc::gen::inRange<std::int64_t>(0, 6)};
  const auto trace = *gen_trace(200'000, 3);
  const auto in = admitted(policy, trace);
  const Micros t = emission_interval(policy);
  for (const Micros length : {t, 10 * t, policy.period, 3 * policy.period}) {
    const std::int64_t bound = policy.max_burst + 1 + length / t;
    RC_ASSERT(max_units_in_window(in, length) <= bound);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
