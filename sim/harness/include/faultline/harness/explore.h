// Continuous exploration: fresh seeds, scenario after scenario, until a wall-clock budget is
// spent, keeping each distinct new failure as a finding on disk.
//
// Seeds: scenario S's i-th explored seed is seed_at(first, i) (first defaults to a stream of its
// own, away from `run`'s). The next i of every scenario is kept in DIR/state.json, so a second
// exploration over the same DIR resumes where the first stopped and never repeats a seed.
// Findings: a violation whose kind (kind_of) this scenario has not shown before (in this run or
// any earlier one over DIR) is shrunk and written to DIR/findings/<scenario>--<kind>.json:
//   scenario, kind, expected (true for a hazard, whose violation is the point), seed,
//   seed_index, swarm, violation, shrunk_plan, shrink_runs, replay
// A kind already found is only counted. Output is bounded: at most `max_findings` files in DIR
// over all runs (then exploration goes on, but only counts), and state.json holds one entry
// per scenario.
// Swarm testing (swarm.h) is on by default for every other batch of a scenario's seeds: those
// seeds switch whole fault kinds off; the others run full plans (a finding says which).
// The budget is checked between batches of seeds, so a run may overshoot it by one batch.
// Errors: an unreadable or malformed state.json or finding, or an unwritable DIR, throws
// ExploreError naming the file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/harness/scenario.h"

namespace faultline::harness {

class ExploreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The default first seed of explored seeds (a stream of their own).
inline constexpr std::uint64_t kExploreFirstSeed = 0xE7B10E;

struct ExploreOptions {
  std::chrono::milliseconds budget{std::chrono::seconds(60)};  // wall-clock time
  std::filesystem::path out;
  std::uint64_t first = kExploreFirstSeed;
  int jobs = 1;
  bool swarm = true;  // half the batches with swarm plans (else none)
  std::size_t max_findings = 100;
  std::uint64_t batch = 32;  // seeds per scenario per turn (times jobs)
  std::string program;       // as replay commands name it
  // Each new finding and each scenario's tally, as a line for people; may be null.
  std::function<void(const std::string&)> log;
};

struct Finding {
  std::string scenario;
  std::string kind;
  bool expected = false;
  std::uint64_t seed = 0;
  std::uint64_t seed_index = 0;
  bool swarm = false;
  std::string violation;
  std::string shrunk_plan;
  int shrink_runs = 0;
  std::string replay;
};

struct ExploreSummary {
  std::map<std::string, std::uint64_t> seeds_run;   // this exploration, per scenario
  std::map<std::string, std::uint64_t> violations;  // violating seeds, per scenario
  std::vector<Finding> new_findings;
  bool findings_bounded = false;  // max_findings was reached
  [[nodiscard]] bool claim_violated() const;  // a new finding on a safety claim
};

[[nodiscard]] ExploreSummary explore(const std::vector<const Scenario*>& scenarios,
                                     const ExploreOptions& options);

}  // namespace faultline::harness
