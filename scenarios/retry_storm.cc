// retry/storm and retry/storm-unbudgeted: 20 callers in one process call a dependency every
// 20-60 ms, each through a Retry (4 attempts, full jitter 10-200 ms), while the dependency goes
// through outages drawn from the seed. With a RetryBudget shared by all callers (ratio 0.1, a
// burst of 10, no time-based allowance), retries cannot multiply the load: during an outage,
// the retries reaching the dependency stay within
//     max_balance + ratio x (calls begun in the outage, or up to one backoff before it)
// which is the budget's own bound (retry_budget.h) moved by at most one backoff sleep and one
// network latency. Without the budget, every failing call is tried four times: the same bound
// is broken as soon as an outage lasts a few calls, which the hazard must find.
#include "scenarios/resilience_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "faultline/resilience/retry.h"
#include "faultline/resilience/retry_budget.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/dependency.h"

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
constexpr Duration kRunFor = 12s;
constexpr Duration kCallTimeout = 100ms;
constexpr Duration kBackoffCap = 200ms;
constexpr Duration kLatencyMax = 5ms;
constexpr RetryBudgetOptions kBudget{0.1, 0.0, 10.0};

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  std::optional<RetryBudget> budget;
  std::vector<sim::SimTime> call_starts;  // when each call began (and deposited, if budgeted)
  std::uint64_t failed_calls = 0;
};

Task<void> caller(Run& run, sim::Process& app, int index, bool budgeted) {
  RetryOptions options;
  options.max_attempts = 4;
  options.backoff = BackoffOptions{BackoffStrategy::kFullJitter, 10ms, kBackoffCap};
  Retry retry = Retry::create(app.clock(), app.rng(), options,
                              budgeted ? &*run.budget : nullptr).value();
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

class RetryStormScenario final : public Scenario {
 public:
  explicit RetryStormScenario(bool budgeted) : budgeted_(budgeted) {}
  [[nodiscard]] std::string name() const override {
    return budgeted_ ? "retry/storm" : "retry/storm-unbudgeted";
  }
  [[nodiscard]] std::string description() const override {
    return budgeted_ ? "callers retry through outages with a shared retry budget; the load stays "
                       "within the budget's amplification bound"
                     : "the same callers without a retry budget multiply the load on the "
                       "failing dependency";
  }
  [[nodiscard]] Expect expect() const override {
    return budgeted_ ? Expect::kHolds : Expect::kViolationFound;
  }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t) const override { return {}; }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan&,
                              const RunOptions& options) const override {
    sim::Rng draw(seed ^ 0x5707);
    Run run(seed, draw_outages(draw, 2, 1s, 9s, 100ms, 2s), kLatencyMax);
    sim::Process& app = run.world.add_process("app");
    run.budget.emplace(RetryBudget::create(app.clock(), kBudget).value());
    run.world.start();
    for (int i = 0; i < kCallers; ++i) app.spawn(caller(run, app, i, budgeted_));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    // Per outage: retries that reached the dependency during it, against the bound.
    const Duration lead = kBackoffCap + kLatencyMax;  // a retry spent before, arriving within
    std::set<std::uint64_t> seen;
    std::uint64_t total_retries = 0;
    std::vector<std::uint64_t> retries_in(run.dependency.outages().size(), 0);
    for (const Dependency::Arrival& a : run.dependency.arrivals()) {
      const bool retry = !seen.insert(a.request).second;
      if (!retry) continue;
      ++total_retries;
      for (std::size_t i = 0; i < retries_in.size(); ++i) {
        const Outage& o = run.dependency.outages()[i];
        if (a.at >= o.start && a.at < o.end) ++retries_in[i];
      }
    }
    double worst = 0;
    for (std::size_t i = 0; i < retries_in.size(); ++i) {
      const Outage& o = run.dependency.outages()[i];
      const auto calls = static_cast<std::uint64_t>(std::count_if(
          run.call_starts.begin(), run.call_starts.end(),
          [&](sim::SimTime t) { return t >= o.start - lead && t < o.end; }));
      const double bound = RetryBudget::retry_bound(kBudget, calls, Duration::zero());
      worst = std::max(worst, static_cast<double>(retries_in[i]) / std::max(1.0, bound));
      if (static_cast<double>(retries_in[i]) > bound) {
        run.violate(fmt::format(
            "outage {} ({:.3f}s-{:.3f}s): {} retries reached the dependency for {} calls; a retry "
            "budget of ratio {} and burst {} allows at most {:.1f}",
            i + 1, std::chrono::duration<double>(o.start.time_since_epoch()).count(),
            std::chrono::duration<double>(o.end.time_since_epoch()).count(), retries_in[i], calls,
            kBudget.ratio, kBudget.max_balance, bound));
      }
    }
    return run.result(
        seed, name(),
        fmt::format("{} calls ({} failed), {} attempts reached the dependency ({} retries); worst "
                    "outage at {:.0f}% of the budget's bound; budget allowed {} retries, refused {}",
                    run.call_starts.size(), run.failed_calls, run.dependency.arrivals().size(),
                    total_retries, 100 * worst, run.budget->metrics().retries_allowed,
                    run.budget->metrics().retries_refused),
        options);
  }

 private:
  bool budgeted_;
};

}  // namespace

std::unique_ptr<Scenario> make_retry_storm_scenario(bool budgeted) {
  return std::make_unique<RetryStormScenario>(budgeted);
}

}  // namespace faultline::scenarios
