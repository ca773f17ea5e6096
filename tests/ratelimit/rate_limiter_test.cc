// RateLimiter on the simulated Redis node: tiers named and charged together, and each outage
// policy judged by what the caller got while the node's service is down (a fail-fast outage
// answers errors at once; a timeout outage never answers).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faultline/ratelimit/headers.h"
#include "faultline/ratelimit/rate_limiter.h"
#include "faultline/resilience/pipeline.h"
#include "faultline/sim/redis_limits.h"
#include "faultline/sim/topology.h"

namespace faultline::ratelimit {
namespace {

using namespace std::chrono_literals;
using sim::Network;

// A limit of 2 per caller and 3 for the tenant, per day (nothing refills during a test).
std::vector<TierSpec> two_tiers() {
  return {{.name = "caller", .policy = SlidingLogPolicy{.limit = 2, .window = 24h}},
          {.name = "tenant", .policy = GcraPolicy{.count = 3, .period = 24h, .max_burst = 2}}};
}

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterTest()
      : topology_(sim::TopologyBuilder(0x11D).redis("redis").clients(1)),
        store_(topology_.network(), topology_.client(0), topology_.redis("redis")) {
    topology_.start();
  }

  RateLimiter make(RateLimiterOptions options) {
    options.on_event = [this](const LimiterEvent& e) { events_.push_back(e.kind); };
    Result<RateLimiter> limiter = RateLimiter::create(clock(), store_, std::move(options));
    EXPECT_TRUE(limiter) << limiter.error().to_string();
    return std::move(limiter).value();
  }

  // One check to completion; returns the result and how long it took on the client's clock.
  std::pair<Result<Verdict>, Duration> check(RateLimiter& limiter, std::vector<std::string> keys,
                                             std::int64_t cost = 1) {
    std::optional<Result<Verdict>> out;
    const TimePoint started = clock().now();
    // A named closure: the coroutine reads its captures, so it must outlive the run.
    auto body = [&]() -> Task<void> {
      auto call = limiter.check(keys, cost);
      out.emplace(co_await std::move(call));
    };
    topology_.client(0).spawn(body());
    while (!out && topology_.world().step()) {
    }
    EXPECT_TRUE(out.has_value());
    return {std::move(*out), clock().now() - started};
  }
  Verdict allowed_verdict(RateLimiter& limiter, std::vector<std::string> keys) {
    Result<Verdict> v = check(limiter, std::move(keys)).first;
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? *v : Verdict{};
  }

  void outage(Network::OutageMode mode, bool on) {
    const sim::ProcessId node = topology_.redis("redis").host().id();
    if (on) {
      topology_.network().begin_outage(node, mode);
    } else {
      topology_.network().end_outage(node, mode);
    }
  }
  void wait(Duration d) { topology_.world().run_until(topology_.world().now() + d); }
  Clock& clock() { return topology_.client(0).clock(); }

  sim::Topology topology_;
  sim::SimLimitStore store_;
  std::vector<LimiterEventKind> events_;
};

TEST_F(RateLimiterTest, TiersAreChargedTogetherUnderTheirNames) {
  RateLimiter limiter = make({.tiers = two_tiers()});
  EXPECT_TRUE(allowed_verdict(limiter, {"alice", "acme"}).allowed);
  EXPECT_TRUE(allowed_verdict(limiter, {"alice", "acme"}).allowed);
  const Verdict third = allowed_verdict(limiter, {"alice", "acme"});
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.source, Source::kStore);
  EXPECT_EQ(third.violated(), (std::vector<std::size_t>{0}));
  EXPECT_GT(third.retry_after.value_or(0us), 0us);
  // Bob has his own caller budget but shares the tenant's, of which one unit is left: alice's
  // refusal above charged nothing.
  const Verdict bob = allowed_verdict(limiter, {"bob", "acme"});
  EXPECT_TRUE(bob.allowed);
  EXPECT_EQ(bob.tiers[1].remaining, 0);
  EXPECT_EQ(limiter.stats().store_decisions, 4u);
  EXPECT_EQ(limiter.stats().refused, 1u);
  EXPECT_TRUE(events_.empty());
}

