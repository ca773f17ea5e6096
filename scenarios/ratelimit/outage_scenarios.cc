#include "scenarios/ratelimit/outage_scenarios.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/harness/sim_scenario.h"
#include "faultline/invariant.h"
#include "faultline/random.h"
#include "faultline/ratelimit/rate_limiter.h"
#include "faultline/sim/redis_limits.h"
#include "scenarios/ratelimit/limit_world.h"
#include "scenarios/ratelimit/tier_invariants.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
namespace rl = faultline::ratelimit;
using ratelimit::Admission;

constexpr int kInstances = 4;
constexpr int kRequests = 40;  // per instance
constexpr rl::Micros kWindow = 100ms;
constexpr std::int64_t kLimit = 12;
constexpr double kShare = 1.0 / kInstances;
// The fallbacks together: each instance keeps max(1, floor(share x limit)) (fallback_policy).
constexpr std::int64_t kFallbackLimit = kInstances * (kLimit / kInstances);
static_assert(kFallbackLimit <= kLimit, "the shares add up to at most the limit");
constexpr std::int32_t kDriftPpmMax = 20'000;
// The window judged: 100ms of a clock kDriftPpmMax fast take 100ms / 1.02 = 98.04ms.
constexpr rl::Micros kJudged = 98ms;
static_assert(kJudged.count() * (1'000'000 + kDriftPpmMax) < kWindow.count() * 1'000'000,
              "a fast clock spans less than one window of its own within kJudged");

struct Config {
  rl::OutagePolicy on_outage = rl::OutagePolicy::kFallback;
  double share = kShare;
};

struct Outage {
  Config config;
  std::vector<Admission> store;         // the node's charges
  std::vector<Admission> fallback;      // admitted by an instance without the store
  std::vector<std::string> unanswered;  // checks that returned an error or a causeless refusal
  int finished = 0;
  std::int64_t by_store = 0;
  std::int64_t by_fallback = 0;
  std::int64_t refused = 0;
};
using Run = harness::SimRun<Outage>;

rl::Micros true_us(const Run& run) {
  return std::chrono::duration_cast<rl::Micros>(run.now().time_since_epoch());
}

void observe_node(Run& run) {
  run.topology->redis("redis").set_limit_observer([&run](const sim::LimitEvent& e) {
    if (!e.decision.allowed || e.cost == 0) return;
    const rl::Micros at = ratelimit::true_ms(run.now());
    FAULTLINE_INVARIANT(e.at.time_since_epoch() == at,
                        "the Redis node's clock is accurate: it decides at the true time");
    run.state.store.push_back(Admission{std::string(e.key), at, e.cost, {}, -1});
  });
}

rl::RateLimiter make_limiter(const Config& config, sim::Process& self, rl::LimitStore& store) {
  rl::RateLimiterOptions options;
  options.tiers = {{"api", rl::SlidingLogPolicy{.limit = kLimit, .window = kWindow}}};
  options.on_outage = config.on_outage;
  options.fallback_share = config.share;
  options.store_timeout = 30ms;
  options.recheck_after = 50ms;
  auto made = rl::RateLimiter::create(self.clock(), store, std::move(options));
  FAULTLINE_INVARIANT(made.ok(), "the scenario's limiter options are valid");
  return std::move(made).value();
}

// What the instance saw: a store verdict (on the node's record already), a local admission
// (recorded here at true time), or what the claim says never happens.
void record(Run& run, sim::Process& self, std::size_t op, std::int64_t cost,
            const Result<rl::Verdict>& v) {
  Outage& s = run.state;
  if (!v) {
    s.unanswered.push_back(fmt::format("{} got an error: {}", self.name(), v.error().to_string()));
    run.history->complete(op, sim::OpStatus::kFail, v.error().to_string());
    return;
  }
  const bool local = v->source != rl::Source::kStore;
  if (!v->allowed) {
    ++s.refused;
    if (v->violated().empty()) {
      s.unanswered.push_back(fmt::format("{} was refused with no tier refusing", self.name()));
    }
  } else if (local) {
    ++s.by_fallback;
    s.fallback.push_back(
        Admission{"api/shared", true_us(run), cost, self.name(), static_cast<std::ptrdiff_t>(op)});
  } else {
    ++s.by_store;
  }
  const char* source = v->source == rl::Source::kStore      ? "store"
                       : v->source == rl::Source::kFallback ? "fallback"
                                                            : "fail-open";
  run.history->complete(op, sim::OpStatus::kOk,
                        fmt::format("{} ({})", v->allowed ? "allowed" : "refused", source));
}

