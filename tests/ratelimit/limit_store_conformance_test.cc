// LimitStore conformance: the same properties, checked against every implementation.
//
// Linked once per backend (tests/ratelimit/CMakeLists.txt, tests/backends/CMakeLists.txt), so
// the simulated module cannot drift from the Redis scripts. Policies whose period or window is
// a day keep time's progress during a test from changing a remaining count; the ones a test
// waits on are short, with every duration in whole milliseconds (the simulated node's clock).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/ratelimit/limit_store_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using namespace ratelimit;

constexpr Duration kTimeout = 2s;

LimitStoreHarness* harness(std::string& why_not) {
  static std::unique_ptr<LimitStoreHarness> instance = make_limit_store_harness(why_not);
  static std::string reason = why_not;
  why_not = reason;
  return instance.get();
}

#define REQUIRE_HARNESS(h)                 \
  std::string why_not;                     \
  LimitStoreHarness* h = harness(why_not); \
  if (h == nullptr) GTEST_SKIP() << why_not;

// One decision, run to completion (the key and policy outlive the task).
Result<Decision> decide(LimitStoreHarness& h, const std::string& key, const Policy& policy,
                        std::int64_t cost, int client = 0) {
  std::optional<Result<Decision>> out;
  h.run([&]() -> Task<void> {
    auto call = h.store(client).decide(key, policy, cost, kTimeout);
    out.emplace(co_await std::move(call));
  });
  return std::move(*out);
}

Decision ok(Result<Decision> r) {
  EXPECT_TRUE(static_cast<bool>(r)) << (r ? std::string() : r.error().to_string());
  return r ? *r : Decision{};
}

// The policies among `all` that the backend runs.
std::vector<Policy> supported(std::vector<Policy> all) {
  std::string why_not;
  LimitStoreHarness* h = harness(why_not);
  std::erase_if(all, [h](const Policy& p) { return h != nullptr && !h->supports(p); });
  return all;
}

// Each algorithm with a limit of 3 over `span` (a period or a window).
std::vector<Policy> policies_over(Micros span) {
  return supported({GcraPolicy{.count = 3, .period = span, .max_burst = 2},
                    TokenBucketPolicy{.capacity = 3, .count = 3, .period = span},
                    SlidingLogPolicy{.limit = 3, .window = span},
                    SlidingCounterPolicy{.limit = 3, .window = span},
                    FixedWindowPolicy{.limit = 3, .window = span}});
}
// Over a day: nothing refills during a test, and the window algorithms' windows, aligned on the
// epoch, roll over only at midnight UTC.
std::vector<Policy> slow_policies() { return policies_over(24h); }
// Over 300ms: every wait a whole number of milliseconds (the simulated node's clock).
std::vector<Policy> fast_policies() { return policies_over(300ms); }

void expect_same(const Decision& got, const Decision& want, const std::string& where) {
  EXPECT_EQ(got.allowed, want.allowed) << where;
  EXPECT_EQ(got.limit, want.limit) << where;
  EXPECT_EQ(got.remaining, want.remaining) << where;
  EXPECT_EQ(got.retry_after, want.retry_after) << where;
  EXPECT_EQ(got.reset_after, want.reset_after) << where;
}

