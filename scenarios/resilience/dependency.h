// Dependency: the simulated service the resilience scenarios protect themselves from.
//
// A process reached over the simulated network. Every request that arrives is logged (time,
// caller, whether it was served) before it is answered, so the scenarios can count the load
// their callers put on it. It answers:
//   - kUnavailable ("503: in an outage") during an outage window;
//   - kInvalidArgument ("400: ...") for a request the caller built wrongly (`bad` set): a retry
//     of it fails the same way;
//   - otherwise OK (at once: the scenarios are about the callers).
// Outages are faults of the scenario's FaultPlan (kind outage, target "dep"): sim::apply
// schedules them on the Network, and the dependency answers 503 while Network::outage() says it
// is down (a hanging outage never answers at all). The plan is drawn from the seed
// (plan_for_seed), so replay shows the outages and the shrinker shortens or drops them.
//
// Thread-safety: none; one World.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faultline/result.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

struct Outage {
  sim::SimTime start{};
  sim::SimTime end{};
};

// 1..max_outages windows that start in [from, until) and last [min_length, max_length], drawn
// from `rng`, sorted, not overlapping (a window that would overlap the previous one is merged).
[[nodiscard]] std::vector<Outage> draw_outages(sim::Rng& rng, int max_outages, Duration from,
                                               Duration until, Duration min_length,
                                               Duration max_length);

class Dependency {
 public:
  struct Arrival {
    sim::SimTime at{};
    sim::ProcessId from = 0;
    std::uint64_t request = 0;  // the caller's request id
    bool in_outage = false;
    bool rejected_invalid = false;  // answered 400
  };

  // The service runs on `host` (a topology's service host), reached over `network`.
  Dependency(sim::Network& network, sim::Process& host);

  // One request, with the caller's deadline. `request` identifies the logical request (the
  // same id on every attempt of it); `bad` marks a request the dependency rejects as invalid.
  Task<Result<std::uint64_t>> call(sim::Process& caller, Duration timeout, std::uint64_t request,
                                   bool bad = false);

  // The outage windows the run's plan scheduled (DependencyRun::apply sets them), merged where
  // they overlap, for the invariants; the answers themselves follow the Network's state.
  void set_outages(std::vector<Outage> outages) { outages_ = std::move(outages); }
  [[nodiscard]] const std::vector<Outage>& outages() const noexcept { return outages_; }
  [[nodiscard]] const std::vector<Arrival>& arrivals() const noexcept { return arrivals_; }
  [[nodiscard]] sim::Process& process() noexcept { return process_; }

 private:
  sim::Network& network_;
  sim::Process& process_;
  std::vector<Outage> outages_;
  std::vector<Arrival> arrivals_;
};

// Clock faults of one caller process, as a steady clock may suffer them in production: a drift
// (its rate off by up to kMaxDriftPpm either way) and forward jumps (a VM paused and resumed).
// Never a step back: a process clock is monotonic (clock.h). Invariants whose bounds are in true
// time while the pattern reads this clock widen them with drift_factor() and stepped().
struct ClockFaults {
  static constexpr std::int32_t kMaxDriftPpm = 200;
  std::int32_t drift_ppm = 0;
  struct Step {
    sim::SimTime at{};
    Duration amount{};  // > 0
  };
  std::vector<Step> steps;  // sorted by time

  // Up to `max_steps` forward steps of up to `max_step` at true times in [from, until), and a
  // drift in [-kMaxDriftPpm, kMaxDriftPpm], drawn from `rng`.
  [[nodiscard]] static ClockFaults draw(sim::Rng& rng, int max_steps, Duration max_step,
                                        Duration from, Duration until);
  // How much the process's clock moved by steps at true times in [from, to].
  [[nodiscard]] Duration stepped(sim::SimTime from, sim::SimTime to) const;
  // Bounds on local elapsed time over true elapsed time from the drift alone: a local interval
  // `d` lasts between d / fast() and d / slow() in true time.
  [[nodiscard]] static constexpr double fast() { return 1.0 + kMaxDriftPpm * 1e-6; }
  [[nodiscard]] static constexpr double slow() { return 1.0 - kMaxDriftPpm * 1e-6; }
};

// Building a resilience scenario's plan from what it draws, and reading the plan back. Outages
// become kind-outage faults of `service` (failing fast); a process's clock faults become a drift
// at time zero and one forward step each.
void add_outages(sim::FaultPlan& plan, const std::vector<Outage>& outages,
                 const std::string& service = "dep");
void add_clock_faults(sim::FaultPlan& plan, const std::string& process, const ClockFaults& faults);
void sort_by_time(sim::FaultPlan& plan);
// The union of `service`'s outage windows in `plan`, sorted.
[[nodiscard]] std::vector<Outage> outage_windows(const sim::FaultPlan& plan,
                                                 const std::string& service);
// `process`'s clock faults in `plan`: its last drift, and its forward steps (a backward step
// leaves the steady clock alone, so it is no step for the invariants).
[[nodiscard]] ClockFaults clock_faults_of(const sim::FaultPlan& plan, const std::string& process);

// The deployment every resilience scenario starts from: latency uniform in [1 ms, latency_max]
// on every link, and the dependency's host "dep". The scenario declares its callers after it
// (.client("app"), .clients(n)), and may set another link.
[[nodiscard]] sim::TopologyBuilder dependency_topology(
    std::uint64_t seed, Duration latency_max = std::chrono::milliseconds(5));

// Whether `op` was in progress at some time in [from, to]: invoked by `to`, and completed at or
// after `from` or never.
[[nodiscard]] bool overlaps(const sim::Operation& op, sim::SimTime from, sim::SimTime to);

// The run of a resilience scenario: its Topology (built from dependency_topology()), its
// history, the Dependency on "dep", and the first violation seen. Scenarios derive their own run
// state from it.
struct DependencyRun {
  explicit DependencyRun(const sim::TopologyBuilder& spec);
  sim::Topology topology;
  sim::World& world;      // the topology's
  sim::Network& network;  // the topology's
  sim::History history;
  Dependency dependency;
  std::optional<Violation> violation;

  // Each caller process's clock faults, by process id (empty for a process without any).
  std::map<sim::ProcessId, ClockFaults> clock_faults;

  // Schedules every fault of `plan` (sim::apply), after the scenario added its processes and
  // before the world starts, and records the outages and clock faults the invariants read. The
  // invariants' drift bounds assume |drift| <= ClockFaults::kMaxDriftPpm, as drawn.
  void apply(const sim::FaultPlan& plan);
  // The steps of `process`'s clock at true times in [from, to]; zero for a process without.
  [[nodiscard]] Duration stepped(sim::ProcessId process, sim::SimTime from, sim::SimTime to) const;

  // Keeps the first violation only: it is the one a replay shows. `kind` is its stable slug
  // ("retry-amplification", ...), `witness` the history operations that show it (may be empty).
  void violate(std::string kind, std::string message, std::vector<std::size_t> witness = {});
  // The witness of a violation about `process` over [from, to]: its operations in the history
  // that overlap that window (invoked by `to`, and completed at or after `from` or never), at
  // most `most` of them (the first ones), in order of invocation.
  [[nodiscard]] std::vector<std::size_t> operations_of(sim::ProcessId process, sim::SimTime from,
                                                       sim::SimTime to, std::size_t most = 6) const;
  // The verdict, trace hash, event count, end time and `summary`, plus the timeline (with the
  // violation's witness first) and the picture when `options` asks for them.
  [[nodiscard]] RunResult result(std::uint64_t seed, const std::string& scenario,
                                 std::string summary, const RunOptions& options);
};

}  // namespace faultline::scenarios
