#include "scenarios/ratelimit/tiered_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
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
#include "scenarios/ratelimit/broken_limiters.h"
#include "scenarios/ratelimit/limit_world.h"
#include "scenarios/ratelimit/tier_invariants.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
namespace rl = faultline::ratelimit;
using ratelimit::Admission;
using ratelimit::TierEvent;

constexpr int kInstances = 3;
constexpr int kRequests = 40;  // per instance
constexpr int kCallers = 6;    // c-1 .. c-6; c-1..c-3 in t-1, c-4..c-6 in t-2
constexpr int kCallersPerTenant = 3;
constexpr Duration kTimeout = 30ms;
constexpr rl::Micros kWindow = 100ms;
constexpr std::int64_t kCallerLimit = 4;
constexpr std::int64_t kTenantLimit = 7;
const rl::GcraPolicy kGlobal{.count = 10, .period = kWindow, .max_burst = 4};

std::vector<rl::TierSpec> tier_specs() {
  return {{"caller", rl::SlidingLogPolicy{.limit = kCallerLimit, .window = kWindow}},
          {"tenant", rl::SlidingLogPolicy{.limit = kTenantLimit, .window = kWindow}},
          {"global", kGlobal}};
}

// A request's keys, one per tier, for caller `c` (1-based).
std::vector<std::string> keys_of(int c) {
  return {fmt::format("c-{}", c), fmt::format("t-{}", (c - 1) / kCallersPerTenant + 1), "all"};
}

// The store's keys of caller `c`'s tiers ("caller/c-1", "tenant/t-1", "global/all").
std::vector<std::string> tier_keys(int c) {
  const std::vector<std::string> keys = keys_of(c);
  const std::vector<rl::TierSpec> specs = tier_specs();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < keys.size(); ++i) out.push_back(specs[i].name + "/" + keys[i]);
  return out;
}

struct Tiered {
  bool tier_by_tier = false;
  std::vector<TierEvent> events;  // the node's record
  // The requests awaiting their answer, by tier key, oldest first: a node event is attributed
  // to the oldest (for the witness only; a guess among equals).
  std::map<std::string, std::deque<std::size_t>> in_flight;
  std::uint64_t last_step = 0;
  std::ptrdiff_t last_request = -1;
  int finished = 0;
  std::int64_t allowed = 0;
  std::int64_t refused = 0;
  std::int64_t errors = 0;
};
using Run = harness::SimRun<Tiered>;

std::ptrdiff_t attribute(Run& run, const std::string& key, std::uint64_t step) {
  Tiered& s = run.state;
  if (step == s.last_step && s.last_request >= 0) return s.last_request;
  const auto waiting = s.in_flight.find(key);
  const std::ptrdiff_t request = waiting == s.in_flight.end() || waiting->second.empty()
                                     ? -1
                                     : static_cast<std::ptrdiff_t>(waiting->second.front());
  s.last_step = step;
  s.last_request = request;
  return request;
}

// Records every event the node tells, charged or not, with the step that told it.
void observe_node(Run& run) {
  run.topology->redis("redis").set_limit_observer([&run](const sim::LimitEvent& e) {
    const rl::Micros at = ratelimit::true_ms(run.now());
    FAULTLINE_INVARIANT(e.at.time_since_epoch() == at,
                        "the Redis node's clock is accurate: it decides at the true time");
    const std::uint64_t step = run.world().events_run();
    std::string key(e.key);
    const std::ptrdiff_t request = attribute(run, key, step);
    const std::int64_t charged = e.decision.allowed ? e.cost : 0;
    run.state.events.push_back(
        TierEvent{step, std::move(key), at, charged, e.decision.allowed, request});
  });
}

// The limiter one instance checks through: the claim's or the hazard's.
struct InstanceLimiter {
  std::unique_ptr<sim::SimLimitStore> store;
  std::optional<rl::RateLimiter> limiter;
  std::optional<ratelimit::TierByTierLimiter> tier_by_tier;
};

