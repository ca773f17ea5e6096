// The two counters over aligned windows: the sliding window counter (Cloudflare's weighting,
// the request counted before comparing) and the fixed window with its boundary hazard.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultline/ratelimit/fixed_window.h"
#include "faultline/ratelimit/sliding_counter.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

const SlidingCounterPolicy kCounter{.limit = 10, .window = seconds(1)};
const FixedWindowPolicy kFixed{.limit = 5, .window = seconds(1)};

// The store's clock stepped back into the window before the state's: decided as at the start
// of the state's window, with both waits counted from that start (0.8s ahead).
TEST(RateLimitSlidingCounter, TimeReadBackWaitsFromTheStatesWindow) {
  SlidingCounterState state;
  ASSERT_TRUE(decide(state, kCounter, at_ms(5'500), 10).allowed);
  const Decision d = decide(state, kCounter, at_ms(4'200), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(1'900));  // at 6.1s the estimate is 9
  EXPECT_EQ(d.reset_after, milliseconds(2'800));  // window 5's count ages out at 7s
  SlidingCounterState early = state;
  EXPECT_FALSE(decide(early, kCounter, at_ms(6'100) - Micros(1), 1).allowed);
  EXPECT_TRUE(decide(state, kCounter, at_ms(6'100), 1).allowed);
}

TEST(RateLimitSlidingCounter, WeighsThePreviousWindowAndCountsTheRequestFirst) {
  SlidingCounterState state;
  ASSERT_TRUE(decide(state, kCounter, at_ms(500), 6).allowed);
  // At 1250: estimate = 6 * 750/1000 + 0 = 4.5; 4.5 + 5 <= 10.
  Decision d = decide(state, kCounter, at_ms(1250), 5);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);  // floor(10 - 9.5)
  EXPECT_EQ(d.reset_after, milliseconds(1750));
  // 4.5 + 5 + 1 > 10: refused until 6 * (W - e) / W <= 4, e >= W / 3 (333334us, rounded up).
  d = decide(state, kCounter, at_ms(1250), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, Micros(83'334));
  EXPECT_FALSE(decide(state, kCounter, at_ms(1333), 1).allowed);
  EXPECT_TRUE(decide(state, kCounter, at_ms(1334), 1).allowed);
  // The whole limit waits for both counters to age out: the end of the next window.
  d = decide(state, kCounter, at_ms(1500), 10);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(1500));
  EXPECT_EQ(state.current, 6);
  EXPECT_EQ(state.previous, 6);
  EXPECT_TRUE(decide(state, kCounter, at_ms(3000), 10).allowed);
}

TEST(RateLimitSlidingCounter, CostAboveTheLimitIsNeverAndPeeksWriteNothing) {
  SlidingCounterState state;
  const Decision d = decide(state, kCounter, at_ms(0), 11);
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.retry_after.has_value());
  EXPECT_TRUE(decide(state, kCounter, at_ms(0), 0).allowed);
  EXPECT_EQ(state.current, 0);
  EXPECT_EQ(state.window_index, 0);
}

// The approximation's worst case: never more than twice the limit in a window's length.
RC_GTEST_PROP(RateLimitSlidingCounter, StaysWithinTwiceTheLimit, ()) {
  const SlidingCounterPolicy policy{
      .limit = *rc::gen::inRange<std::int64_t>(1, 8),
      .window = milliseconds(*rc::gen::inRange<std::int64_t>(1, 300))};
  const auto in = admitted(policy, *gen_trace(100'000, 3));
  RC_ASSERT(max_units_in_window(in, policy.window) <= 2 * policy.limit);
}

TEST(RateLimitFixedWindow, CountsPerAlignedWindow) {
  FixedWindowState state;
  Decision d = decide(state, kFixed, at_ms(200), 5);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_after, milliseconds(800));
  d = decide(state, kFixed, at_ms(300), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(700));
  EXPECT_FALSE(decide(state, kFixed, at_ms(300), 6).retry_after.has_value());
  EXPECT_EQ(state.count, 5);
  d = decide(state, kFixed, at_ms(1000), 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 4);
}

// The hazard: the limit at the end of one window and again at the start of the next, twice the
// limit within one window's length (here within 2ms).
TEST(RateLimitFixedWindow, AdmitsTwiceTheLimitAcrossABoundary) {
  std::vector<Request> trace;
  for (int i = 0; i < 5; ++i) trace.push_back({.at = at_ms(999), .cost = 1});
  for (int i = 0; i < 5; ++i) trace.push_back({.at = at_ms(1000), .cost = 1});
  const auto in = admitted(kFixed, trace);
  EXPECT_EQ(in.size(), 10u);
  EXPECT_EQ(max_units_in_window(in, kFixed.window), 2 * kFixed.limit);
  // The sliding log refuses the second half.
  const SlidingLogPolicy log{.limit = kFixed.limit, .window = kFixed.window};
  EXPECT_EQ(max_units_in_window(admitted(log, trace), log.window), kFixed.limit);
}

}  // namespace
}  // namespace faultline::ratelimit
