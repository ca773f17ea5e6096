// The in-process limiter on a hand-moved clock: per-key decisions, argument errors, and the
// bound on keys held.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "faultline/ratelimit/local_limiter.h"
#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

class HandClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }

 protected:
  void start_sleep(Duration duration, SleepHandler wake) override {
    now_ += std::max(duration, Duration::zero());
    std::move(wake).post();
  }

 private:
  TimePoint now_{seconds(50)};
};

LocalLimiter make(Clock& clock, Policy policy, std::size_t max_keys = 100) {
  Result<LocalLimiter> limiter =
      LocalLimiter::create(clock, {.policy = policy, .max_keys = max_keys});
  EXPECT_TRUE(limiter) << limiter.error().message;
  return std::move(limiter).value();
}

TEST(RateLimitLocalLimiter, DecidesPerKeyOnTheClock) {
  HandClock clock;
  LocalLimiter limiter = make(clock, GcraPolicy{.count = 10, .period = seconds(1), .max_burst = 1});
  EXPECT_TRUE(limiter.decide("alice", 1)->allowed);
  EXPECT_TRUE(limiter.decide("alice", 1)->allowed);
  const Decision refused = *limiter.decide("alice", 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(100));
  EXPECT_TRUE(limiter.decide("bob", 2)->allowed);  // another key, its own budget
  clock.advance(milliseconds(100));
  EXPECT_TRUE(limiter.decide("alice", 1)->allowed);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(RateLimitLocalLimiter, RefusesBadArgumentsAndPolicies) {
  HandClock clock;
  LocalLimiter limiter = make(clock, FixedWindowPolicy{.limit = 3, .window = seconds(1)});
  EXPECT_EQ(limiter.decide("", 1).error().message, "key: 0 characters; must be in [1, 512]");
  EXPECT_EQ(limiter.decide("k", -1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(limiter.decide("k", kMaxCost + 1).error().message,
            "cost: 100001; must be in [0, 100000]");
  EXPECT_EQ(
      LocalLimiter::create(clock, {.policy = TokenBucketPolicy{.capacity = 0}}).error().message,
      "capacity: 0; must be in [1, 100000]");
  EXPECT_EQ(LocalLimiter::create(clock, {.max_keys = 0}).error().message,
            "max_keys: 0; must be in [1, 10000000]");
}

TEST(RateLimitLocalLimiter, HoldsAtMostMaxKeysEvictingTheLeastRecentlyAllowed) {
  HandClock clock;
  LocalLimiter limiter = make(clock, SlidingLogPolicy{.limit = 1, .window = seconds(1)}, 2);
  EXPECT_TRUE(limiter.decide("a", 1)->allowed);
  EXPECT_TRUE(limiter.decide("b", 1)->allowed);
  // Refusals and peeks of unknown keys store nothing.
  EXPECT_FALSE(limiter.decide("a", 2)->allowed);
  EXPECT_TRUE(limiter.decide("z", 0)->allowed);
  EXPECT_EQ(limiter.size(), 2u);
  clock.advance(seconds(2));  // a and b at rest: evicting them loses nothing
  EXPECT_TRUE(limiter.decide("c", 1)->allowed);
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_EQ(limiter.evicted_busy(), 0u);
  // d evicts b (least recently allowed), which is at rest; c stays, and still refuses.
  EXPECT_TRUE(limiter.decide("d", 1)->allowed);
  EXPECT_FALSE(limiter.decide("c", 1)->allowed);
  // e evicts c while it is busy: counted, and c is forgotten (lenient, never stricter).
  EXPECT_TRUE(limiter.decide("e", 1)->allowed);
  EXPECT_EQ(limiter.evicted_busy(), 1u);
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_TRUE(limiter.decide("c", 1)->allowed);
}

// Never more than max_keys keys; and with room for every key, exactly the pure functions' decisions
// per key.
RC_GTEST_PROP(RateLimitLocalLimiter, BoundedAndFaithfulToThePureModel, ()) {
  const auto max_keys = *rc::gen::inRange<std::size_t>(1, 6);
  const Policy policy = SlidingLogPolicy{.limit = 2, .window = milliseconds(50)};
  const auto steps = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::inRange(0, 20)));
  HandClock bounded_clock;
  HandClock roomy_clock;
  LocalLimiter bounded = make(bounded_clock, policy, max_keys);
  LocalLimiter roomy = make(roomy_clock, policy, 6);
  std::map<std::string, State> pure;
  for (const auto& [key_index, gap_ms] : steps) {
    bounded_clock.advance(milliseconds(gap_ms));
    roomy_clock.advance(milliseconds(gap_ms));
    const std::string key = "k" + std::to_string(key_index);
    RC_ASSERT(bounded.decide(key, 1).ok());
    RC_ASSERT(bounded.size() <= max_keys);
    const Instant now(std::chrono::floor<Micros>(roomy_clock.now().time_since_epoch()));
    State& state = pure.try_emplace(key, initial_state(policy)).first->second;
    RC_ASSERT(roomy.decide(key, 1)->allowed == decide(state, policy, now, 1).allowed);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