void make_limiter(Run& run, sim::Process& self, InstanceLimiter& l) {
  l.store = std::make_unique<sim::SimLimitStore>(run.network(), self, run.topology->redis("redis"));
  if (run.state.tier_by_tier) {
    l.tier_by_tier.emplace(*l.store, tier_specs(), kTimeout);
    return;
  }
  rl::RateLimiterOptions options;
  options.tiers = tier_specs();
  options.on_outage = rl::OutagePolicy::kFailClosed;
  options.store_timeout = kTimeout;
  options.recheck_after = Duration::zero();
  auto made = rl::RateLimiter::create(self.clock(), *l.store, std::move(options));
  FAULTLINE_INVARIANT(made.ok(), "the scenario's limiter options are valid");
  l.limiter.emplace(std::move(made).value());
}

Task<Result<rl::Verdict>> check(InstanceLimiter& l, const std::vector<std::string>& keys,
                                std::int64_t cost) {
  if (l.tier_by_tier) {
    auto checking = l.tier_by_tier->check(keys, cost);
    co_return co_await std::move(checking);
  }
  auto checking = l.limiter->check(keys, cost);
  co_return co_await std::move(checking);
}

void record(Run& run, std::size_t op, const Result<rl::Verdict>& v) {
  if (!v) {
    ++run.state.errors;
    run.history->complete(
        op, v.error().may_have_happened() ? sim::OpStatus::kUnknown : sim::OpStatus::kFail,
        v.error().to_string());
    return;
  }
  ++(v->allowed ? run.state.allowed : run.state.refused);
  const std::vector<std::size_t> violated = v->violated();
  const std::vector<rl::TierSpec> specs = tier_specs();
  std::string text = v->allowed ? "allowed" : "refused";
  if (!violated.empty()) text += " by " + specs[violated.front()].name;
  run.history->complete(op, sim::OpStatus::kOk, text);
}

// Requests from random callers, costs 1..2, a few ms apart on its own clock, now and then idle.
Task<void> instance(Run& run, sim::Process& self) {
  InstanceLimiter limiter;
  make_limiter(run, self, limiter);
  // Each caller's keys, formatted once rather than on every request.
  std::vector<std::vector<std::string>> keys_by_caller;
  std::vector<std::vector<std::string>> tiers_by_caller;
  for (int c = 1; c <= kCallers; ++c) {
    keys_by_caller.push_back(keys_of(c));
    tiers_by_caller.push_back(tier_keys(c));
  }
  for (int i = 0; i < kRequests; ++i) {
    const int caller = 1 + static_cast<int>(uniform_below(self.rng(), kCallers));
    const auto cost = static_cast<std::int64_t>(1 + uniform_below(self.rng(), 2));
    const std::vector<std::string>& keys = keys_by_caller[static_cast<std::size_t>(caller - 1)];
    const std::vector<std::string>& tiers = tiers_by_caller[static_cast<std::size_t>(caller - 1)];
    std::string input;  // "<tier keys> cost=<n>", appended: fmt here cost a tenth of a seed
    for (const std::string& k : tiers) input.append(k).append(" ");
    input.append("cost=").append(std::to_string(cost));
    const std::size_t op = run.history->invoke(self.id(), "check", std::move(input));
    for (const std::string& k : tiers) run.state.in_flight[k].push_back(op);
    auto checking = check(limiter, keys, cost);
    Result<rl::Verdict> v = co_await std::move(checking);
    for (const std::string& k : tiers) {
      std::deque<std::size_t>& waiting = run.state.in_flight[k];
      waiting.erase(std::find(waiting.begin(), waiting.end(), op));
    }
    record(run, op, v);
    const Duration think = uniform_below(self.rng(), 8) == 0
                               ? uniform_duration(self.rng(), Duration(1ms), Duration(kWindow))
                               : uniform_duration(self.rng(), Duration(1ms), Duration(12ms));
    auto pause = self.clock().sleep_for(think);
    co_await std::move(pause);
  }
  ++run.state.finished;
}

