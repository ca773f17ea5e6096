// ScenarioReport: the verdict of one scenario's sweep (or one shard of it), as `run --json`
// prints it, as shards are merged, and as a test reads it.
//
// JSON (one object per line; the schema is stable: fields are only ever added):
//   scenario            the scenario's name
//   expect              "holds" (a safety claim) or "violation_found" (a hazard)
//   verdict             "held" or "violated"
//   as_expected         the verdict is the expected one
//   first_seed          the sweep's first seed, hex ("0x5eed")
//   seeds               the sweep's seed count, before sharding
//   shard               "I/N" ("0/1" when unsharded)
//   swarm               whether plans were thinned by swarm testing (swarm.h)
//   seeds_run           seeds run (a violated sweep may have run past its first violation)
//   events              simulator events over all those runs
//   wall_seconds, seeds_per_second   how long it took, on this machine
// and when violated:
//   seed                the lowest-indexed violating seed, hex
//   seeds_until_found   its index + 1: how many seeds the sweep needed to find it
//   violation, kind     the message, and its kind (findings are deduplicated by kind)
//   shrunk_plan         the shrunk fault plan's text (sim::parse_plan reads it)
//   shrink_runs         how many runs shrinking took
//   replay              the command that replays it
// Everything but seeds_run, events and the timings is a function of the scenario and the
// sweep's options alone: the same for any --jobs and, after merging, for any sharding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/harness/shrink.h"
#include "faultline/harness/sweep.h"

namespace faultline::harness {

struct FoundViolation {
  std::uint64_t seed = 0;
  std::uint64_t index = 0;  // global seed index
  std::string message;
  std::string kind;
  std::string shrunk_plan;
  int shrink_runs = 0;
  std::string replay;
  bool operator==(const FoundViolation&) const = default;
};

struct ScenarioReport {
  std::string scenario;
  Expect expect = Expect::kHolds;
  std::uint64_t first_seed = kDefaultFirstSeed;
  std::uint64_t seeds = 0;
  Shard shard;
  bool swarm = false;
  std::uint64_t seeds_run = 0;
  std::uint64_t events = 0;
  double wall_seconds = 0;
  std::optional<FoundViolation> violation;

  [[nodiscard]] bool as_expected() const noexcept {
    return violation.has_value() == (expect == Expect::kViolationFound);
  }
};

// The command that replays `seed` of `scenario` with `program` (the binary, as typed).
[[nodiscard]] std::string replay_command(const std::string& program, const std::string& scenario,
                                         std::uint64_t seed, bool swarm);

// Judges a finished sweep: on a violation, shrinks its plan (runs the scenario again).
[[nodiscard]] ScenarioReport make_report(const Scenario& scenario, const SweepOptions& options,
                                         const SweepResult& sweep, const std::string& program);

[[nodiscard]] std::string to_json(const ScenarioReport& report);  // one line, no newline
// A report from one JSON line, or a message naming the field that is missing or wrong.
[[nodiscard]] std::variant<ScenarioReport, std::string> report_from_json(std::string_view line);

// Merges the reports of a sharded sweep into one per scenario (in order of first appearance):
// seeds and events summed, the lowest-indexed violation kept. Refuses, naming the scenario
// and what differs, reports whose sweeps differ (first seed, seed count, shard count, swarm),
// a shard given twice, or a missing shard. Unsharded reports pass through.
[[nodiscard]] std::variant<std::vector<ScenarioReport>, std::string> merge(
    const std::vector<ScenarioReport>& reports);

// The text `run` prints for one report: "name  ok  held for N seeds ..." and, for a violation,
// the message, the shrunk plan and the replay line.
[[nodiscard]] std::string to_text(const ScenarioReport& report);

}  // namespace faultline::harness
