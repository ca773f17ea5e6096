// retry/storm and retry/storm-unbudgeted: 20 callers in one process call a dependency every
// 20-60 ms, each through a Retry (4 attempts, full jitter 10-200 ms), while the dependency goes
// through outages (faults of the plan). The process's clock drifts and jumps forward (the plan's
// clock faults).
//
// With a RetryBudget shared by all callers (ratio 0.1, 20 retries a second, a burst of 10), the
// retries that reach the dependency during each outage (arrivals of a request id it has seen
// before: the dependency's own record) are bounded on both sides:
//   upper  max_balance + ratio x (calls begun in the outage or up to `lead` before it)
//          + min_per_second x (that interval as the process's clock measured it: widened by the
//          largest drift, plus its forward steps, which the budget's refill counts as time).
//          The budget's own bound (retry_bound()), moved by `lead`: one backoff sleep and one
//          network latency, the most a retry spent before the outage can be late.
//   lower  in an outage longer than kLowerFrom, 90% of what the budget earned in its middle
//          (calls begun from kFailFast after its start until `lead` before its end, times the
//          ratio, plus min_per_second over that span on a slow clock), less the burst: every
//          call then fails and asks for a retry, so the budget is spent as fast as it fills,
//          and what it earned but did not grant is at most the balance left (the burst); the
//          10% allows for tokens lost at the cap while callers sleep in backoff.
// A retry that never retries, or a budget that is never paid into by calls or by time, fails
// the lower bound;
// without the budget every failing call is tried four times and the upper bound breaks as soon
// as an outage lasts a few calls, which the hazard must find.
#include "scenarios/resilience/resilience_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "faultline/duration_text.h"
#include "faultline/resilience/retry.h"
#include "faultline/resilience/retry_budget.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/resilience/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::BackoffOptions;
using resilience::BackoffStrategy;
using resilience::CallContext;
using resilience::Retry;
using resilience::RetryBudget;
using resilience::RetryBudgetOptions;
using resilience::RetryOptions;

constexpr int kCallers = 20;
constexpr int kAttempts = 4;
constexpr Duration kRunFor = 12s;
constexpr Duration kCallTimeout = 100ms;
constexpr Duration kBackoffCap = 200ms;
constexpr Duration kLatencyMax = 5ms;
// 20 retries a second: comparable to what the calls earn in an outage (0.1 of ~300 calls a
// second), so that both parts of the budget are exercised, and a refill lost shows.
constexpr RetryBudgetOptions kBudget{0.1, 20.0, 10.0};
// A retry spent at t reaches the dependency by t + kLead: its sleep (on a clock that may run
// slow) and one latency.
constexpr Duration kLead =
    std::chrono::duration_cast<Duration>(kBackoffCap / ClockFaults::slow()) + kLatencyMax;
// From an outage's start, every call fails and asks for a retry within a round trip.
constexpr Duration kFailFast = 2 * kLatencyMax;
constexpr Duration kLowerFrom = 500ms;
constexpr double kLowerShare = 0.9;

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  std::optional<RetryBudget> budget;
  std::vector<sim::SimTime> call_starts;  // when each call began (and deposited, if budgeted)
  std::uint64_t failed_calls = 0;
};

Task<void> caller(Run& run, sim::Process& app, int index, RetryBudget* budget, int attempts) {
  RetryOptions options;
  options.max_attempts = attempts;
  options.backoff = BackoffOptions{BackoffStrategy::kFullJitter, 10ms, kBackoffCap};
  Retry retry = Retry::create(app.clock(), app.rng(), options, budget).value();
  std::uint64_t request = static_cast<std::uint64_t>(index) * 1'000'000;
  while (run.world.now() < sim::SimTime(kRunFor)) {
    ++request;
    run.call_starts.push_back(run.world.now());
    auto op = [&run, &app, request](const CallContext&) {
      return run.dependency.call(app, kCallTimeout, request);
    };
    Result<std::uint64_t> result = co_await retry.execute<std::uint64_t>(op);
    if (!result.ok()) ++run.failed_calls;
    co_await app.clock().sleep_for(uniform_duration(app.rng(), Duration(20ms), Duration(60ms)));
  }
}

std::uint64_t calls_between(const Run& run, sim::SimTime from, sim::SimTime to) {
  return static_cast<std::uint64_t>(std::count_if(
      run.call_starts.begin(), run.call_starts.end(),
      [&](sim::SimTime t) { return t >= from && t < to; }));
}

// Retries (arrivals of a request seen before) that reached the dependency in each outage.
std::vector<std::uint64_t> retries_per_outage(const Dependency& dependency, std::uint64_t* total) {
  std::set<std::uint64_t> seen;
  std::vector<std::uint64_t> retries(dependency.outages().size(), 0);
  for (const Dependency::Arrival& a : dependency.arrivals()) {
    if (seen.insert(a.request).second) continue;
    ++*total;
    for (std::size_t i = 0; i < retries.size(); ++i) {
      const Outage& o = dependency.outages()[i];
      if (a.at >= o.start && a.at < o.end) ++retries[i];
    }
  }
  return retries;
}