Task<void> instance(Run& run, sim::Process& self) {
  sim::SimLimitStore store(run.network(), self, run.topology->redis("redis"));
  rl::RateLimiter limiter = make_limiter(run.state.config, self, store);
  const std::vector<std::string> keys{"shared"};
  for (int i = 0; i < kRequests; ++i) {
    const auto cost = static_cast<std::int64_t>(1 + uniform_below(self.rng(), 3));
    const std::size_t op =
        run.history->invoke(self.id(), "check", fmt::format("api/shared cost={}", cost));
    auto checking = limiter.check(keys, cost);
    Result<rl::Verdict> v = co_await std::move(checking);
    record(run, self, op, cost, v);
    const Duration think = uniform_duration(self.rng(), Duration(1ms), Duration(12ms));
    auto pause = self.clock().sleep_for(think);
    co_await std::move(pause);
  }
  ++run.state.finished;
}

std::optional<Violation> judge(Run& run) {
  const Outage& s = run.state;
  if (!s.unanswered.empty()) {
    return Violation{
        fmt::format("the outage was answered as an error or a refusal: {}", s.unanswered.front()),
        -1,
        "outage-answered",
        {}};
  }
  auto over = ratelimit::check_fallback_bound(s.store, s.fallback, kLimit, kFallbackLimit, kJudged);
  if (!over) return std::nullopt;
  return ratelimit::over_admitted(std::move(over->over), over->fallback ? s.fallback : s.store);
}

// The usual faults, and outages of the Redis service (failing fast or hanging).
sim::FaultSpace outage_faults() {
  sim::FaultSpace f = ratelimit::usual_faults();
  f.services = {"redis"};
  f.outages = true;
  f.outage_timeouts = true;
  f.outage_min = 50ms;
  f.outage_max = 400ms;
  return f;
}

std::unique_ptr<Scenario> make(std::string name, std::string description, Expect expect,
                               Config config) {
  auto s = ratelimit::redis_limit_spec<Outage>(std::move(name), std::move(description), expect,
                                               kInstances, outage_faults());
  s.setup = [config](Run& run) {
    run.state.config = config;
    observe_node(run);
    ratelimit::skew_clocks(*run.topology, *run.history, run.seed,
                           {kInstances, 400ms, kDriftPpmMax, Duration::zero(), Duration::zero()});
  };
  s.workload = [](Run& run, sim::Process& self, std::size_t) { self.spawn(instance(run, self)); };
  s.invariant = judge;
  s.summary = [](const Run& run) {
    return fmt::format(
        "{} allowed by the store, {} locally, {} refused; {} store admissions on "
        "record",
        run.state.by_store, run.state.by_fallback, run.state.refused, run.state.store.size());
  };
  return harness::make_sim_scenario(std::move(s));
}

}  // namespace

void add_outage_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  all.push_back(make("ratelimit/outage-fallback",
                     "4 instances share one key (12 units per 100ms) on a simulated Redis that "
                     "goes into outages, each falling back to a local quarter of the limit: in "
                     "every 98ms the store admits at most 12 and the fallbacks together at most "
                     "12, and no check is answered with an error (must hold)",
                     Expect::kHolds, Config{}));
  all.push_back(make("ratelimit/outage-fail-open",
                     "the same failing open: every request allowed while the store is away, "
                     "the fallbacks' bound broken (must be found)",
                     Expect::kViolationFound, Config{rl::OutagePolicy::kFailOpen, kShare}));
  all.push_back(make("ratelimit/outage-full-share",
                     "the same falling back with the whole limit per instance (share 1): 4 "
                     "instances admit up to 4 times it (must be found)",
                     Expect::kViolationFound, Config{rl::OutagePolicy::kFallback, 1.0}));
}

}  // namespace faultline::scenarios