TEST(LimitStoreConformance, FirstRequestIsAllowedWithTheRestRemaining) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const Decision d = ok(decide(*h, h->unique_key(), policy, 2));
    EXPECT_TRUE(d.allowed) << algorithm_name(policy);
    EXPECT_EQ(d.limit, 3) << algorithm_name(policy);
    EXPECT_EQ(d.remaining, 1) << algorithm_name(policy);
    EXPECT_EQ(d.retry_after, Micros::zero()) << algorithm_name(policy);
    EXPECT_GT(d.reset_after, Micros::zero()) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, ExhaustedRefusesUntilRetryAfterHasPassed) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : fast_policies()) {
    const std::string key = h->unique_key();
    ASSERT_TRUE(ok(decide(*h, key, policy, 3)).allowed) << algorithm_name(policy);
    const Decision refused = ok(decide(*h, key, policy, 1));
    ASSERT_FALSE(refused.allowed) << algorithm_name(policy);
    EXPECT_EQ(refused.remaining, 0) << algorithm_name(policy);
    ASSERT_TRUE(refused.retry_after.has_value()) << algorithm_name(policy);
    EXPECT_GT(*refused.retry_after, Micros::zero()) << algorithm_name(policy);
    h->wait(*refused.retry_after);
    EXPECT_TRUE(ok(decide(*h, key, policy, 1)).allowed) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, ARefusalConsumesNothing) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const std::string key = h->unique_key();
    ASSERT_EQ(ok(decide(*h, key, policy, 2)).remaining, 1) << algorithm_name(policy);
    const Decision refused = ok(decide(*h, key, policy, 2));
    EXPECT_FALSE(refused.allowed) << algorithm_name(policy);
    EXPECT_EQ(refused.remaining, 1) << algorithm_name(policy);
    const Decision last = ok(decide(*h, key, policy, 1));
    EXPECT_TRUE(last.allowed) << algorithm_name(policy);
    EXPECT_EQ(last.remaining, 0) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, ACostAboveTheLimitIsNever) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const Decision d = ok(decide(*h, h->unique_key(), policy, 4));
    EXPECT_FALSE(d.allowed) << algorithm_name(policy);
    EXPECT_EQ(d.retry_after, std::nullopt) << algorithm_name(policy);
    EXPECT_EQ(d.remaining, 3) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, CostZeroPeeks) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const std::string key = h->unique_key();
    EXPECT_EQ(ok(decide(*h, key, policy, 0)).remaining, 3) << algorithm_name(policy);
    ASSERT_TRUE(ok(decide(*h, key, policy, 1)).allowed) << algorithm_name(policy);
    for (int i = 0; i < 2; ++i) {
      const Decision peek = ok(decide(*h, key, policy, 0));
      EXPECT_TRUE(peek.allowed) << algorithm_name(policy);
      EXPECT_EQ(peek.remaining, 2) << algorithm_name(policy);
    }
    EXPECT_TRUE(ok(decide(*h, key, policy, 2)).allowed) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, KeysAndAlgorithmsAreIndependent) {
  REQUIRE_HARNESS(h);
  const std::vector<Policy> policies = slow_policies();
  ASSERT_GE(policies.size(), 2u);
  const std::string key = h->unique_key();
  const std::string other = h->unique_key();
  ASSERT_TRUE(ok(decide(*h, key, policies[0], 3)).allowed);
  ASSERT_FALSE(ok(decide(*h, key, policies[0], 1)).allowed);
  EXPECT_EQ(ok(decide(*h, other, policies[0], 1)).remaining, 2);
  for (std::size_t i = 1; i < policies.size(); ++i) {
    EXPECT_EQ(ok(decide(*h, key, policies[i], 1)).remaining, 2) << algorithm_name(policies[i]);
  }
}

TEST(LimitStoreConformance, ConcurrentClientsNeverAdmitMoreThanTheLimit) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const std::string key = h->unique_key();
    std::int64_t admitted = 0;
    std::vector<std::function<Task<void>()>> bodies;
    for (int client = 0; client < LimitStoreHarness::kClients; ++client) {
      bodies.push_back([&, client]() -> Task<void> {
        for (int i = 0; i < 3; ++i) {
          auto call = h->store(client).decide(key, policy, 1, kTimeout);
          Result<Decision> d = co_await std::move(call);
          if (d && d->allowed) ++admitted;
        }
      });
    }
    h->run_concurrently(std::move(bodies));
    EXPECT_EQ(admitted, 3) << algorithm_name(policy);
  }
}