// (a): the charges on record, per tier key, within each tier's bound.
std::optional<ratelimit::LimitViolation> check_limits(const std::vector<TierEvent>& events,
                                                      std::vector<Admission>& admitted) {
  std::vector<Admission> callers;
  std::vector<Admission> tenants;
  std::vector<Admission> global;
  for (const TierEvent& e : events) {
    if (e.cost == 0) continue;
    Admission a{e.key, e.at, e.cost, {}, e.request};
    if (e.key.starts_with("caller/")) callers.push_back(a);
    if (e.key.starts_with("tenant/")) tenants.push_back(a);
    if (e.key.starts_with("global/")) global.push_back(a);
  }
  const rl::Micros t = rl::emission_interval(kGlobal);
  std::optional<ratelimit::LimitViolation> over;
  if ((over = ratelimit::check_window_limit(callers, kCallerLimit, kWindow))) {
    admitted = std::move(callers);
  } else if ((over = ratelimit::check_window_limit(tenants, kTenantLimit, kWindow))) {
    admitted = std::move(tenants);
  } else if ((over = ratelimit::check_gcra_bound(global, kGlobal.max_burst + 1, t,
                                                 {t, kGlobal.period, 3 * kGlobal.period}))) {
    admitted = std::move(global);
  }
  return over;
}

std::optional<Violation> judge(Run& run) {
  const std::vector<TierEvent>& events = run.state.events;
  std::vector<Admission> admitted;
  if (auto over = check_limits(events, admitted)) {
    return ratelimit::over_admitted(std::move(*over), admitted);
  }
  std::vector<std::vector<std::string>> sets;
  for (int c = 1; c <= kCallers; ++c) sets.push_back(tier_keys(c));
  auto partial = ratelimit::check_all_or_nothing(events, sets);
  if (!partial) return std::nullopt;
  std::vector<std::size_t> witness;
  if (partial->request >= 0) witness.push_back(static_cast<std::size_t>(partial->request));
  return Violation{std::move(partial->message), partial->request, "partially-charged",
                   std::move(witness)};
}

std::unique_ptr<Scenario> make(std::string name, std::string description, Expect expect,
                               bool tier_by_tier) {
  auto s = ratelimit::redis_limit_spec<Tiered>(std::move(name), std::move(description), expect,
                                               kInstances, ratelimit::usual_faults());
  s.setup = [tier_by_tier](Run& run) {
    run.state.tier_by_tier = tier_by_tier;
    observe_node(run);
    ratelimit::skew_clocks(*run.topology, *run.history, run.seed,
                           {kInstances, 400ms, 50'000, 300ms, 800ms});
  };
  s.workload = [](Run& run, sim::Process& self, std::size_t) { self.spawn(instance(run, self)); };
  s.invariant = judge;
  s.summary = [](const Run& run) {
    return fmt::format("{} allowed, {} refused, {} errors; {} tier events on record",
                       run.state.allowed, run.state.refused, run.state.errors,
                       run.state.events.size());
  };
  return harness::make_sim_scenario(std::move(s));
}

}  // namespace

void add_tiered_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  all.push_back(make("ratelimit/tiered-limits",
                     "3 instances with skewed, drifting, stepping clocks limit 6 callers in 2 "
                     "tenants by 3 tiers (caller 4, tenant 7 per 100ms, global GCRA 10 per "
                     "100ms burst 5) decided all-or-nothing in one step of a simulated Redis, "
                     "through lost messages and replies, pauses and partitions: no tier over its "
                     "limit, and every step of the node that charged charged all of a request's "
                     "tiers, one that refused none (must hold)",
                     Expect::kHolds, false));
  all.push_back(make("ratelimit/tier-by-tier",
                     "the tiers decided one at a time, stopping at the first refusal without "
                     "refunds: a request refused by its tenant or the global limit leaves its "
                     "caller's budget charged (must be found)",
                     Expect::kViolationFound, true));
}

}  // namespace faultline::scenarios
