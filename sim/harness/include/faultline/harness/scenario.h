// Scenario: a workload, a fault space, an invariant and an expected verdict — the unit the
// harness sweeps, shrinks and replays. Most scenarios are SimScenarios (sim_scenario.h: a
// topology, a workload, a fault space and an invariant given as functions); a scenario that
// needs more control implements this interface itself, as the built-in lock scenarios do.
//
// A scenario runs one seed at a time inside a fresh World. The seed fixes everything: the fault
// plan (plan_for_seed) and every draw the run makes, so run(seed, plan_for_seed(seed)) replays
// exactly. A run may also be given another plan (a shrunk one, or one RapidCheck generated).
//
// Two kinds (Expect):
//   kHolds           a safety claim: the invariant must hold for every seed tried;
//   kViolationFound  a hazard demonstration: the simulator must find a seed that breaks it.
//
// Thread-safety: run() and plan_for_seed() are const and called from several sweep workers at
// once; each run builds its own World, so a scenario must keep no mutable state of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/sim/fault_plan.h"

namespace faultline::harness {

enum class Expect { kHolds, kViolationFound };

struct Violation {
  std::string message;
  std::ptrdiff_t operation = -1;  // the offending operation in the history, if one is to blame
  // What kind of violation this is, in a few stable words ("lost-update", "mutual-exclusion"):
  // findings are deduplicated by it. Empty: derived from the message (numbers blanked).
  std::string kind{};
  // The operations (history ids) that make the violation, for the witness printed before the
  // timeline: for a lost update, the two holders' acquisitions and the stale write.
  std::vector<std::size_t> witness{};
};

struct RunResult {
  std::uint64_t seed = 0;
  std::optional<Violation> violation;
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  sim::SimTime finished_at{};
  std::string summary;   // workload counters, one line
  // Operations a fenced store refused for carrying a stale fencing token (server side: counted
  // even when the client never learned of the refusal). 0 for scenarios without fencing.
  std::uint64_t stale_refused = 0;
  std::string timeline;  // filled only when asked for
  std::string html;      // filled only when asked for
};

struct RunOptions {
  bool timeline = false;  // render the text timeline
  bool html = false;      // render the HTML picture
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual std::string description() const = 0;
  [[nodiscard]] virtual Expect expect() const = 0;
  [[nodiscard]] virtual sim::FaultPlan plan_for_seed(std::uint64_t seed) const = 0;
  [[nodiscard]] virtual RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                                      const RunOptions& options) const = 0;

  // The space plan_for_seed draws from, when the scenario has one: a RapidCheck property
  // generates plans within it (rapidcheck.h). Null: the scenario does not say.
  [[nodiscard]] virtual const sim::FaultSpace* admitted_faults() const { return nullptr; }

  [[nodiscard]] RunResult run(std::uint64_t seed) const {
    return run(seed, plan_for_seed(seed), RunOptions{});
  }
};

// The violation's kind: its own; else the label of a "label: details" message (up to 40
// characters before the colon); else the message with every number blanked ("#"), at most 80
// characters. Two runs that break the same check the same way have the same kind.
[[nodiscard]] std::string kind_of(const Violation& violation);

}  // namespace faultline::harness
