// `faultline study swarm [PATTERN] [--trials N] [--max-seeds M] [--jobs J] [--json]`: how many
// seeds each hazard takes to find, with swarm testing (faultline/harness/swarm.h) and without.
//
// For each hazard the pattern selects (default: every hazard), `trials` independent sweeps
// (first seeds seed_at(0x5A12, t)) run until the hazard is found or `max_seeds` seeds pass, once
// with full plans and once with swarm plans. Printed: the mean seeds to find it (a sweep that
// never found it counts as max_seeds) and how many sweeps found it, side by side.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "faultline/harness/sweep.h"
#include "scenarios/cli/commands.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios::cli {
namespace {

constexpr std::uint64_t kStudyFirst = 0x5A12;

struct SwarmArgs {
  std::string pattern = "all";
  int trials = 20;
  std::uint64_t max_seeds = 2000;
  int jobs = 1;
  bool json = false;
};

struct Tally {
  double mean_seeds = 0;
  int found = 0;
};

Tally seeds_to_find(const Scenario& scenario, const SwarmArgs& args, bool swarm) {
  Tally tally;
  for (int t = 0; t < args.trials; ++t) {
    harness::SweepOptions options;
    options.first = harness::seed_at(kStudyFirst, static_cast<std::uint64_t>(t));
    options.count = args.max_seeds;
    options.jobs = args.jobs;
    options.swarm = swarm;
    const harness::SweepResult result = harness::sweep(scenario, options);
    const bool found = result.first_violation.has_value();
    tally.found += found ? 1 : 0;
    tally.mean_seeds +=
        static_cast<double>(found ? result.first_violation_index + 1 : args.max_seeds);
  }
  tally.mean_seeds /= args.trials;
  return tally;
}

int study_swarm(const SwarmArgs& args, const Context& context) {
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    std::cout << fmt::format("seeds to find each hazard, mean of {} sweeps (found / sweeps)\n",
                             args.trials)
              << fmt::format("{:<36} {:>18} {:>18}\n", "hazard", "full plans", "swarm");
  }
  for (const Scenario* scenario : select_or_complain(context, args.pattern)) {
    if (scenario->expect() != Expect::kViolationFound) continue;
    const Tally full = seeds_to_find(*scenario, args, false);
    const Tally swarm = seeds_to_find(*scenario, args, true);
    rows.push_back({{"scenario", scenario->name()},
                    {"full_mean_seeds", full.mean_seeds},
                    {"full_found", full.found},
                    {"swarm_mean_seeds", swarm.mean_seeds},
                    {"swarm_found", swarm.found},
                    {"trials", args.trials}});
    if (!args.json) {
      std::cout << fmt::format("{:<36} {:>9.1f} ({:>2}/{:<2}) {:>9.1f} ({:>2}/{:<2})\n",
                               scenario->name(), full.mean_seeds, full.found, args.trials,
                               swarm.mean_seeds, swarm.found, args.trials);
    }
  }
  if (args.json) std::cout << rows.dump() << std::endl;
  return kExitAsExpected;
}

Run declare_study_swarm(CLI::App& command, const Context& context) {
  auto args = std::make_shared<SwarmArgs>();
  command.add_option("pattern", args->pattern, "Scenario name or glob (default: all hazards)");
  command.add_option("--trials", args->trials, "Sweeps per hazard and mode")
      ->check(CLI::Range(1, 10'000));
  command.add_option("--max-seeds", args->max_seeds, "Give up a sweep after this many seeds")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  add_jobs_option(command, args->jobs);
  command.add_flag("--json", args->json, "Print one JSON array of rows");
  return [args, &context] { return study_swarm(*args, context); };
}

}  // namespace

Command swarm_study() {
  return {"swarm", "Seeds each hazard takes to find, with and without swarm testing", declare_study_swarm};
}

}  // namespace faultline::scenarios::cli
