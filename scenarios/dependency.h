// Dependency: the simulated service the resilience scenarios protect themselves from.
//
// A process reached over the simulated network. Every request that arrives is logged (time,
// caller, whether it was served) before it is answered, so the scenarios can count the load
// their callers put on it. It answers:
//   - kUnavailable ("503: in an outage") during an outage window;
//   - kInvalidArgument ("400: ...") for a request the caller built wrongly (`bad` set): a retry
//     of it fails the same way;
//   - otherwise OK (at once: the scenarios are about the callers).
// Outage windows are part of the scenario (drawn from its seed), in true time, and are written
// into the history as notes so that timelines show them.
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
#include "faultline/sim/world.h"
#include "faultline/task.h"
#include "scenarios/scenario.h"

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

  Dependency(sim::World& world, sim::Network& network, sim::History& history,
             std::vector<Outage> outages, std::string name = "dep");

  // One request, with the caller's deadline. `request` identifies the logical request (the
  // same id on every attempt of it); `bad` marks a request the dependency rejects as invalid.
  Task<Result<std::uint64_t>> call(sim::Process& caller, Duration timeout, std::uint64_t request,
                                   bool bad = false);

  [[nodiscard]] bool in_outage(sim::SimTime at) const noexcept;
  [[nodiscard]] const std::vector<Outage>& outages() const noexcept { return outages_; }
  [[nodiscard]] const std::vector<Arrival>& arrivals() const noexcept { return arrivals_; }
  [[nodiscard]] sim::Process& process() noexcept { return process_; }

 private:
  sim::World& world_;
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

// The run of a resilience scenario: a World whose network has latency uniform in [1 ms,
// latency_max], its history, the Dependency, and the first violation seen. Scenarios derive
// their own run state from it.
struct DependencyRun {
  DependencyRun(std::uint64_t seed, std::vector<Outage> outages,
                Duration latency_max = std::chrono::milliseconds(5));
  sim::World world;
  sim::Network network;
  sim::History history;
  Dependency dependency;
  std::optional<Violation> violation;

  // Each caller process's clock faults, by process id (empty for a process without any).
  std::map<sim::ProcessId, ClockFaults> clock_faults;

  // Draws `process`'s clock faults (see ClockFaults::draw), sets its drift now and schedules
  // its steps, each noted in the history.
  void add_clock_faults(sim::Process& process, sim::Rng& rng, int max_steps, Duration max_step,
                        Duration from, Duration until);
  // The steps of `process`'s clock at true times in [from, to]; zero for a process without.
  [[nodiscard]] Duration stepped(sim::ProcessId process, sim::SimTime from, sim::SimTime to) const;

  // Keeps the first violation only: it is the one a replay shows.
  void violate(std::string message);
  // The verdict, trace hash, event count, end time and `summary`, plus the timeline and the
  // picture when `options` asks for them.
  [[nodiscard]] RunResult result(std::uint64_t seed, const std::string& scenario,
                                 std::string summary, const RunOptions& options);
};

}  // namespace faultline::scenarios
