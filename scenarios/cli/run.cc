// `faultline run SCENARIO|all [--seeds N] [--seed S] [--jobs J] [--json]`: sweeps each chosen
// scenario over seeds seed_at(S, 0 .. N-1) and checks its verdict: a safety claim must hold for
// every seed, a hazard must be found. A found violation is shrunk and printed with the line
// that replays it. Exit status: 0 when every verdict is the expected one, 1 when one differs,
// 2 on an unknown scenario.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "scenarios/cli/commands.h"
#include "scenarios/framework/runner.h"

namespace faultline::scenarios::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::uint64_t seeds = 1000;
  std::uint64_t first = kDefaultFirstSeed;
  int jobs = 1;
  bool json = false;
};

struct Outcome {
  bool as_expected = false;
  nlohmann::json json;
};

// A plan with no fault at all: nothing scheduled, no message fault.
bool needs_no_fault(const sim::FaultPlan& plan) {
  const sim::NetworkFaults& n = plan.network;
  return plan.faults.empty() && n.request_loss_ppm == 0 && n.reply_loss_ppm == 0 &&
         n.duplicate_ppm == 0 && n.spike_ppm == 0;
}

// The sweep, drawing its progress on stderr when that is a terminal and the output is text.
SweepResult sweep_with_progress(const Scenario& scenario, const RunArgs& args) {
  const bool tty = stderr_is_terminal() && !args.json;
  auto progress = [&](std::uint64_t done, std::uint64_t count) {
    std::fprintf(stderr, "\r%-24s %llu/%llu seeds", scenario.name().c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(count));
    std::fflush(stderr);
  };
  SweepResult sweep =
      scenarios::sweep(scenario, args.first, args.seeds, args.jobs, /*stop_at_violation=*/true,
                       tty ? std::function<void(std::uint64_t, std::uint64_t)>(progress) : nullptr);
  if (tty) std::fprintf(stderr, "\r%60s\r", "");
  return sweep;
}

// The text after "held for N seeds" or "violation found ...": the shrunk plan and the replay
// line (or why no plan is printed).
std::string violation_text(const Scenario& scenario, const RunResult& v, const Shrunk& shrunk) {
  std::string text = fmt::format("    {}\n", v.violation->message);
  if (needs_no_fault(shrunk.plan)) {
    text += fmt::format(
        "    needs no fault: it shows on a quiet network with nothing scheduled "
        "(shrunk in {} runs)\n",
        shrunk.runs);
  } else {
    text += fmt::format("    shrunk fault plan ({} runs):\n", shrunk.runs);
    std::istringstream plan_lines(shrunk.plan.to_string());
    for (std::string line; std::getline(plan_lines, line);) text += "      " + line + "\n";
  }
  text += fmt::format(
      "    replay: faultline replay {} --seed {}  (add --shrink for the shrunk "
      "plan, --html FILE for a picture)",
      scenario.name(), hex(v.seed));
  return text;
}

// Fills the verdict into `outcome` (JSON fields, as_expected) and returns its text line(s).
std::string judge(const Scenario& scenario, const RunArgs& args, const SweepResult& sweep,
                  Outcome& outcome) {
  const bool hazard = scenario.expect() == Expect::kViolationFound;
  const bool found = sweep.first_violation.has_value();
  outcome.as_expected = hazard ? found : !found;
  nlohmann::json& j = outcome.json;
  j["scenario"] = scenario.name();
  j["expect"] = hazard ? "violation_found" : "holds";
  j["seeds_run"] = sweep.seeds_run;
  j["first_seed"] = hex(args.first);
  j["as_expected"] = outcome.as_expected;
  j["seeds_per_second"] = static_cast<double>(sweep.seeds_run) / std::max(sweep.wall_seconds, 1e-9);
  j["events"] = sweep.events;
  const char* mark = outcome.as_expected ? "ok  " : "FAIL";
  std::string text = fmt::format("{:<24} ", scenario.name());
  if (!found) {
    j["verdict"] = "held";
    text += fmt::format("{} held for {} seeds ({:.0f} seeds/s)", mark, sweep.seeds_run,
                        j["seeds_per_second"].get<double>());
    if (hazard) text += "  -- the hazard was NOT found";
    return text;
  }
  const RunResult& v = *sweep.first_violation;
  j["verdict"] = "violated";
  j["seed"] = hex(v.seed);
  j["seeds_until_found"] = sweep.first_violation_index + 1;
  j["violation"] = v.violation->message;
  const Shrunk shrunk = shrink(scenario, v.seed, scenario.plan_for_seed(v.seed));
  j["shrunk_plan"] = shrunk.plan.to_string();
  j["replay"] = fmt::format("faultline replay {} --seed {}", scenario.name(), hex(v.seed));
  text += fmt::format("{} violation found at seed {} after {} seeds\n", mark, hex(v.seed),
                      sweep.first_violation_index + 1);
  return text + violation_text(scenario, v, shrunk);
}

bool run_one(const Scenario& scenario, const RunArgs& args) {
  Outcome outcome;
  const std::string text = judge(scenario, args, sweep_with_progress(scenario, args), outcome);
  if (args.json) {
    std::cout << outcome.json.dump() << std::endl;
  } else {
    std::cout << text << std::endl;
  }
  return outcome.as_expected;
}

int run_scenarios(const RunArgs& args) {
  std::vector<std::unique_ptr<Scenario>> chosen;
  if (args.scenario == "all") {
    chosen = catalogue();
  } else if (auto s = find_or_complain(args.scenario)) {
    chosen.push_back(std::move(s));
  } else {
    return kExitUsage;
  }
  bool all_expected = true;
  for (const auto& s : chosen) all_expected = run_one(*s, args) && all_expected;
  return all_expected ? kExitAsExpected : kExitVerdictDiffers;
}

Run declare(CLI::App& command) {
  auto args = std::make_shared<RunArgs>();
  command.add_option("scenario", args->scenario, "Scenario name, or 'all'")->required();
  command.add_option("--seeds", args->seeds, "How many seeds to try per scenario")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  add_seed_option(command, "--seed", args->first,
                  "First seed (decimal or 0x hex); with --seeds 1, just it");
  add_jobs_option(command, args->jobs);
  command.add_flag("--json", args->json, "Print one JSON object per scenario");
  return [args] { return run_scenarios(*args); };
}

}  // namespace

Command run_command() {
  return {"run", "Run scenarios over many seeds and check their verdicts", declare};
}

}  // namespace faultline::scenarios::cli
