// Every policy refuses what it cannot honour, naming the field and its range.
#include <gtest/gtest.h>

#include "faultline/ratelimit/policy.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

std::string message(const Policy& policy) {
  const Result<void> r = validate(policy);
  return r ? std::string("ok") : r.error().message;
}

TEST(RateLimitValidation, NamesTheFieldAndItsRange) {
  EXPECT_EQ(message(GcraPolicy{}), "ok");
  EXPECT_EQ(message(GcraPolicy{.count = 0}),
            "count: 0; must be in [1, 1000000] (the emission "
            "interval period/count must be at least 1us)");
  EXPECT_EQ(message(GcraPolicy{.period = Micros::zero()}), "period: 0; must be in [1ms, 24h]");
  EXPECT_EQ(message(GcraPolicy{.max_burst = -1}), "max_burst: -1; must be in [0, 99999]");
  // The tolerance T * (max_burst + 1) fits in a day: 2 per day may burst 2, not 3.
  EXPECT_EQ(message(GcraPolicy{.count = 2, .period = std::chrono::hours(24), .max_burst = 1}),
            "ok");
  EXPECT_EQ(message(GcraPolicy{.count = 2, .period = std::chrono::hours(24), .max_burst = 2}),
            "max_burst: 2; must be in [0, 1] (the burst must be earned back within 24h: "
            "period/count * (max_burst + 1) <= 24h)");
  EXPECT_EQ(message(TokenBucketPolicy{.capacity = 0}), "capacity: 0; must be in [1, 100000]");
  EXPECT_EQ(message(TokenBucketPolicy{.count = -3}), "count: -3; must be in [1, 100000]");
  EXPECT_EQ(message(SlidingLogPolicy{.limit = 100'001}), "limit: 100001; must be in [1, 100000]");
  EXPECT_EQ(message(SlidingCounterPolicy{.window = std::chrono::hours(25)}),
            "window: 25h; must be in [1ms, 24h]");
  EXPECT_EQ(message(FixedWindowPolicy{.window = Micros(999)}),
            "window: 999us; must be in [1ms, 24h]");
  const Result<void> cost = check_cost(kMaxCost + 1);
  ASSERT_FALSE(cost);
  EXPECT_EQ(cost.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(cost.error().message, "cost: 100001; must be in [0, 100000]");
}

TEST(RateLimitPolicy, DispatchesToTheAlgorithm) {
  const Policy policy = SlidingLogPolicy{.limit = 2, .window = seconds(1)};
  EXPECT_EQ(algorithm_name(policy), "sliding-log");
  EXPECT_EQ(policy_window(policy), seconds(1));
  State state = initial_state(policy);
  EXPECT_TRUE(std::holds_alternative<SlidingLogState>(state));
  EXPECT_TRUE(decide(state, policy, at_ms(0), 2).allowed);
  EXPECT_FALSE(decide(state, policy, at_ms(999), 1).allowed);
  EXPECT_EQ(algorithm_name(Policy(GcraPolicy{})), "gcra");
  EXPECT_EQ(algorithm_name(Policy(TokenBucketPolicy{})), "token-bucket");
  EXPECT_EQ(algorithm_name(Policy(SlidingCounterPolicy{})), "sliding-counter");
  EXPECT_EQ(algorithm_name(Policy(FixedWindowPolicy{})), "fixed-window");
}

}  // namespace
}  // namespace faultline::ratelimit