// The budget's bound on outage `i`'s retries; returns their share of it.
double check_upper(Run& run, sim::ProcessId app, std::size_t i, std::uint64_t retries) {
  const Outage& o = run.dependency.outages()[i];
  const std::uint64_t calls = calls_between(run, o.start - kLead, o.end);
  const Duration on_clock =
      std::chrono::duration_cast<Duration>((o.end - o.start + kLead) * ClockFaults::fast()) +
      run.stepped(app, o.start - kLead, o.end);
  const double bound = RetryBudget::retry_bound(kBudget, calls, on_clock);
  if (static_cast<double>(retries) > bound) {
    // No witness: the calls are not in the history (twenty callers would drown a timeline).
    run.violate(
        "retry-amplification",
        fmt::format(
            "outage {} ({:.3f}s-{:.3f}s): {} retries reached the dependency for {} calls; a retry "
            "budget of ratio {}, {} a second and burst {} allows at most {:.1f}",
            i + 1, in_seconds(o.start), in_seconds(o.end), retries, calls, kBudget.ratio,
            kBudget.min_per_second, kBudget.max_balance, bound));
  }
  return static_cast<double>(retries) / std::max(1.0, bound);
}

void check_lower(Run& run, std::size_t i, std::uint64_t retries) {
  const Outage& o = run.dependency.outages()[i];
  if (o.end - o.start < kLowerFrom) return;
  const sim::SimTime from = o.start + kFailFast;
  const sim::SimTime to = o.end - kLead;
  const std::uint64_t calls = calls_between(run, from, to);
  const Duration on_slow_clock =
      std::chrono::duration_cast<Duration>((to - from) * ClockFaults::slow());
  const double earned = RetryBudget::retry_bound(kBudget, calls, on_slow_clock) - kBudget.max_balance;
  const double floor = kLowerShare * earned - kBudget.max_balance;
  if (static_cast<double>(retries) < floor) {
    run.violate(
        "retry-starvation",
        fmt::format("outage {} ({:.3f}s-{:.3f}s): only {} retries reached the dependency; the "
                    "budget earned "
                    "{:.1f} from {} failing calls and the time, so at least {:.1f} were due",
                    i + 1, in_seconds(o.start), in_seconds(o.end), retries, earned, calls, floor));
  }
}

class RetryStormScenario final : public Scenario {
 public:
  RetryStormScenario(bool budgeted, Sabotage sabotage) : budgeted_(budgeted), sabotage_(sabotage) {}
  [[nodiscard]] std::string name() const override {
    return budgeted_ ? "retry/storm" : "retry/storm-unbudgeted";
  }
  [[nodiscard]] std::string description() const override {
    return budgeted_ ? "callers retry through outages with a shared retry budget; the retries "
                       "reaching the dependency stay within the budget's bound, and use it"
                     : "the same callers without a retry budget multiply the load on the "
                       "failing dependency";
  }
  [[nodiscard]] Expect expect() const override {
    return budgeted_ ? Expect::kHolds : Expect::kViolationFound;
  }
  // Up to two outages of the dependency, and the app's clock drift and forward steps.
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
    sim::FaultPlan plan;
    sim::Rng draw(seed ^ 0x5707);
    add_outages(plan, draw_outages(draw, 2, 1s, 9s, 100ms, 2s));
    sim::Rng clocks(seed ^ 0xC10C);
    add_clock_faults(plan, "app", ClockFaults::draw(clocks, 2, 1s, 500ms, kRunFor));
    sort_by_time(plan);
    return plan;
  }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override {
    Run run(dependency_topology(seed, kLatencyMax).client("app"));
    sim::Process& app = run.topology.process("app");
    run.apply(plan);
    RetryBudgetOptions running = kBudget;
    if (sabotage_ == Sabotage::kNoDeposits) running.ratio = 0;
    if (sabotage_ == Sabotage::kNoTimeRefill) running.min_per_second = 0;
    run.budget.emplace(RetryBudget::create(app.clock(), running).value());
    RetryBudget* budget = budgeted_ && sabotage_ != Sabotage::kNoBudget ? &*run.budget : nullptr;
    const int attempts = sabotage_ == Sabotage::kNeverRetries ? 1 : kAttempts;
    run.world.start();
    for (int i = 0; i < kCallers; ++i) app.spawn(caller(run, app, i, budget, attempts));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    std::uint64_t total_retries = 0;
    const std::vector<std::uint64_t> retries = retries_per_outage(run.dependency, &total_retries);
    double worst = 0;
    for (std::size_t i = 0; i < retries.size(); ++i) {
      worst = std::max(worst, check_upper(run, app.id(), i, retries[i]));
    }
    // The lower bound is the budget's promise to a budgeted caller; the hazard has none.
    if (budgeted_) {
      for (std::size_t i = 0; i < retries.size(); ++i) check_lower(run, i, retries[i]);
    }
    return run.result(
        seed, name(),
        fmt::format("{} calls ({} failed), {} attempts reached the dependency ({} retries); worst "
                    "outage at {:.0f}% of the budget's bound",
                    run.call_starts.size(), run.failed_calls, run.dependency.arrivals().size(),
                    total_retries, 100 * worst),
        options);
  }

 private:
  bool budgeted_;
  Sabotage sabotage_;
};

}  // namespace

std::unique_ptr<Scenario> make_retry_storm_scenario(bool budgeted, Sabotage sabotage) {
  return std::make_unique<RetryStormScenario>(budgeted, sabotage);
}

}  // namespace faultline::scenarios
