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

// --- Several limits at once (tiered.h) ---

Result<TieredDecision> decide_all(LimitStoreHarness& h, const std::vector<Tier>& tiers,
                                  std::int64_t cost, int client = 0) {
  std::optional<Result<TieredDecision>> out;
  h.run([&]() -> Task<void> {
    auto call = h.store(client).decide_all(tiers, cost, kTimeout);
    out.emplace(co_await std::move(call));
  });
  return std::move(*out);
}

TieredDecision ok(Result<TieredDecision> r) {
  EXPECT_TRUE(static_cast<bool>(r)) << (r ? std::string() : r.error().to_string());
  return r ? *r : TieredDecision{};
}

// A caller tier (limit 2), a tenant tier (limit 3) and a global tier (limit 5), each of a
// different algorithm when the backend runs several, over a day.
std::vector<Tier> three_tiers(LimitStoreHarness& h) {
  const std::vector<Policy> p = supported({SlidingLogPolicy{.limit = 2, .window = 24h},
                                           GcraPolicy{.count = 3, .period = 24h, .max_burst = 2},
                                           FixedWindowPolicy{.limit = 5, .window = 24h}});
  const auto pick = [&](std::size_t i) { return p[std::min(i, p.size() - 1)]; };
  return {{.key = h.unique_key(), .policy = pick(0)},
          {.key = h.unique_key(), .policy = pick(1)},
          {.key = h.unique_key(), .policy = pick(2)}};
}

// What a single decision on each tier's own key would say now, peeking.
std::vector<std::int64_t> remaining_of(LimitStoreHarness& h, const std::vector<Tier>& tiers) {
  std::vector<std::int64_t> out;
  for (const Tier& t : tiers) out.push_back(ok(decide(h, t.key, t.policy, 0)).remaining);
  return out;
}

TEST(LimitStoreConformance, TiersAllAllowAndAreAllCharged) {
  REQUIRE_HARNESS(h);
  std::vector<Tier> tiers = three_tiers(*h);
  const TieredDecision d = ok(decide_all(*h, tiers, 2));
  ASSERT_TRUE(d.allowed);
  ASSERT_EQ(d.tiers.size(), 3u);
  EXPECT_EQ(d.retry_after, Micros::zero());
  EXPECT_EQ(d.tiers[0].remaining, 0);
  EXPECT_EQ(d.tiers[1].remaining, 1);
  EXPECT_EQ(d.tiers[2].remaining, 3);
  EXPECT_EQ(remaining_of(*h, tiers), (std::vector<std::int64_t>{0, 1, 3}));
}

// The caller tier refuses: neither the tenant nor the global budget is drained, and the other
// tiers report their state unchanged.
TEST(LimitStoreConformance, ALaterRefusalChargesNoTier) {
  REQUIRE_HARNESS(h);
  std::vector<Tier> tiers = three_tiers(*h);
  std::swap(tiers[0], tiers[2]);  // the tight tier last
  ASSERT_TRUE(ok(decide(*h, tiers[2].key, tiers[2].policy, 2)).allowed);  // drain the caller
  const std::vector<std::int64_t> before = remaining_of(*h, tiers);
  const TieredDecision d = ok(decide_all(*h, tiers, 1));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated(), (std::vector<std::size_t>{2}));
  EXPECT_TRUE(d.tiers[0].allowed);
  EXPECT_EQ(d.tiers[0].remaining, before[0]);
  EXPECT_EQ(d.tiers[1].remaining, before[1]);
  ASSERT_TRUE(d.retry_after.has_value());
  EXPECT_EQ(d.retry_after, d.tiers[2].retry_after);
  EXPECT_EQ(remaining_of(*h, tiers), before);
}

TEST(LimitStoreConformance, ATierThatCanNeverAllowMakesTheTieredWaitNever) {
  REQUIRE_HARNESS(h);
  const std::vector<Tier> tiers = three_tiers(*h);
  const TieredDecision d = ok(decide_all(*h, tiers, 4));  // above the caller's 2 and tenant's 3
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated(), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(d.retry_after, std::nullopt);
  EXPECT_EQ(remaining_of(*h, tiers), (std::vector<std::int64_t>{2, 3, 5}));
}

