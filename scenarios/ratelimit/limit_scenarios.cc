#include "scenarios/ratelimit/limit_scenarios.h"

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
#include "faultline/ratelimit/local_limiter.h"
#include "faultline/sim/redis_limits.h"
#include "scenarios/ratelimit/broken_limiters.h"
#include "scenarios/ratelimit/limit_invariants.h"
#include "scenarios/ratelimit/limit_world.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
namespace rl = faultline::ratelimit;
using ratelimit::Admission;
using ratelimit::LimitViolation;

constexpr int kInstances = 4;
constexpr int kRequests = 40;  // per instance
constexpr Duration kTimeout = 30ms;
constexpr rl::Micros kWindow = 100ms;
constexpr std::int64_t kLimit = 12;  // units per window (sliding log, fixed window)
// GCRA: 10 per 100 ms (T = 10 ms), a burst of 6.
const rl::GcraPolicy kGcra{.count = 10, .period = kWindow, .max_burst = 5};
// Clocks of the instances, drawn per run: an offset, a rate, and one step during the run.
constexpr Duration kSkewMax = 400ms;
constexpr std::int32_t kDriftPpmMax = 50'000;
constexpr Duration kStepMax = 300ms;
constexpr Duration kStepWithin = 800ms;

enum class Limiter { kSharedStore, kAppClock, kReadThenWrite, kInMemory };
enum class Check { kWindow, kGcra };

struct Variant {
  Limiter limiter = Limiter::kSharedStore;
  rl::Policy policy{rl::SlidingLogPolicy{.limit = kLimit, .window = kWindow}};
  Check check = Check::kWindow;
};

struct Limits {
  Variant variant;
  std::unique_ptr<ratelimit::NodeLimitStates> node_states;  // the mistaken stores' data
  std::vector<Admission> admitted;
  // The decide operations awaiting their answer, by input ("api cost=2"), oldest first: the
  // node's decision is attributed to the oldest (for the witness; a guess among equals).
  std::map<std::string, std::deque<std::size_t>> in_flight;
  int finished = 0;
  std::int64_t allowed = 0;
  std::int64_t refused = 0;
  std::int64_t errors = 0;
};
using Run = harness::SimRun<Limits>;

rl::Micros true_ms(const Run& run) { return ratelimit::true_ms(run.now()); }

// Plain appends rather than fmt::format: these run on every request, and formatting them was a
// tenth of a seed's instructions (callgrind).
std::string request_text(std::string_view key, std::int64_t cost) {
  return std::string(key).append(" cost=").append(std::to_string(cost));
}

// Records the node's allowed decisions: the server's record of admissions.
void observe_node(Run& run) {
  const bool node_clock = run.state.variant.limiter != Limiter::kAppClock;
  run.topology->redis("redis").set_limit_observer([&run, node_clock](const sim::LimitEvent& e) {
    if (!e.decision.allowed || e.cost == 0) return;
    const rl::Micros at = true_ms(run);
    FAULTLINE_INVARIANT(!node_clock || e.at.time_since_epoch() == at,
                        "the Redis node's clock is accurate: it decides at the true time");
    Admission admission{std::string(e.key), at, e.cost, {}, -1};
    const auto waiting = run.state.in_flight.find(request_text(e.key, e.cost));
    if (waiting != run.state.in_flight.end() && !waiting->second.empty()) {
      const std::size_t op = waiting->second.front();
      admission.operation = static_cast<std::ptrdiff_t>(op);
      admission.by = run.world().process(run.history->operations()[op].process).name();
    }
    run.state.admitted.push_back(std::move(admission));
  });
}

// The limiter one instance decides through.
struct InstanceLimiter {
  std::unique_ptr<rl::LimitStore> store;
  std::optional<rl::LocalLimiter> local;
};