TEST(LimitStoreConformance, BadInputIsNamedBeforeAnythingIsSent) {
  REQUIRE_HARNESS(h);
  const Policy good = slow_policies()[0];
  const auto expect_named = [&](const std::string& key, const Policy& policy, std::int64_t cost,
                                const std::string& field) {
    Result<Decision> d = decide(*h, key, policy, cost);
    ASSERT_FALSE(static_cast<bool>(d)) << field;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument) << field;
    EXPECT_TRUE(d.error().message.starts_with(field + ":")) << d.error().message;
  };
  expect_named("", good, 1, "key");
  expect_named("a\nb", good, 1, "key");
  expect_named(std::string(kMaxLimitKeyBytes + 1, 'k'), good, 1, "key");
  expect_named("k", GcraPolicy{.count = 0}, 1, "count");
  expect_named("k", SlidingLogPolicy{.limit = 3, .window = 0ms}, 1, "window");
  expect_named("k", good, -1, "cost");
  expect_named("k", good, kMaxCost + 1, "cost");
  std::optional<Result<Decision>> out;
  h->run([&]() -> Task<void> {
    auto call = h->store(0).decide("k", good, 1, Duration::zero());
    out.emplace(co_await std::move(call));
  });
  ASSERT_FALSE(static_cast<bool>(*out));
  EXPECT_TRUE(out->error().message.starts_with("timeout")) << out->error().message;
}

// An allowed request leaves its state with a TTL of reset_after (whole ms, rounded up); a
// refusal or a peek writes nothing, so a key never allowed has no state at all. (Slow policies:
// a stalled test machine cannot see the TTL run out.)
TEST(LimitStoreConformance, StateCarriesATtlOfResetAfter) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : slow_policies()) {
    const std::string key = h->unique_key();
    const std::string name = limit_key(key, policy);
    ASSERT_FALSE(ok(decide(*h, key, policy, 4)).allowed) << algorithm_name(policy);
    ASSERT_TRUE(ok(decide(*h, key, policy, 0)).allowed) << algorithm_name(policy);
    EXPECT_EQ(h->pttl(name), std::nullopt) << algorithm_name(policy);
    const Decision d = ok(decide(*h, key, policy, 1));
    ASSERT_TRUE(d.allowed) << algorithm_name(policy);
    const std::optional<Duration> ttl = h->pttl(name);
    ASSERT_TRUE(ttl.has_value()) << algorithm_name(policy);
    EXPECT_GT(*ttl, Duration::zero()) << algorithm_name(policy);
    EXPECT_LE(*ttl, std::chrono::ceil<std::chrono::milliseconds>(d.reset_after))
        << algorithm_name(policy);
  }
}

// Once reset_after has passed, an idle key's state is gone from the store.
TEST(LimitStoreConformance, IdleStateDisappears) {
  REQUIRE_HARNESS(h);
  for (const Policy& policy : fast_policies()) {
    const std::string key = h->unique_key();
    const Decision d = ok(decide(*h, key, policy, 1));
    ASSERT_TRUE(d.allowed) << algorithm_name(policy);
    h->wait(std::chrono::ceil<std::chrono::milliseconds>(d.reset_after) + 5ms);
    EXPECT_EQ(h->pttl(limit_key(key, policy)), std::nullopt) << algorithm_name(policy);
  }
}

// The store's decisions equal the pure model's, fed the instants the store decided at.
TEST(LimitStoreConformance, AgreesWithThePureModel) {
  REQUIRE_HARNESS(h);
  struct Step {
    std::chrono::milliseconds delay;
    std::int64_t cost;
  };
  const std::vector<Step> steps = {{0ms, 1},   {0ms, 2},   {10ms, 1}, {40ms, 0},  {90ms, 2},
                                   {0ms, 4},   {120ms, 1}, {5ms, 3},  {250ms, 2}, {30ms, 1},
                                   {310ms, 3}, {0ms, 1},   {60ms, 0}, {100ms, 2}};
  for (const Policy& policy : fast_policies()) {
    const std::string key = h->unique_key();
    State model = initial_state(policy);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      h->wait(steps[i].delay);
      const Decision got = ok(decide(*h, key, policy, steps[i].cost));
      const Decision want = ratelimit::decide(model, policy, h->last_instant(0), steps[i].cost);
      expect_same(got, want, std::string(algorithm_name(policy)) + " step " + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace faultline::testing
