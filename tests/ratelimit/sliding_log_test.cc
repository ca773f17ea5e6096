// The sliding log: exact, bounded memory, refusals write nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultline/ratelimit/sliding_log.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

const SlidingLogPolicy kSlidingLog{.limit = 3, .window = seconds(1)};

TEST(RateLimitSlidingLog, CountsTheLastWindowExactly) {
  SlidingLogState state;
  EXPECT_TRUE(decide(state, kSlidingLog, at_ms(0), 1).allowed);
  EXPECT_TRUE(decide(state, kSlidingLog, at_ms(400), 2).allowed);
  Decision d = decide(state, kSlidingLog, at_ms(900), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(100));  // the entry at 0 leaves at 1000
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_after, milliseconds(500));
  d = decide(state, kSlidingLog, at_ms(1000), 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  d = decide(state, kSlidingLog, at_ms(1000), 2);  // needs the 2 units at 400 gone
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(400));
  EXPECT_EQ(decide(state, kSlidingLog, at_ms(5000), 0).reset_after, Micros::zero());
}

TEST(RateLimitSlidingLog, RefusalsWriteNothingAndCostAboveTheLimitIsNever) {
  SlidingLogState state;
  ASSERT_TRUE(decide(state, kSlidingLog, at_ms(0), 3).allowed);
  EXPECT_FALSE(decide(state, kSlidingLog, at_ms(10), 1).allowed);
  const Decision never = decide(state, kSlidingLog, at_ms(10), 4);
  EXPECT_FALSE(never.allowed);
  EXPECT_FALSE(never.retry_after.has_value());
  EXPECT_TRUE(decide(state, kSlidingLog, at_ms(20), 0).allowed);
  ASSERT_EQ(state.entries.size(), 1u);
  EXPECT_EQ(state.units, 3);
}

// The claim: for every trace, the admitted units in every window of length W never exceed the
// limit (checked by brute force), and the log never holds more than `limit` entries.
RC_GTEST_PROP(RateLimitSlidingLog, NeverAdmitsMoreThanTheLimitInAnyWindow, ()) {
  const SlidingLogPolicy policy{.limit = *rc::gen::inRange<std::int64_t>(1, 8),
                                .window = milliseconds(*rc::gen::inRange<std::int64_t>(1, 300))};
  const auto trace = *gen_trace(100'000, 3);
  SlidingLogState state;
  std::vector<Request> in;
  for (const Request& r : trace) {
    if (decide(state, policy, r.at, r.cost).allowed) in.push_back(r);
    RC_ASSERT(state.entries.size() <= static_cast<std::size_t>(policy.limit));
  }
  RC_ASSERT(max_units_in_window(in, policy.window) <= policy.limit);
}

// Exact also means it refuses nothing it could allow: a refused request would have broken the
// limit in the window ending at it.
RC_GTEST_PROP(RateLimitSlidingLog, RefusesOnlyWhatWouldExceedTheLimit, ()) {
  const SlidingLogPolicy policy{.limit = *rc::gen::inRange<std::int64_t>(1, 8),
                                .window = milliseconds(*rc::gen::inRange<std::int64_t>(1, 300))};
  SlidingLogState state;
  std::vector<Request> in;
  for (const Request& r : *gen_trace(100'000, 3)) {
    if (decide(state, policy, r.at, r.cost).allowed) {
      in.push_back(r);
      continue;
    }
    std::int64_t units = r.cost;
    for (const Request& a : in) units += a.at > r.at - policy.window ? a.cost : 0;
    RC_ASSERT(units > policy.limit);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
