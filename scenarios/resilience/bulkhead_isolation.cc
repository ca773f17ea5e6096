// bulkhead/isolation: one process calls a dependency through a three-tier Bulkhead. Three
// critical callers stay within the critical tier's own limit; six standard callers; sixteen
// optional callers flood their tier (at most 3 ms between calls). The network's latency spikes
// (drawn from the seed) make calls slow at random, so queues fill and waits time out. The
// process's clock drifts and jumps forward (the bulkhead's waits and deadlines read it).
//
// The invariant is judged from what each caller saw (when it asked, when its operation began and
// ended, the result code it got), never from the bulkhead's state or metrics:
//   - no critical call is refused by the bulkhead, nor waits for a slot at all (its load never
//     exceeds its own capacity, and no other tier can take its slots);
//   - per tier, the operations running at once (overlapping [began, ended) intervals) never
//     exceed max_concurrent;
//   - per tier, the callers waiting at once (asked, not yet running nor answered, for a positive
//     time) never exceed max_queue;
//   - lower bounds, so that the claim cannot hold vacuously: the optional tier ran at its limit
//     and some optional caller waited in its queue, and every tier completed calls.
#include "scenarios/resilience/resilience_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/resilience/bulkhead.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/resilience/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::Bulkhead;
using resilience::BulkheadOptions;
using resilience::QueueFullPolicy;
using resilience::Tier;
using resilience::TierOptions;

// The flood saturates the optional tier within milliseconds, and its queue fills and sheds
// continually from then on: a second holds hundreds of each (4s until issue 13).
constexpr Duration kRunFor = 1s;
constexpr Duration kCallTimeout = 500ms;
constexpr std::array<Tier, 3> kTiers{Tier::kCritical, Tier::kStandard, Tier::kOptional};

BulkheadOptions claimed_options() {
  BulkheadOptions o;
  o.name = "dep";
  o.tier(Tier::kCritical) = TierOptions{4, 4, 50ms, QueueFullPolicy::kRejectNewcomer};
  o.tier(Tier::kStandard) = TierOptions{8, 16, 100ms, QueueFullPolicy::kRejectNewcomer};
  o.tier(Tier::kOptional) = TierOptions{4, 8, 20ms, QueueFullPolicy::kShedOldest};
  return o;
}

BulkheadOptions running_options(Sabotage sabotage) {
  BulkheadOptions o = claimed_options();
  if (sabotage == Sabotage::kNoTierLimit) {
    o.tier(Tier::kOptional) = TierOptions{1000, 1000, 20ms, QueueFullPolicy::kShedOldest};
  }
  return o;
}

// One call as its caller saw it, in true time.
struct CallRecord {
  sim::SimTime asked{};
  std::optional<sim::SimTime> began;  // the operation started (a slot was held)
  sim::SimTime ended{};               // the operation ended, or the caller was answered without
};

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  std::optional<Bulkhead> bulkhead;
  std::array<std::vector<CallRecord>, 3> records;
  std::array<std::uint64_t, 3> refused{};
  std::uint64_t next_request = 0;
};

Task<void> caller(Run& run, sim::Process& app, Tier tier, Tier runs_in, Duration pause_min,
                  Duration pause_max) {
  const std::size_t t = resilience::tier_index(tier);
  while (run.world.now() < sim::SimTime(kRunFor)) {
    const std::uint64_t request = ++run.next_request;
    const std::size_t index = run.records[t].size();
    run.records[t].push_back(CallRecord{run.world.now(), std::nullopt, {}});
    auto op = [&run, &app, t, index, request]() -> Task<Result<std::uint64_t>> {
      run.records[t][index].began = run.world.now();
      Result<std::uint64_t> reply = co_await run.dependency.call(app, kCallTimeout, request);
      run.records[t][index].ended = run.world.now();
      co_return reply;
    };
    const TimePoint deadline = app.clock().now() + kCallTimeout;
    // Critical calls go into the history (the flood would drown a timeline).
    std::optional<std::size_t> id;
    if (tier == Tier::kCritical) id = run.history.invoke(app.id(), "critical call", fmt::format("#{}", request));
    Result<std::uint64_t> result = co_await run.bulkhead->execute<std::uint64_t>(runs_in, op, deadline);
    CallRecord& record = run.records[t][index];
    if (!record.began) record.ended = run.world.now();
    if (id) {
      run.history.complete(*id, result.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                           result.ok() ? "ok" : result.error().message);
    }
    if (!result.ok() && result.error().code == ErrorCode::kBulkheadFull) {
      ++run.refused[t];
      if (tier == Tier::kCritical) {
        run.violate("critical-refused", "a critical call was refused: " + result.error().message,
                    {*id});
      }
    }
    if (tier == Tier::kCritical && record.began && *record.began != record.asked) {
      run.violate("critical-waited",
                  fmt::format("critical call #{} waited {:.3f}s for a slot", request,
                              std::chrono::duration<double>(*record.began - record.asked).count()),
                  {*id});
    }
    co_await app.clock().sleep_for(uniform_duration(app.rng(), pause_min, pause_max));
  }
}