TEST_F(RateLimiterTest, FailOpenAllowsEverythingWhileTheStoreIsDown) {
  RateLimiter limiter = make({.tiers = two_tiers(), .on_outage = OutagePolicy::kFailOpen,
                              .recheck_after = 100ms});
  outage(Network::OutageMode::kFailFast, true);
  for (int i = 0; i < 5; ++i) {
    const Verdict v = allowed_verdict(limiter, {"alice", "acme"});
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.source, Source::kFailOpen);
    EXPECT_TRUE(v.tiers.empty());
  }
  EXPECT_FALSE(limiter.store_available());
  outage(Network::OutageMode::kFailFast, false);
  wait(100ms);
  EXPECT_EQ(allowed_verdict(limiter, {"alice", "acme"}).source, Source::kStore);
  EXPECT_EQ(events_, (std::vector{LimiterEventKind::kStoreLost, LimiterEventKind::kStoreRestored}));
  EXPECT_EQ(limiter.stats().failed_open, 5u);
}

// Failing closed is an error the caller can tell from a refusal (a 503, not a 429).
TEST_F(RateLimiterTest, FailClosedIsUnavailableNeverRateLimited) {
  RateLimiter limiter = make({.tiers = two_tiers(), .on_outage = OutagePolicy::kFailClosed});
  outage(Network::OutageMode::kFailFast, true);
  const Result<Verdict> v = check(limiter, {"alice", "acme"}).first;
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(v.error().message.find("failing closed"), std::string::npos) << v.error().message;
}

// The fallback admits each tier's share of its limit in this process, and asks the hung store
// once per recheck_after, not once per request.
TEST_F(RateLimiterTest, FallbackAdmitsTheShareAndAsksTheStoreOncePerRecheck) {
  RateLimiter limiter = make({.tiers = {{.name = "caller",
                                         .policy = FixedWindowPolicy{.limit = 10, .window = 24h}}},
                              .on_outage = OutagePolicy::kFallback,
                              .fallback_share = 0.3,
                              .store_timeout = 50ms,
                              .recheck_after = 1h});
  outage(Network::OutageMode::kTimeout, true);
  int admitted = 0;
  Duration waited = Duration::zero();
  for (int i = 0; i < 10; ++i) {
    auto [v, took] = check(limiter, {"alice"});
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ(v->source, Source::kFallback);
    admitted += v->allowed ? 1 : 0;
    waited += took;
  }
  EXPECT_EQ(admitted, 3);
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 100ms);  // one store timeout, not ten
  EXPECT_EQ(events_, (std::vector{LimiterEventKind::kStoreLost}));
  EXPECT_EQ(limiter.stats().fallback_decisions, 10u);
}

// A fallback decision is one of the scaled policy, and the verdict says so: the headers built
// from it show the share the process holds.
TEST_F(RateLimiterTest, FallbackVerdictsNameThePolicyTheyWereDecidedBy) {
  RateLimiter limiter = make({.tiers = two_tiers(), .fallback_share = 0.5});
  outage(Network::OutageMode::kFailFast, true);
  const Verdict v = allowed_verdict(limiter, {"alice", "acme"});
  ASSERT_EQ(v.source, Source::kFallback);
  ASSERT_EQ(v.policies.size(), 2u);
  EXPECT_EQ(std::get<SlidingLogPolicy>(v.policies[0]).limit, 1);
  std::vector<NamedLimit> limits;
  for (std::size_t i = 0; i < v.tiers.size(); ++i) {
    limits.push_back({.name = two_tiers()[i].name, .policy = v.policies[i], .decision = v.tiers[i]});
  }
  const Result<ResponseHeaders> headers = response_headers(limits);
  ASSERT_TRUE(headers) << headers.error().to_string();
  EXPECT_NE(headers->policy.find("\"caller\";q=1"), std::string::npos) << headers->policy;
}

