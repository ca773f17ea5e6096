// bulkhead/isolation: one process calls a dependency through a three-tier Bulkhead. Three
// critical callers stay within the critical tier's own limit; six standard callers; sixteen
// optional callers flood their tier (at most 3 ms between calls). The network's latency spikes (drawn from the
// seed) make calls slow at random, so queues fill and waits time out.
//
// Invariants:
//   - no critical call is refused by the bulkhead, nor waits for a slot at all (its load never
//     exceeds its own capacity, and no other tier can take its slots);
//   - no tier ever has more calls running than its max_concurrent (counted by the scenario,
//     inside the operation, not read from the bulkhead);
//   - no tier's queue ever held more than its max_queue (the bulkhead's high-water mark).
// The summary shows the optional tier's rejections, so a run that never saturated it shows.
#include "scenarios/resilience_scenarios.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "faultline/resilience/bulkhead.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::Bulkhead;
using resilience::BulkheadOptions;
using resilience::QueueFullPolicy;
using resilience::Slot;
using resilience::Tier;
using resilience::TierOptions;

constexpr Duration kRunFor = 4s;
constexpr Duration kCallTimeout = 500ms;
constexpr std::array<Tier, 3> kTiers{Tier::kCritical, Tier::kStandard, Tier::kOptional};

BulkheadOptions bulkhead_options() {
  BulkheadOptions o;
  o.name = "dep";
  o.tier(Tier::kCritical) = TierOptions{4, 4, 50ms, QueueFullPolicy::kRejectNewcomer};
  o.tier(Tier::kStandard) = TierOptions{8, 16, 100ms, QueueFullPolicy::kRejectNewcomer};
  o.tier(Tier::kOptional) = TierOptions{4, 8, 20ms, QueueFullPolicy::kShedOldest};
  return o;
}

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  std::optional<Bulkhead> bulkhead;
  std::array<int, 3> running{};
  std::array<std::uint64_t, 3> calls{};
  std::array<std::uint64_t, 3> refused{};
  std::uint64_t next_request = 0;
};

Task<void> caller(Run& run, sim::Process& app, Tier tier, Duration pause_min, Duration pause_max) {
  const std::size_t t = resilience::tier_index(tier);
  const int limit = run.bulkhead->options(tier).max_concurrent;
  while (run.world.now() < sim::SimTime(kRunFor)) {
    const std::uint64_t request = ++run.next_request;
    ++run.calls[t];
    const sim::SimTime began = run.world.now();
    auto op = [&run, &app, t, limit, tier, request, began]() -> Task<Result<std::uint64_t>> {
      // Critical load stays within the critical tier's own slots, so no flood elsewhere may make
      // a critical call wait at all.
      if (tier == Tier::kCritical && run.world.now() != began) {
        run.violate(fmt::format("critical call #{} waited {:.3f}s for a slot", request,
                                std::chrono::duration<double>(run.world.now() - began).count()));
      }
      if (++run.running[t] > limit) {
        run.violate(fmt::format("{} {} calls running; the tier's limit is {}", run.running[t],
                                resilience::to_string(tier), limit));
      }
      Result<std::uint64_t> reply = co_await run.dependency.call(app, kCallTimeout, request);
      --run.running[t];
      co_return reply;
    };
    const TimePoint deadline = app.clock().now() + kCallTimeout;
    // Critical calls go into the history (the flood would drown a timeline).
    std::optional<std::size_t> id;
    if (tier == Tier::kCritical) id = run.history.invoke(app.id(), "critical call", fmt::format("#{}", request));
    Result<std::uint64_t> result = co_await run.bulkhead->execute<std::uint64_t>(tier, op, deadline);
    if (id) {
      run.history.complete(*id, result.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                           result.ok() ? "ok" : result.error().message);
    }
    if (!result.ok() && result.error().code == ErrorCode::kBulkheadFull) {
      ++run.refused[t];
      if (tier == Tier::kCritical) run.violate("a critical call was refused: " + result.error().message);
    }
    co_await app.clock().sleep_for(uniform_duration(app.rng(), pause_min, pause_max));
  }
}

class BulkheadIsolationScenario final : public Scenario {
 public:
  [[nodiscard]] std::string name() const override { return "bulkhead/isolation"; }
  [[nodiscard]] std::string description() const override {
    return "an optional-tier flood never starves critical calls; no tier over its limit, no "
           "queue over its bound";
  }
  [[nodiscard]] Expect expect() const override { return Expect::kHolds; }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t) const override { return {}; }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan&,
                              const RunOptions& options) const override {
    Run run(seed, {});
    sim::Rng draw(seed ^ 0xB01C);
    sim::LinkProfile link;
    link.latency_min = 1ms;
    link.latency_max = 5ms;
    link.spike_ppm = static_cast<std::uint32_t>(uniform_between(draw, 10'000, 200'000));
    link.spike_min = 10ms;
    link.spike_max = 200ms;
    run.network.set_default(link);
    sim::Process& app = run.world.add_process("app");
    run.bulkhead.emplace(Bulkhead::create(app.clock(), bulkhead_options()).value());
    run.world.start();
    for (int i = 0; i < 3; ++i) app.spawn(caller(run, app, Tier::kCritical, 5ms, 20ms));
    for (int i = 0; i < 6; ++i) app.spawn(caller(run, app, Tier::kStandard, 2ms, 10ms));
    for (int i = 0; i < 16; ++i) app.spawn(caller(run, app, Tier::kOptional, 0ms, 3ms));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    for (Tier tier : kTiers) {
      const resilience::TierMetrics m = run.bulkhead->metrics(tier);
      const resilience::TierOptions& o = run.bulkhead->options(tier);
      if (m.max_queued > o.max_queue) {
        run.violate(fmt::format("the {} queue held {} waiters; its bound is {}",
                                resilience::to_string(tier), m.max_queued, o.max_queue));
      }
    }
    return run.result(seed, name(),
                      fmt::format("calls critical {} / standard {} / optional {}; refused {} / {} "
                                  "/ {}",
                                  run.calls[0], run.calls[1], run.calls[2], run.refused[0],
                                  run.refused[1], run.refused[2]),
                      options);
  }
};

}  // namespace

std::unique_ptr<Scenario> make_bulkhead_isolation_scenario() {
  return std::make_unique<BulkheadIsolationScenario>();
}

}  // namespace faultline::scenarios
