// `explore PATTERN --for DURATION --out DIR [--seed S] [--jobs J] [--no-swarm]
// [--max-findings N]`: runs fresh seeds of every scenario the glob selects, in turn, until the
// time is up, writing each new kind of failure to DIR/findings/ (explore.h). Run it again over
// the same DIR and it resumes: new seeds, no finding written twice. Prints the new findings
// as they come and a tally per scenario at the end. Exit status: 0 when no safety claim showed
// a new violation (hazards are expected to), 1 when one did, 2 on bad usage or an unreadable or
// unwritable DIR.
#include <fmt/format.h>

#include <iostream>

#include "faultline/harness/cli.h"
#include "faultline/harness/explore.h"

namespace faultline::harness::cli {
namespace {

struct ExploreArgs {
  std::string pattern;
  ExploreOptions options;
  bool no_swarm = false;
};

void print_tally(const ExploreSummary& summary) {
  for (const auto& [name, seeds] : summary.seeds_run) {
    std::cout << fmt::format("{:<24} {} seeds, {} violating\n", name, seeds,
                             summary.violations.at(name));
  }
  std::cout << fmt::format("{} new finding(s)", summary.new_findings.size());
  if (summary.findings_bounded) std::cout << " (the --max-findings bound was reached)";
  std::cout << std::endl;
}

int run_explore(ExploreArgs args, const Context& context) {
  const std::vector<const Scenario*> chosen = select_or_complain(context, args.pattern);
  if (chosen.empty()) return kExitUsage;
  args.options.program = context.program;
  args.options.swarm = !args.no_swarm;
  args.options.log = [](const std::string& line) { std::cout << line << std::endl; };
  try {
    const ExploreSummary summary = explore(chosen, args.options);
    print_tally(summary);
    return summary.claim_violated() ? kExitVerdictDiffers : kExitAsExpected;
  } catch (const ExploreError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
}

Run declare_explore(CLI::App& command, const Context& context) {
  auto args = std::make_shared<ExploreArgs>();
  command.add_option("pattern", args->pattern, "Scenario name or glob, or 'all'")->required();
  command
      .add_option_function<std::string>(
          "--for",
          [args](const std::string& text) { args->options.budget = parse_duration("--for", text); },
          "How long to explore (wall clock): 90s, 5m, 2h")
      ->required();
  command.add_option("--out", args->options.out, "Directory for state.json and findings/")
      ->required();
  add_seed_option(command, "--seed", args->options.first,
                  "First seed of the explored stream (decimal or 0x hex)");
  add_jobs_option(command, args->options.jobs);
  command.add_flag("--no-swarm", args->no_swarm, "Every seed runs its full fault plan");
  command.add_option("--max-findings", args->options.max_findings,
                     "At most this many finding files in --out, over all runs")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  return [args, &context] { return run_explore(*args, context); };
}

}  // namespace

Command explore_command() {
  return {"explore", "Run fresh seeds until the time is up; keep each new failure", declare_explore};
}

}  // namespace faultline::harness::cli