// While the store hangs, checks in flight at once send one probe, not one call each.
TEST_F(RateLimiterTest, ConcurrentChecksDuringAnOutageSendOneProbe) {
  RateLimiter limiter = make({.tiers = two_tiers(),
                              .on_outage = OutagePolicy::kFailOpen,
                              .store_timeout = 50ms,
                              .recheck_after = 100ms});
  outage(Network::OutageMode::kTimeout, true);
  ASSERT_TRUE(check(limiter, {"a", "t"}).first);  // the store is lost (one timeout)
  wait(100ms);
  std::vector<std::string> keys = {"a", "t"};
  std::vector<Duration> took;
  std::vector<std::function<Task<void>()>> bodies;
  for (int i = 0; i < 5; ++i) {
    bodies.push_back([&]() -> Task<void> {
      const TimePoint started = clock().now();
      auto call = limiter.check(keys, 1);
      Result<Verdict> v = co_await std::move(call);
      EXPECT_TRUE(v && v->source == Source::kFailOpen);
      took.push_back(clock().now() - started);
    });
  }
  for (auto& body : bodies) topology_.client(0).spawn(body());
  while (took.size() < 5 && topology_.world().step()) {
  }
  ASSERT_EQ(took.size(), 5u);
  std::sort(took.begin(), took.end());
  EXPECT_EQ(took[3], Duration::zero());  // four answered at once by the outage policy
  EXPECT_GE(took[4], 50ms);              // one probe waited for the store
}

TEST_F(RateLimiterTest, ShadowModeReportsRefusalsButAllows) {
  RateLimiter limiter = make({.tiers = two_tiers(), .shadow = true});
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(allowed_verdict(limiter, {"a", "t"}).shadow_refused);
  const Verdict third = allowed_verdict(limiter, {"a", "t"});
  EXPECT_TRUE(third.allowed);
  EXPECT_TRUE(third.shadow_refused);
  EXPECT_EQ(third.violated(), (std::vector<std::size_t>{0}));
}

TEST_F(RateLimiterTest, BadInputIsNamed) {
  RateLimiter limiter = make({.tiers = two_tiers()});
  const auto named = [&](std::vector<std::string> keys, std::int64_t cost, std::string field) {
    const Result<Verdict> v = check(limiter, std::move(keys), cost).first;
    ASSERT_FALSE(v) << field;
    EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(v.error().message.starts_with(field + ":")) << v.error().message;
  };
  named({"alice"}, 1, "keys");
  named({"alice", ""}, 1, "keys[1]");
  named({"alice", std::string(300, 'k')}, 1, "keys[1]");
  named({"alice", "acme"}, -1, "cost");
  const auto refused = [&](RateLimiterOptions o, std::string field) {
    const Result<RateLimiter> r = RateLimiter::create(clock(), store_, std::move(o));
    ASSERT_FALSE(r) << field;
    EXPECT_TRUE(r.error().message.starts_with(field + ":")) << r.error().message;
  };
  refused({}, "tiers");
  refused({.tiers = {{.name = "a/b"}}}, "tiers[0].name");
  refused({.tiers = {{.name = "a"}, {.name = "a"}}}, "tiers[1].name");
  refused({.tiers = {{.name = "a", .policy = GcraPolicy{.count = 0}}}}, "tiers[0].count");
  refused({.tiers = two_tiers(), .fallback_share = 0.0}, "fallback_share");
  refused({.tiers = two_tiers(), .fallback_share = 1.5}, "fallback_share");
  refused({.tiers = two_tiers(), .store_timeout = 0ms}, "store_timeout");
}

// --- The pipeline's rate-limiter stage ---

class PipelineStageTest : public RateLimiterTest {
 protected:
  // Runs one pipeline call of an operation that counts its calls.
  Result<int> call(resilience::Pipeline& pipeline) {
    std::optional<Result<int>> out;
    auto op = [this](const resilience::CallContext&) -> Task<Result<int>> {
      co_return ++calls_;
    };
    auto body = [&]() -> Task<void> {
      auto run = pipeline.execute<int>(op);
      out.emplace(co_await std::move(run));
    };
    topology_.client(0).spawn(body());
    while (!out && topology_.world().step()) {
    }
    EXPECT_TRUE(out.has_value());
    return std::move(*out);
  }
  resilience::Pipeline pipeline(RateLimiter& limiter, std::optional<resilience::RetryOptions> retry,
                                std::int64_t cost = 1) {
    Result<resilience::Pipeline> p = resilience::Pipeline::create(
        clock(), topology_.client(0).rng(),
        {.retry = retry, .rate_limit = {.limiter = &limiter, .keys = {"api"}, .cost = cost}});
    EXPECT_TRUE(p) << p.error().to_string();
    return std::move(p).value();
  }
  int calls_ = 0;
};

// One unit per 100ms, no burst.
std::vector<TierSpec> per_100ms() {
  return {{.name = "dependency", .policy = GcraPolicy{.count = 1, .period = 100ms}}};
}