// The most intervals [from, to) that hold one instant in common (ends before starts at a tie);
// empty intervals hold none.
int most_at_once(std::vector<std::pair<sim::SimTime, sim::SimTime>> intervals) {
  std::vector<std::pair<sim::SimTime, int>> edges;
  for (const auto& [from, to] : intervals) {
    if (to <= from) continue;
    edges.emplace_back(from, +1);
    edges.emplace_back(to, -1);
  }
  std::sort(edges.begin(), edges.end());  // at a tie, -1 sorts before +1
  int now = 0;
  int most = 0;
  for (const auto& edge : edges) most = std::max(most, now += edge.second);
  return most;
}

struct TierSeen {
  int running = 0;  // most operations running at once
  int waiting = 0;  // most callers waiting at once
  std::uint64_t completed = 0;
};

TierSeen seen(const std::vector<CallRecord>& records) {
  std::vector<std::pair<sim::SimTime, sim::SimTime>> running;
  std::vector<std::pair<sim::SimTime, sim::SimTime>> waiting;
  TierSeen out;
  for (const CallRecord& r : records) {
    if (r.began) {
      running.emplace_back(*r.began, r.ended);
      waiting.emplace_back(r.asked, *r.began);
      ++out.completed;
    } else {
      waiting.emplace_back(r.asked, r.ended);
    }
  }
  out.running = most_at_once(std::move(running));
  out.waiting = most_at_once(std::move(waiting));
  return out;
}

void check_tiers(Run& run) {
  const BulkheadOptions claimed = claimed_options();
  for (Tier tier : kTiers) {
    const TierSeen s = seen(run.records[resilience::tier_index(tier)]);
    const TierOptions& o = claimed.tier(tier);
    if (s.running > o.max_concurrent) {
      run.violate("bulkhead-concurrency",
                  fmt::format("{} {} calls ran at once; the tier's limit is {}", s.running,
                              resilience::to_string(tier), o.max_concurrent));
    }
    if (s.waiting > o.max_queue) {
      run.violate("bulkhead-queue",
                  fmt::format("{} {} callers waited at once; the queue's bound is {}", s.waiting,
                              resilience::to_string(tier), o.max_queue));
    }
    if (s.completed == 0) {
      run.violate("bulkhead-starved", fmt::format("no {} call ran", resilience::to_string(tier)));
    }
    if (tier == Tier::kOptional && (s.running < o.max_concurrent || s.waiting == 0)) {
      run.violate("bulkhead-unexercised",
                  fmt::format("the optional flood never saturated its tier (at most {} running, "
                              "{} waiting): the claim was not exercised",
                              s.running, s.waiting));
    }
  }
}

class BulkheadIsolationScenario final : public Scenario {
 public:
  explicit BulkheadIsolationScenario(Sabotage sabotage) : sabotage_(sabotage) {}
  [[nodiscard]] std::string name() const override { return "bulkhead/isolation"; }
  [[nodiscard]] std::string description() const override {
    return "an optional-tier flood never starves critical calls; as the callers saw it, no tier "
           "ran over its limit nor queued over its bound, and the flood saturated its tier";
  }
  [[nodiscard]] Expect expect() const override { return Expect::kHolds; }
  // Delay spikes on every link (1-20% of messages, 10-200 ms), and the app's clock drift and
  // forward steps.
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
    sim::FaultPlan plan;
    sim::Rng draw(seed ^ 0xB01C);
    plan.network.spike_ppm = static_cast<std::uint32_t>(uniform_between(draw, 10'000, 200'000));
    plan.network.spike_max = 200ms;
    sim::Rng clocks(seed ^ 0xC10C);
    add_clock_faults(plan, "app", ClockFaults::draw(clocks, 2, 1s, 100ms, kRunFor));
    sort_by_time(plan);
    return plan;
  }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override {
    sim::LinkProfile link;
    link.latency_min = 1ms;
    link.latency_max = 5ms;
    link.spike_min = 10ms;
    // Requests and replies alike: the plan has no loss, the one thing that tells them apart.
    Run run(dependency_topology(seed).link(sim::request_link(link, plan.network)).client("app"));
    sim::Process& app = run.topology.process("app");
    run.apply(plan);
    run.bulkhead.emplace(Bulkhead::create(app.clock(), running_options(sabotage_)).value());
    const Tier critical_runs_in =
        sabotage_ == Sabotage::kNoIsolation ? Tier::kOptional : Tier::kCritical;
    run.world.start();
    for (int i = 0; i < 3; ++i) app.spawn(caller(run, app, Tier::kCritical, critical_runs_in, 5ms, 20ms));
    for (int i = 0; i < 6; ++i) app.spawn(caller(run, app, Tier::kStandard, Tier::kStandard, 2ms, 10ms));
    for (int i = 0; i < 16; ++i) app.spawn(caller(run, app, Tier::kOptional, Tier::kOptional, 0ms, 3ms));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    check_tiers(run);
    return run.result(seed, name(),
                      fmt::format("calls critical {} / standard {} / optional {}; refused {} / {} "
                                  "/ {}",
                                  run.records[0].size(), run.records[1].size(),
                                  run.records[2].size(), run.refused[0], run.refused[1],
                                  run.refused[2]),
                      options);
  }

 private:
  Sabotage sabotage_;
};

}  // namespace

std::unique_ptr<Scenario> make_bulkhead_isolation_scenario(Sabotage sabotage) {
  return std::make_unique<BulkheadIsolationScenario>(sabotage);
}

}  // namespace faultline::scenarios