InstanceLimiter limiter_for(Run& run, sim::Process& self) {
  InstanceLimiter l;
  sim::RedisNode& node = run.topology->redis("redis");
  switch (run.state.variant.limiter) {
    case Limiter::kSharedStore:
      l.store = std::make_unique<sim::SimLimitStore>(run.network(), self, node);
      break;
    case Limiter::kAppClock:
      l.store = std::make_unique<ratelimit::AppClockLimitStore>(run.network(), self,
                                                                *run.state.node_states);
      break;
    case Limiter::kReadThenWrite:
      l.store = std::make_unique<ratelimit::ReadThenWriteLimitStore>(run.network(), self,
                                                                     *run.state.node_states);
      break;
    case Limiter::kInMemory: {
      auto made = rl::LocalLimiter::create(self.clock(),
                                           {.policy = run.state.variant.policy, .max_keys = 16});
      FAULTLINE_INVARIANT(made.ok(), "the scenario's policy is valid");
      l.local.emplace(std::move(made).value());
      break;
    }
  }
  return l;
}

// One decision: through the store, or in memory (recorded here, at the true time, when allowed).
Task<Result<rl::Decision>> decide(Run& run, sim::Process& self, InstanceLimiter& limiter,
                                  const std::string& key, std::int64_t cost, std::size_t op) {
  if (limiter.local) {
    Result<rl::Decision> d = limiter.local->decide(key, cost);
    if (d && d->allowed) {
      run.state.admitted.push_back(
          Admission{key, true_ms(run), cost, self.name(), static_cast<std::ptrdiff_t>(op)});
    }
    co_return d;
  }
  auto deciding = limiter.store->decide(key, run.state.variant.policy, cost, kTimeout);
  co_return co_await std::move(deciding);
}

void record(Run& run, std::size_t op, const Result<rl::Decision>& d) {
  if (!d) {
    ++run.state.errors;
    run.history->complete(
        op, d.error().may_have_happened() ? sim::OpStatus::kUnknown : sim::OpStatus::kFail,
        d.error().to_string());
    return;
  }
  ++(d->allowed ? run.state.allowed : run.state.refused);
  run.history->complete(op, sim::OpStatus::kOk,
                        std::string(d->allowed ? "allowed" : "refused")
                            .append(" remaining=")
                            .append(std::to_string(d->remaining)));
}

// Hammers the keys: mostly "api", costs 1..3, a few ms apart on its own clock, now and then
// idle for up to a window.
Task<void> instance(Run& run, sim::Process& self) {
  InstanceLimiter limiter = limiter_for(run, self);
  for (int i = 0; i < kRequests; ++i) {
    const std::uint64_t pick = uniform_below(self.rng(), 6);
    const std::string key = pick < 4 ? "api" : "k-" + std::to_string(pick - 3);
    const auto cost = static_cast<std::int64_t>(1 + uniform_below(self.rng(), 3));
    const std::string input = request_text(key, cost);
    const std::size_t op = run.history->invoke(self.id(), "decide", input);
    run.state.in_flight[input].push_back(op);
    auto deciding = decide(run, self, limiter, key, cost, op);
    Result<rl::Decision> d = co_await std::move(deciding);
    std::deque<std::size_t>& waiting = run.state.in_flight[input];
    waiting.erase(std::find(waiting.begin(), waiting.end(), op));
    record(run, op, d);
    const Duration think = uniform_below(self.rng(), 8) == 0
                               ? uniform_duration(self.rng(), Duration(1ms), Duration(kWindow))
                               : uniform_duration(self.rng(), Duration(1ms), Duration(12ms));
    auto pause = self.clock().sleep_for(think);
    co_await std::move(pause);
  }
  ++run.state.finished;
}

std::optional<LimitViolation> check(const Run& run) {
  const std::vector<Admission>& admitted = run.state.admitted;
  if (run.state.variant.check == Check::kGcra) {
    const rl::Micros t = rl::emission_interval(kGcra);
    return ratelimit::check_gcra_bound(admitted, kGcra.max_burst + 1, t,
                                       {t, kGcra.period, 3 * kGcra.period});
  }
  return ratelimit::check_window_limit(admitted, kLimit, kWindow);
}

