// `run PATTERN [--seeds N] [--seed S] [--jobs J] [--shard I/N|auto|auto/N] [--swarm] [--json]`:
// sweeps each scenario the glob selects over seeds seed_at(S, 0 .. N-1) (this shard's share of
// them) and checks its verdict: a safety claim must hold for every seed, a hazard must be found.
// A found violation is shrunk and printed with the command that replays it. Exit status: 0 when
// every verdict is the expected one, 1 when one differs, 2 when the pattern selects nothing or
// a flag does not read. A shard (--shard with N > 1) fails only on a violated claim: whether a
// hazard was found is for `merge` to say.
#include <cstdlib>
#include <iostream>

#include "faultline/harness/cli.h"
#include "faultline/harness/report.h"
#include "progress.h"

namespace faultline::harness::cli {
namespace {

struct RunArgs {
  std::string pattern;
  SweepOptions sweep;
  bool json = false;
};

ScenarioReport run_one(const Scenario& scenario, const RunArgs& args, const Context& context) {
  Progress progress(scenario.name(), stderr_is_terminal());
  SweepOptions options = args.sweep;
  options.progress = [&progress](std::uint64_t done, std::uint64_t total) {
    progress.update(done, total);
  };
  const SweepResult result = sweep(scenario, options);
  progress.finish();
  return make_report(scenario, options, result, context.program);
}

// A shard that did not find a hazard has not failed: another shard may hold its seed, and
// only the merged report can say. A violated claim is a failure wherever it shows.
bool settled_as_expected(const ScenarioReport& report) {
  const bool undecided = report.shard.count > 1 && report.expect == Expect::kViolationFound;
  return report.as_expected() || undecided;
}

int run_scenarios(const RunArgs& args, const Context& context) {
  const std::vector<const Scenario*> chosen = select_or_complain(context, args.pattern);
  if (chosen.empty()) return kExitUsage;
  bool all_expected = true;
  for (const Scenario* scenario : chosen) {
    const ScenarioReport report = run_one(*scenario, args, context);
    std::cout << (args.json ? to_json(report) : to_text(report)) << std::endl;
    all_expected = settled_as_expected(report) && all_expected;
  }
  return all_expected ? kExitAsExpected : kExitVerdictDiffers;
}

CLI::Option* add_shard_option(CLI::App& command, Shard& shard) {
  return command.add_option_function<std::string>(
      "--shard",
      [&shard](const std::string& text) {
        auto parsed = parse_shard(text, [](const char* name) { return std::getenv(name); });
        if (auto* error = std::get_if<std::string>(&parsed)) {
          throw CLI::ValidationError("--shard", *error);
        }
        shard = std::get<Shard>(parsed);
      },
      "Run only shard I of N of the seeds (0-based); auto: Slurm's array task; auto/N: "
      "Kubernetes' JOB_COMPLETION_INDEX of N");
}

Run declare_run(CLI::App& command, const Context& context) {
  auto args = std::make_shared<RunArgs>();
  command.add_option("pattern", args->pattern, "Scenario name or glob ('locks/*'), or 'all'")
      ->required();
  command.add_option("--seeds", args->sweep.count, "How many seeds to try per scenario")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  add_seed_option(command, "--seed", args->sweep.first,
                  "First seed (decimal or 0x hex); with --seeds 1, just it");
  add_jobs_option(command, args->sweep.jobs);
  add_shard_option(command, args->sweep.shard);
  command.add_flag("--swarm", args->sweep.swarm,
                   "Swarm testing: each seed switches whole fault kinds off");
  command.add_flag("--json", args->json, "Print one JSON object per scenario (see report.h)");
  return [args, &context] { return run_scenarios(*args, context); };
}

}  // namespace

Command run_command() {
  return {"run", "Run scenarios over many seeds and check their verdicts", declare_run};
}

}  // namespace faultline::harness::cli
