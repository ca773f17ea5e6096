// What `faultline limit` is built from besides the policy spec grammar (tests/ratelimit/
// policy_spec_test.cc): the trace reader and the replay's per-key summary.
#include <gtest/gtest.h>

#include <sstream>

#include "scenarios/ratelimit/replay.h"

namespace faultline::scenarios::ratelimit {
namespace {

namespace rl = faultline::ratelimit;
using std::chrono::seconds;

Result<std::vector<TraceRequest>> read(const std::string& text) {
  std::istringstream in(text);
  return read_trace(in);
}

TEST(RateLimitTrace, ReadsLinesAndSkipsBlanksAndComments) {
  const auto trace = read("# recorded\n0 alice 1\n\n  5\tbob   2\r\n5 alice 0\n");
  ASSERT_TRUE(trace) << trace.error().message;
  ASSERT_EQ(trace->size(), 3u);
  EXPECT_EQ((*trace)[1].at_ms, 5);
  EXPECT_EQ((*trace)[1].key, "bob");
  EXPECT_EQ((*trace)[1].cost, 2);
  EXPECT_EQ((*trace)[1].line, 4);
}

TEST(RateLimitTrace, RefusesMalformedLinesByNumber) {
  EXPECT_EQ(read("0 a 1\n1 a\n").error().message,
            "line 2: 2 fields in '1 a'; expected TIME_MS KEY COST");
  EXPECT_EQ(read("x a 1\n").error().message,
            "line 1: TIME_MS 'x' is not a whole number; expected TIME_MS KEY COST");
  EXPECT_EQ(read("1 a 1.5\n").error().message,
            "line 1: COST '1.5' is not a whole number; expected TIME_MS KEY COST");
  EXPECT_EQ(read("1 a 100001\n").error().message, "line 1: COST: 100001; must be in [0, 100000]");
  EXPECT_EQ(read("-1 a 1\n").error().message, "line 1: TIME_MS: -1; must be in [0, 9000000000000]");
  EXPECT_EQ(read("7 a 1\n# gap\n6 a 1\n").error().message,
            "line 3: TIME_MS 6 is earlier than 7 on line 1 (times must not decrease)");
}

TEST(RateLimitReplay, DecidesPerKeyAndSweepsTheBusiestWindow) {
  const rl::Policy policy = rl::FixedWindowPolicy{.limit = 3, .window = seconds(1)};
  const auto trace = read("998 a 1\n999 a 2\n999 b 1\n1000 a 3\n1500 a 1\n2100 a 1\n");
  ASSERT_TRUE(trace);
  const Replay r = replay(policy, *trace);
  ASSERT_EQ(r.requests.size(), 6u);
  EXPECT_TRUE(r.requests[3].decision.allowed);   // a new window: the boundary hazard
  EXPECT_FALSE(r.requests[4].decision.allowed);  // 3 already in [1000, 2000)
  EXPECT_EQ(retry_after_ms(r.requests[4].decision), 500);
  EXPECT_EQ(retry_after_ms(r.requests[3].decision), -1);
  ASSERT_EQ(r.keys.size(), 2u);
  EXPECT_EQ(r.keys[0].key, "a");
  EXPECT_EQ(r.keys[0].allowed, 4);
  EXPECT_EQ(r.keys[0].refused, 1);
  EXPECT_EQ(r.keys[0].max_in_window, 3);        // 998, 999, 1000 within (0, 1000]
  EXPECT_EQ(r.keys[0].max_units_in_window, 6);  // twice the limit
  EXPECT_EQ(r.keys[1].key, "b");
  EXPECT_EQ(r.keys[1].max_in_window, 1);
}

TEST(RateLimitReplay, RendersNeverAsMinusOneAndRoundsWaitsUp) {
  rl::Decision d;
  d.retry_after = std::nullopt;
  d.reset_after = rl::Micros(1001);
  EXPECT_EQ(retry_after_ms(d), -1);
  EXPECT_EQ(reset_after_ms(d), 2);
  d.retry_after = rl::Micros(83'334);
  EXPECT_EQ(retry_after_ms(d), 84);
}

}  // namespace
}  // namespace faultline::scenarios::ratelimit
