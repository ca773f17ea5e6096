// Scenario: a workload, a fault space, an invariant and an expected verdict.
//
// A scenario runs one seed at a time inside a fresh World. The seed fixes everything: the fault
// plan (plan_for_seed) and every draw the run makes, so run(seed, plan_for_seed(seed)) replays
// exactly. A run may also be given another plan (a shrunk one, or one RapidCheck generated).
//
// Two kinds (Expect):
//   kHolds           a safety claim: the invariant must hold for every seed tried;
//   kViolationFound  a hazard demonstration: the simulator must find a seed that breaks it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/sim/fault_plan.h"

namespace faultline::scenarios {

enum class Expect { kHolds, kViolationFound };

struct Violation {
  std::string message;
  std::ptrdiff_t operation = -1;  // the offending operation in the history, if one is to blame
  // What kind of violation this is, in a few stable words ("lost-update", "mutual-exclusion"):
  // findings are deduplicated by it. Empty: derived from the message (numbers blanked).
  std::string kind;
  // The operations (history ids) that make the violation, for the witness printed before the
  // timeline: for a lost update, the two holders' acquisitions and the stale write.
  std::vector<std::size_t> witness;
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

  [[nodiscard]] RunResult run(std::uint64_t seed) const {
    return run(seed, plan_for_seed(seed), RunOptions{});
  }
};

// Every scenario of the catalogue, in a stable order.
[[nodiscard]] std::vector<std::unique_ptr<Scenario>> catalogue();
[[nodiscard]] std::unique_ptr<Scenario> find_scenario(const std::string& name);

}  // namespace faultline::scenarios
