// `replay SCENARIO --seed S [--swarm] [--shrink] [--plan FILE] [--html FILE]`: re-runs one seed
// and prints its fault plan, the timeline (a violation's witness first), the trace hash and the
// verdict. --swarm thins the plan as `run --swarm` did for that seed. --shrink replays the
// shrunk plan; --plan runs the plan in FILE (FaultPlan's text form, as replay prints it,
// edited) instead of the seed's own; --html also draws the timeline. Exit status: 0 when the
// verdict is the expected one, 1 when it differs, 2 on an unknown scenario, an unreadable plan
// or a plan naming a process the scenario does not have, or an unwritable --html file.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <variant>

#include "faultline/duration_text.h"
#include "faultline/harness/cli.h"
#include "faultline/harness/shrink.h"
#include "faultline/harness/sweep.h"

namespace faultline::harness::cli {
namespace {

struct ReplayArgs {
  std::string scenario;
  std::uint64_t seed = 0;
  bool shrink = false;
  bool swarm = false;
  std::string plan_path;
  std::string html_path;
};

// The plan in `path` (FaultPlan's text form), or a message naming the file, line and fault.
std::variant<sim::FaultPlan, std::string> read_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fmt::format("--plan: cannot read {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = sim::parse_plan(text.str());
  if (auto* error = std::get_if<sim::PlanParseError>(&parsed)) {
    return fmt::format("--plan {}: {}", path, error->to_string());
  }
  return std::get<sim::FaultPlan>(std::move(parsed));
}

void print_run(const Scenario& scenario, const ReplayArgs& args, const sim::FaultPlan& plan,
               const RunResult& result) {
  std::cout << fmt::format("scenario {} seed {} ({})\n", scenario.name(), hex(args.seed),
                           expect_text(scenario.expect()));
  std::cout << (args.shrink              ? "shrunk fault plan:\n"
                : args.plan_path.empty() ? "fault plan:\n"
                                         : "fault plan (from " + args.plan_path + "):\n")
            << plan.to_string() << "\n";
  std::cout << result.timeline << "\n";
  std::cout << result.summary << "\n";
  std::cout << fmt::format("trace hash {:#018x}, {} events, ended at {:.6f}s\n", result.trace_hash,
                           result.events, in_seconds(result.finished_at));
  if (result.violation) {
    std::cout << "VIOLATION: " << result.violation->message << "\n";
  } else {
    std::cout << "invariant held\n";
  }
}

bool write_html(const std::string& path, const std::string& html) {
  std::ofstream out(path);
  out << html;
  if (!out) {
    std::cerr << "could not write " << path << "\n";
    return false;
  }
  std::cout << "timeline picture written to " << path << "\n";
  return true;
}

int replay(const ReplayArgs& args, const Context& context) {
  const Scenario* scenario = find_or_complain(context, args.scenario);
  if (scenario == nullptr) return kExitUsage;
  sim::FaultPlan plan = plan_for(*scenario, args.seed, args.swarm);
  if (!args.plan_path.empty()) {
    auto read = read_plan(args.plan_path);
    if (auto* error = std::get_if<std::string>(&read)) {
      std::cerr << *error << "\n";
      return kExitUsage;
    }
    plan = std::get<sim::FaultPlan>(std::move(read));
  }
  RunOptions options;
  options.timeline = true;
  options.html = !args.html_path.empty();
  RunResult result;
  try {
    if (args.shrink) plan = shrink(*scenario, args.seed, plan).plan;
    result = scenario->run(args.seed, plan, options);
  } catch (const sim::UnknownTarget& e) {
    std::cerr << "--plan " << args.plan_path << ": " << e.what() << "\n";
    return kExitUsage;
  }
  print_run(*scenario, args, plan, result);
  if (!args.html_path.empty() && !write_html(args.html_path, result.html)) return kExitUsage;
  const bool hazard = scenario->expect() == Expect::kViolationFound;
  return result.violation.has_value() == hazard ? kExitAsExpected : kExitVerdictDiffers;
}

Run declare_replay(CLI::App& command, const Context& context) {
  auto args = std::make_shared<ReplayArgs>();
  command.add_option("scenario", args->scenario, "Scenario name")->required();
  add_seed_option(command, "--seed", args->seed, "The seed to replay (decimal or 0x hex)")
      ->required();
  command.add_flag("--swarm", args->swarm,
                   "The seed's swarm plan, as `run --swarm` ran it (some fault kinds off)");
  command.add_flag("--shrink", args->shrink,
                   "Replay the shrunk fault plan instead of the full one");
  command.add_option("--plan", args->plan_path,
                     "Run this fault plan (the text replay prints, edited) instead of the seed's");
  command.add_option("--html", args->html_path,
                     "Also write the timeline as a self-contained HTML picture");
  return [args, &context] { return replay(*args, context); };
}

}  // namespace

Command replay_command() { return {"replay", "Replay one seed and print its timeline", declare_replay}; }

}  // namespace faultline::harness::cli