std::optional<Violation> judge(Run& run) {
  std::optional<LimitViolation> found = check(run);
  if (!found) return std::nullopt;
  return ratelimit::over_admitted(std::move(*found), run.state.admitted);
}

struct Spec {
  std::string name;
  std::string description;
  Expect expect = Expect::kHolds;
  Variant variant;
  sim::FaultSpace faults = sim::FaultSpace::none();
};

std::unique_ptr<Scenario> make(Spec spec) {
  auto s = ratelimit::redis_limit_spec<Limits>(std::move(spec.name), std::move(spec.description),
                                               spec.expect, kInstances, std::move(spec.faults));
  const Variant variant = spec.variant;
  s.setup = [variant](Run& run) {
    run.state.variant = variant;
    run.state.node_states =
        std::make_unique<ratelimit::NodeLimitStates>(run.topology->redis("redis"));
    observe_node(run);
    ratelimit::skew_clocks(*run.topology, *run.history, run.seed,
                           {kInstances, kSkewMax, kDriftPpmMax, kStepMax, kStepWithin});
  };
  s.workload = [](Run& run, sim::Process& self, std::size_t) { self.spawn(instance(run, self)); };
  s.invariant = judge;
  s.summary = [](const Run& run) {
    return fmt::format("{} allowed, {} refused, {} errors; {} admissions on record",
                       run.state.allowed, run.state.refused, run.state.errors,
                       run.state.admitted.size());
  };
  return harness::make_sim_scenario(std::move(s));
}

}  // namespace

void add_shared_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  const rl::Policy fixed = rl::FixedWindowPolicy{.limit = kLimit, .window = kWindow};
  const Variant sliding_log{};
  all.push_back(make({"ratelimit/shared-sliding-log",
                      "4 instances with skewed, drifting, stepping clocks share one simulated "
                      "Redis sliding log (12 units per 100ms) through lost and delayed messages, "
                      "lost replies, pauses and partitions; the node's clock is accurate: no key "
                      "admitted more than 12 units in any 100ms, judged from the node's "
                      "decisions at true time (must hold)",
                      Expect::kHolds, sliding_log, ratelimit::usual_faults()}));
  all.push_back(make({"ratelimit/shared-gcra",
                      "the same with GCRA (10 per 100ms, burst 6): over any window of length d "
                      "at most 6 + d/10ms units, judged from the node's decisions at true time "
                      "(must hold)",
                      Expect::kHolds,
                      {Limiter::kSharedStore, kGcra, Check::kGcra},
                      ratelimit::usual_faults()}));
  all.push_back(make({"ratelimit/fixed-window-boundary",
                      "a shared fixed window (12 per 100ms): the end of one window and the start "
                      "of the next admit up to 24 units within 100ms (must be found)",
                      Expect::kViolationFound,
                      {Limiter::kSharedStore, fixed, Check::kWindow},
                      sim::FaultSpace::none()}));
  all.push_back(make({"ratelimit/in-memory-counters",
                      "a LocalLimiter per instance, each with the full limit: 4 instances admit "
                      "up to 4 times it (must be found)",
                      Expect::kViolationFound,
                      {Limiter::kInMemory, sliding_log.policy},
                      sim::FaultSpace::none()}));
  all.push_back(make({"ratelimit/app-clock-limiter",
                      "the node decides at the instant the caller sends, its skewed, drifting, "
                      "stepping wall clock: an instance ahead sees the others' admissions as "
                      "expired (must be found)",
                      Expect::kViolationFound,
                      {Limiter::kAppClock, sliding_log.policy},
                      sim::FaultSpace::none()}));
  all.push_back(make({"ratelimit/read-then-write",
                      "the state read (GET) and written back (SET) in two round trips: "
                      "instances that read the same state both spend it (must be found)",
                      Expect::kViolationFound,
                      {Limiter::kReadThenWrite, sliding_log.policy},
                      sim::FaultSpace::none()}));
}

}  // namespace faultline::scenarios
