// The shared limiter's claims on a real Redis (FAULTLINE_REDIS_PORTS, set by
// scripts/redis-servers.sh; skipped without it), judged by the same checks as the simulated
// scenarios (scenarios/ratelimit/limit_invariants.h): four clients, each with its own
// connection, hammer the same keys with costs 1..3 for a while, and every admission is recorded
// at the instant the server decided it (its TIME, which the store reports), the server's own
// record. The sliding log never admits more than its limit in any window, GCRA never more than
// its bound, tiered requests never more than any tier's limit; and in-memory counters, one per
// client, are shown to admit several times the limit by the same check.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "faultline/backends/asio_clock.h"
#include "faultline/backends/redis/limit_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "faultline/ratelimit/local_limiter.h"
#include "scenarios/ratelimit/limit_invariants.h"
#include "tests/support/redis_env.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLimitStore;
namespace rl = faultline::ratelimit;
using faultline::scenarios::ratelimit::Admission;
using faultline::scenarios::ratelimit::check_gcra_bound;
using faultline::scenarios::ratelimit::check_window_limit;

constexpr int kClients = 4;
// Each client sends for this long, pausing kPause between requests: several windows' worth.
constexpr auto kDuration = 400ms;
constexpr auto kPause = 1ms;

struct Traffic {
  boost::asio::io_context io;
  faultline::backends::AsioClock clock;
  std::vector<std::unique_ptr<RedisLimitStore>> stores;
  std::vector<Admission> admissions;
  std::string prefix;  // keys unique to this run: the server is shared
};

bool connect(Traffic& run, int port) {
  faultline::backends::SystemRandom random;
  run.prefix = "claims-" + faultline::random_token(random) + "-";
  for (int i = 0; i < kClients; ++i) {
    ConnectionOptions options;
    options.port = port;
    auto store = RedisLimitStore::create(run.io, options);
    if (!store.ok()) return false;
    run.stores.push_back(std::move(store).value());
  }
  return true;
}

// Client `i`'s requests: keys "api" (two in three) and "other", costs 1..3. The first tier is
// the request's key's own; any other is shared by every request.
Task<void> hammer(Traffic& run, int i, std::vector<rl::Tier> tiers) {
  RedisLimitStore& store = *run.stores[static_cast<std::size_t>(i)];
  const faultline::TimePoint end = run.clock.now() + kDuration;
  for (int n = 0; run.clock.now() < end; ++n) {
    auto pause = run.clock.sleep_for(kPause);
    co_await std::move(pause);
    const std::int64_t cost = 1 + (n + i) % 3;
    const std::string key = run.prefix + (n % 3 == 2 ? "other" : "api");
    std::vector<rl::Tier> request = tiers;
    request[0].key = key + "/" + request[0].key;
    for (std::size_t t = 1; t < request.size(); ++t) request[t].key = run.prefix + request[t].key;
    auto call = store.decide_all(request, cost, 2s);
    Result<rl::TieredDecision> d = co_await std::move(call);
    if (!d || !d->allowed) continue;
    const rl::Micros at = store.last_instant().time_since_epoch();
    for (const rl::Tier& t : request) {
      run.admissions.push_back({t.key, at, cost, "client-" + std::to_string(i), -1});
    }
  }
}

// Runs every client to the end; the admissions, each on the server's clock.
std::vector<Admission> run_clients(Traffic& run, const std::vector<rl::Tier>& tiers) {
  int running = kClients;
  for (int i = 0; i < kClients; ++i) {
    boost::asio::co_spawn(run.io, hammer(run, i, tiers),
                          [&running](std::exception_ptr) { --running; });
  }
  while (running > 0) run.io.run_one();
  return run.admissions;
}

#define REQUIRE_REDIS(run)                                                                       \
  const std::optional<int> port = faultline::testing::first_redis_port();                       \
  if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh"; \
  Traffic run;                                                                                     \
  ASSERT_TRUE(connect(run, *port));

TEST(LimitClaimsOnRedis, TheSlidingLogNeverAdmitsMoreThanItsLimitInAnyWindow) {
  REQUIRE_REDIS(run);
  const rl::SlidingLogPolicy policy{.limit = 12, .window = 100ms};
  const std::vector<Admission> admitted = run_clients(run, {{.key = "log", .policy = policy}});
  ASSERT_GT(admitted.size(), 30u);  // enough traffic to have pressed on the limit
  const auto violation = check_window_limit(admitted, policy.limit, policy.window);
  EXPECT_FALSE(violation.has_value()) << violation->message;
}

TEST(LimitClaimsOnRedis, GcraNeverAdmitsMoreThanItsBound) {
  REQUIRE_REDIS(run);
  const rl::GcraPolicy policy{.count = 10, .period = 100ms, .max_burst = 5};
  const std::vector<Admission> admitted = run_clients(run, {{.key = "gcra", .policy = policy}});
  ASSERT_GT(admitted.size(), 30u);
  const auto violation = check_gcra_bound(admitted, policy.max_burst + 1,
                                          rl::emission_interval(policy), {10ms, 100ms, 300ms});
  EXPECT_FALSE(violation.has_value()) << violation->message;
}

// Per key ("api", "other") and global, decided together: no tier passes its limit.
TEST(LimitClaimsOnRedis, TieredRequestsNeverPassAnyTiersLimit) {
  REQUIRE_REDIS(run);
  const rl::SlidingLogPolicy per_key{.limit = 8, .window = 100ms};
  const rl::SlidingLogPolicy global{.limit = 12, .window = 100ms};
  const std::vector<Admission> admitted =
      run_clients(run, {{.key = "key", .policy = per_key}, {.key = "all", .policy = global}});
  std::vector<Admission> keys, all;
  for (const Admission& a : admitted) (a.key.ends_with("/key") ? keys : all).push_back(a);
  ASSERT_GT(keys.size(), 20u);
  const auto per_key_violation = check_window_limit(keys, per_key.limit, per_key.window);
  EXPECT_FALSE(per_key_violation.has_value()) << per_key_violation->message;
  const auto global_violation = check_window_limit(all, global.limit, global.window);
  EXPECT_FALSE(global_violation.has_value()) << global_violation->message;
}

// The hazard, by the same check: each client with its own in-memory limiter of the full limit.
TEST(LimitClaimsOnRedis, InMemoryCountersPerClientAdmitSeveralTimesTheLimit) {
  faultline::backends::AsioClock clock;
  const rl::SlidingLogPolicy policy{.limit = 12, .window = 100ms};
  std::vector<Admission> admitted;
  std::vector<rl::LocalLimiter> limiters;
  for (int i = 0; i < kClients; ++i) {
    limiters.push_back(rl::LocalLimiter::create(clock, {.policy = policy}).value());
  }
  for (int n = 0; n < 20; ++n) {
    for (int i = 0; i < kClients; ++i) {
      const auto d = limiters[static_cast<std::size_t>(i)].decide("api", 1);
      if (d && d->allowed) {
        const auto at = std::chrono::duration_cast<rl::Micros>(clock.now().time_since_epoch());
        admitted.push_back({"api", at, 1, "client-" + std::to_string(i), -1});
      }
    }
  }
  const auto violation = check_window_limit(admitted, policy.limit, policy.window);
  ASSERT_TRUE(violation.has_value());
  EXPECT_GT(violation->window.units, 2 * policy.limit);
}

}  // namespace
