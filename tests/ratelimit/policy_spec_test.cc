// The text form of a policy (policy_spec.h): every algorithm read and written back, and
// messages that say what was expected.
#include "faultline/ratelimit/policy_spec.h"

#include <gtest/gtest.h>

namespace faultline::ratelimit {
namespace {

namespace rl = faultline::ratelimit;
using std::chrono::milliseconds;

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
  // No unit, or nothing at all: refused before any digit is read.
  for (const char* window : {"100", ""}) {
    const std::string spec = std::string("sliding-log:limit=3,window=") + window;
    EXPECT_NE(spec_error(spec).find("is not a duration"), std::string::npos) << spec_error(spec);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