TEST_F(PipelineStageTest, ARefusalIsRateLimitedWithItsWaitAndIsNotRetried) {
  RateLimiter limiter = make({.tiers = per_100ms()});
  resilience::Pipeline p = pipeline(limiter, resilience::RetryOptions{.max_attempts = 5});
  ASSERT_TRUE(call(p));
  const Result<int> refused = call(p);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_NE(refused.error().message.find("dependency"), std::string::npos);
  ASSERT_TRUE(refused.error().retry_after.has_value());
  EXPECT_GT(*refused.error().retry_after, 90ms);
  EXPECT_LE(*refused.error().retry_after, 100ms);
  EXPECT_EQ(calls_, 1);  // the refused attempt never reached the operation
}

TEST_F(PipelineStageTest, ARetryToldToHonourTheWaitSleepsItThenCalls) {
  RateLimiter limiter = make({.tiers = per_100ms()});
  resilience::Pipeline p =
      pipeline(limiter, resilience::RetryOptions{.max_attempts = 3,
                                                 .backoff = {.base = 1ms, .cap = 1ms},
                                                 .honour_rate_limit = true});
  ASSERT_TRUE(call(p));
  const TimePoint before = clock().now();
  const Result<int> second = call(p);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(*second, 2);
  EXPECT_GE(clock().now() - before, 90ms);
}

TEST_F(PipelineStageTest, ACostThatCanNeverBeAllowedIsNeverRetried) {
  RateLimiter limiter = make({.tiers = per_100ms()});
  resilience::Pipeline p = pipeline(
      limiter, resilience::RetryOptions{.max_attempts = 3, .honour_rate_limit = true}, 2);
  const Result<int> never = call(p);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().code, ErrorCode::kRateLimited);
  EXPECT_FALSE(never.error().retry_after.has_value());
  EXPECT_NE(never.error().message.find("never"), std::string::npos);
  EXPECT_EQ(calls_, 0);
}

// The whole call's deadline bounds the limiter's store call: a hung store cannot hold the call
// past it, and the attempt is not started after it.
TEST_F(PipelineStageTest, TheCallsDeadlineBoundsTheCheck) {
  RateLimiter limiter = make({.tiers = per_100ms(), .store_timeout = 50ms});
  Result<resilience::Pipeline> made = resilience::Pipeline::create(
      clock(), topology_.client(0).rng(),
      {.timeout = 10ms, .rate_limit = {.limiter = &limiter, .keys = {"api"}}});
  ASSERT_TRUE(made);
  outage(Network::OutageMode::kTimeout, true);
  const TimePoint before = clock().now();
  const Result<int> r = call(*made);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << r.error().to_string();
  EXPECT_LE(clock().now() - before, 11ms);
  EXPECT_EQ(calls_, 0);
}

TEST_F(PipelineStageTest, OneKeyPerTierIsRequired) {
  RateLimiter limiter = make({.tiers = two_tiers()});
  const Result<resilience::Pipeline> p = resilience::Pipeline::create(
      clock(), topology_.client(0).rng(), {.rate_limit = {.limiter = &limiter, .keys = {"a"}}});
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().message.starts_with("pipeline.rate_limit.keys:")) << p.error().message;
}

TEST(RateLimitFallbackPolicy, ScalesEveryLimitButNeverBelowOne) {
  const Policy gcra = fallback_policy(GcraPolicy{.count = 10, .period = 1s, .max_burst = 9}, 0.25);
  EXPECT_EQ(std::get<GcraPolicy>(gcra).count, 2);
  EXPECT_EQ(std::get<GcraPolicy>(gcra).max_burst, 1);
  const Policy bucket = fallback_policy(TokenBucketPolicy{.capacity = 8, .count = 4}, 0.5);
  EXPECT_EQ(std::get<TokenBucketPolicy>(bucket).capacity, 4);
  EXPECT_EQ(std::get<TokenBucketPolicy>(bucket).count, 2);
  const Policy log = fallback_policy(SlidingLogPolicy{.limit = 3, .window = 1s}, 0.1);
  EXPECT_EQ(std::get<SlidingLogPolicy>(log).limit, 1);
  EXPECT_EQ(std::get<SlidingLogPolicy>(log).window, 1s);
}

}  // namespace
}  // namespace faultline::ratelimit