// Two callers of one tenant, concurrently: every tier's usage afterwards is exactly what the
// allowed requests charged, and no tier's limit is passed.
TEST(LimitStoreConformance, ConcurrentTieredRequestsChargeAllOrNothing) {
  REQUIRE_HARNESS(h);
  const std::vector<Tier> base = three_tiers(*h);
  std::vector<std::vector<Tier>> per_client;
  for (int c = 0; c < LimitStoreHarness::kClients; ++c) {
    per_client.push_back({{.key = h->unique_key(), .policy = base[0].policy}, base[1], base[2]});
  }
  std::vector<std::int64_t> admitted(LimitStoreHarness::kClients, 0);
  std::vector<std::function<Task<void>()>> bodies;
  for (int c = 0; c < LimitStoreHarness::kClients; ++c) {
    bodies.push_back([&, c]() -> Task<void> {
      for (int i = 0; i < 4; ++i) {
        const std::vector<Tier>& tiers = per_client[static_cast<std::size_t>(c)];
        auto call = h->store(c).decide_all(tiers, 1, kTimeout);
        Result<TieredDecision> d = co_await std::move(call);
        if (d && d->allowed) ++admitted[static_cast<std::size_t>(c)];
      }
    });
  }
  h->run_concurrently(std::move(bodies));
  const std::int64_t total = admitted[0] + admitted[1];
  EXPECT_EQ(total, 3);  // the tenant tier's limit: each caller could take 2
  for (int c = 0; c < LimitStoreHarness::kClients; ++c) {
    const std::vector<std::int64_t> left = remaining_of(*h, per_client[static_cast<std::size_t>(c)]);
    EXPECT_EQ(left[0], 2 - admitted[static_cast<std::size_t>(c)]) << "caller " << c;
    EXPECT_EQ(left[1], 3 - total);
    EXPECT_EQ(left[2], 5 - total);
  }
}

TEST(LimitStoreConformance, BadTiersAreNamedBeforeAnythingIsSent) {
  REQUIRE_HARNESS(h);
  const Policy good = slow_policies()[0];
  const auto expect_named = [&](const std::vector<Tier>& tiers, std::int64_t cost,
                                const std::string& field) {
    Result<TieredDecision> d = decide_all(*h, tiers, cost);
    ASSERT_FALSE(static_cast<bool>(d)) << field;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument) << field;
    EXPECT_TRUE(d.error().message.starts_with(field + ":")) << d.error().message;
  };
  expect_named({}, 1, "tiers");
  expect_named(std::vector<Tier>(kMaxTiers + 1, Tier{.key = "k", .policy = good}), 1, "tiers");
  expect_named({{.key = "a", .policy = good}, {.key = "", .policy = good}}, 1, "tiers[1].key");
  expect_named({{.key = "a", .policy = GcraPolicy{.count = 0}}}, 1, "tiers[0].count");
  expect_named({{.key = "a", .policy = good}, {.key = "a", .policy = good}}, 1, "tiers[1]");
  expect_named({{.key = "a", .policy = good}}, kMaxCost + 1, "cost");
}

// The tiered decisions equal the pure decide_all's, fed the instants the store decided at.
TEST(LimitStoreConformance, TieredAgreesWithThePureModel) {
  REQUIRE_HARNESS(h);
  const std::vector<Policy> fast = fast_policies();
  std::vector<Tier> tiers;
  for (const Policy& p : fast) tiers.push_back({.key = h->unique_key(), .policy = p});
  std::vector<Policy> policies;
  std::vector<State> model;
  for (const Tier& t : tiers) {
    policies.push_back(t.policy);
    model.push_back(initial_state(t.policy));
  }
  const std::vector<std::pair<std::chrono::milliseconds, std::int64_t>> steps = {
      {0ms, 1}, {0ms, 2}, {10ms, 1}, {90ms, 2}, {0ms, 4}, {120ms, 1}, {250ms, 2}, {310ms, 3}};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    h->wait(steps[i].first);
    const TieredDecision got = ok(decide_all(*h, tiers, steps[i].second));
    const TieredDecision want = ratelimit::decide_all(model, policies, h->last_instant(0),
                                                      steps[i].second);
    EXPECT_EQ(got.allowed, want.allowed) << "step " << i;
    EXPECT_EQ(got.retry_after, want.retry_after) << "step " << i;
    ASSERT_EQ(got.tiers.size(), want.tiers.size());
    for (std::size_t t = 0; t < got.tiers.size(); ++t) {
      expect_same(got.tiers[t], want.tiers[t],
                  std::string(algorithm_name(policies[t])) + " step " + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace faultline::testing
