// What `faultline limit` is built from: the policy spec grammar, the trace reader and the
// replay's per-key summary.
#include <gtest/gtest.h>

#include <sstream>

#include "scenarios/ratelimit/limit_spec.h"
#include "scenarios/ratelimit/replay.h"

namespace faultline::scenarios::ratelimit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string spec_error(std::string_view spec) {
  const Result<rl::Policy> p = parse_policy_spec(spec);
  return p ? std::string("ok") : p.error().message;
}

TEST(RateLimitSpec, ReadsEveryAlgorithm) {
  const auto gcra = std::get<rl::GcraPolicy>(*parse_policy_spec("gcra:rate=30/1m,burst=15"));
  EXPECT_EQ(gcra.count, 30);
  EXPECT_EQ(gcra.period, std::chrono::minutes(1));
  EXPECT_EQ(gcra.max_burst, 15);
  const auto bucket =
      std::get<rl::TokenBucketPolicy>(*parse_policy_spec("token-bucket:rate=1/100ms,capacity=3"));
  EXPECT_EQ(bucket.capacity, 3);
  EXPECT_EQ(bucket.count, 1);
  EXPECT_EQ(bucket.period, milliseconds(100));
  for (const char* spec : {"sliding-log:limit=3,window=1s", "sliding-counter:limit=10,window=2h",
                           "fixed-window:limit=5,window=500ms", "gcra:rate=2/1s,burst=0",
                           "token-bucket:capacity=3,rate=7/1500us"}) {
    Result<rl::Policy> p = parse_policy_spec(spec);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(policy_spec(*p), spec);
  }
}

TEST(RateLimitSpec, SaysWhatWasExpected) {
  EXPECT_EQ(spec_error("leaky:limit=1"),
            "policy 'leaky:limit=1': expected ALGORITHM:FIELDS, the algorithm one of gcra, "
            "token-bucket, sliding-log, sliding-counter or fixed-window");
  EXPECT_EQ(spec_error("gcra:rate=2/1s"),
            "policy 'gcra:rate=2/1s': missing burst= (expected gcra:rate=COUNT/PERIOD,burst=B)");
  EXPECT_EQ(spec_error("gcra:rate=2,burst=1"),
            "policy 'gcra:rate=2,burst=1': rate='2' is not COUNT/PERIOD (expected "
            "gcra:rate=COUNT/PERIOD,burst=B)");
  EXPECT_EQ(spec_error("sliding-log:limit=3,limit=4,window=1s"),
            "policy 'sliding-log:limit=3,limit=4,window=1s': limit given twice (expected "
            "sliding-log:limit=N,window=W)");
  EXPECT_EQ(spec_error("fixed-window:limit=x,window=1s"),
            "policy 'fixed-window:limit=x,window=1s': limit='x' is not a whole number (expected "
            "fixed-window:limit=N,window=W)");
  EXPECT_EQ(spec_error("sliding-counter:limit=3,window=1d"),
            "policy 'sliding-counter:limit=3,window=1d': '1d' is not a duration (a whole number "
            "and us, ms, s, m or h: 500ms, 1s, 1m) (expected sliding-counter:limit=N,window=W)");
  EXPECT_EQ(spec_error("token-bucket:capacity=-1,rate=1/1s"),
            "policy 'token-bucket:capacity=-1,rate=1/1s': capacity: -1; must be in [1, 100000]");
  EXPECT_EQ(spec_error("sliding-log:limit=3,window=99999999999999999h"),
            "policy 'sliding-log:limit=3,window=99999999999999999h': '99999999999999999h' is not "
            "a duration (a whole number and us, ms, s, m or h: 500ms, 1s, 1m) (expected "
            "sliding-log:limit=N,window=W)");
}

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
