// faultline: the command line over the scenario catalogue.
//
//   faultline list
//   faultline run SCENARIO|all [--seeds N] [--seed S] [--jobs J] [--json]
//   faultline replay SCENARIO --seed S [--shrink] [--plan FILE] [--html FILE]
//   faultline check --model cas-register|kv|mutex FILE   (see scenarios/check_command.h)
//   faultline study backoff [--trials N] [--clients FROM:TO:STEP] [--jobs J] [--json]
//
// Exit status: 0 when every verdict is the expected one, 1 when one differs, 2 on bad usage.
// `check`: 0 linearizable, 1 not, 2 unreadable input, 3 unknown (step budget exhausted).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <variant>

#include "scenarios/resilience/backoff_contention.h"
#include "scenarios/check_command.h"
#include "scenarios/framework/runner.h"
#include "scenarios/framework/scenario.h"

namespace fs = faultline::scenarios;

namespace {

constexpr std::uint64_t kDefaultFirstSeed = 0x5EED;

std::string hex(std::uint64_t seed) { return fmt::format("{:#x}", seed); }

std::uint64_t parse_seed(const std::string& text) {
  std::size_t used = 0;
  const std::uint64_t seed = std::stoull(text, &used, 0);
  if (used != text.size()) throw CLI::ValidationError("--seed", "not a number: " + text);
  return seed;
}

const char* expect_text(fs::Expect e) {
  return e == fs::Expect::kHolds ? "must hold" : "hazard: must be found";
}

// A plan with no fault at all: nothing scheduled, no message fault.
bool needs_no_fault(const faultline::sim::FaultPlan& plan) {
  const faultline::sim::NetworkFaults& n = plan.network;
  return plan.faults.empty() && n.request_loss_ppm == 0 && n.reply_loss_ppm == 0 &&
         n.duplicate_ppm == 0 && n.spike_ppm == 0;
}

// The plan in `path` (FaultPlan's text form), or a message naming the file, line and fault.
std::variant<faultline::sim::FaultPlan, std::string> read_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fmt::format("--plan: cannot read {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = faultline::sim::parse_plan(text.str());
  if (auto* error = std::get_if<faultline::sim::PlanParseError>(&parsed)) {
    return fmt::format("--plan {}: {}", path, error->to_string());
  }
  return std::get<faultline::sim::FaultPlan>(std::move(parsed));
}

struct Outcome {
  bool as_expected = false;
  nlohmann::json json;
};

Outcome run_one(const fs::Scenario& scenario, std::uint64_t first, std::uint64_t seeds, int jobs,
                bool json_mode) {
  const bool hazard = scenario.expect() == fs::Expect::kViolationFound;
  const bool tty = isatty(STDERR_FILENO) == 1 && !json_mode;
  auto progress = [&](std::uint64_t done, std::uint64_t count) {
    std::fprintf(stderr, "\r%-24s %llu/%llu seeds", scenario.name().c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(count));
    std::fflush(stderr);
  };
  fs::SweepResult sweep =
      fs::sweep(scenario, first, seeds, jobs, /*stop_at_violation=*/true,
                tty ? std::function<void(std::uint64_t, std::uint64_t)>(progress) : nullptr);
  if (tty) std::fprintf(stderr, "\r%60s\r", "");

  Outcome outcome;
  const bool found = sweep.first_violation.has_value();
  outcome.as_expected = hazard ? found : !found;
  nlohmann::json& j = outcome.json;
  j["scenario"] = scenario.name();
  j["expect"] = hazard ? "violation_found" : "holds";
  j["seeds_run"] = sweep.seeds_run;
  j["first_seed"] = hex(first);
  j["as_expected"] = outcome.as_expected;
  j["seeds_per_second"] = static_cast<double>(sweep.seeds_run) / std::max(sweep.wall_seconds, 1e-9);
  j["events"] = sweep.events;

  std::string text = fmt::format("{:<24} ", scenario.name());
  if (!found) {
    j["verdict"] = "held";
    text += fmt::format("{} held for {} seeds ({:.0f} seeds/s)", outcome.as_expected ? "ok  " : "FAIL",
                        sweep.seeds_run, j["seeds_per_second"].get<double>());
    if (hazard) text += "  -- the hazard was NOT found";
  } else {
    const fs::RunResult& v = *sweep.first_violation;
    j["verdict"] = "violated";
    j["seed"] = hex(v.seed);
    j["seeds_until_found"] = sweep.first_violation_index + 1;
    j["violation"] = v.violation->message;
    fs::Shrunk shrunk = fs::shrink(scenario, v.seed, scenario.plan_for_seed(v.seed));
    j["shrunk_plan"] = shrunk.plan.to_string();
    j["replay"] = fmt::format("faultline replay {} --seed {}", scenario.name(), hex(v.seed));
    text += fmt::format("{} violation found at seed {} after {} seeds\n",
                        outcome.as_expected ? "ok  " : "FAIL", hex(v.seed),
                        sweep.first_violation_index + 1);
    text += fmt::format("    {}\n", v.violation->message);
    if (needs_no_fault(shrunk.plan)) {
      text += fmt::format("    needs no fault: it shows on a quiet network with nothing scheduled "
                          "(shrunk in {} runs)\n", shrunk.runs);
    } else {
      text += fmt::format("    shrunk fault plan ({} runs):\n", shrunk.runs);
      std::istringstream plan_lines(shrunk.plan.to_string());
      for (std::string line; std::getline(plan_lines, line);) text += "      " + line + "\n";
    }
    text += fmt::format("    replay: faultline replay {} --seed {}  (add --shrink for the shrunk "
                        "plan, --html FILE for a picture)",
                        scenario.name(), hex(v.seed));
  }
  if (!json_mode) std::cout << text << std::endl;
  return outcome;
}

// Replays `seed` with its own plan, the plan in `plan_path` when given (an edited one), shrunk
// first when `shrink_plan`.
int replay(const fs::Scenario& scenario, std::uint64_t seed, bool shrink_plan,
           const std::string& plan_path, const std::string& html_path) {
  faultline::sim::FaultPlan plan = scenario.plan_for_seed(seed);
  if (!plan_path.empty()) {
    auto read = read_plan(plan_path);
    if (auto* error = std::get_if<std::string>(&read)) {
      std::cerr << *error << "\n";
      return 2;
    }
    plan = std::get<faultline::sim::FaultPlan>(std::move(read));
  }
  fs::RunOptions options;
  options.timeline = true;
  options.html = !html_path.empty();
  fs::RunResult result;
  try {
    if (shrink_plan) plan = fs::shrink(scenario, seed, plan).plan;
    result = scenario.run(seed, plan, options);
  } catch (const faultline::sim::UnknownTarget& e) {
    std::cerr << "--plan " << plan_path << ": " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("scenario {} seed {} ({})\n", scenario.name(), hex(seed),
                           expect_text(scenario.expect()));
  std::cout << (shrink_plan ? "shrunk fault plan:\n"
                            : plan_path.empty() ? "fault plan:\n"
                                                : "fault plan (from " + plan_path + "):\n")
            << plan.to_string() << "\n";
  std::cout << result.timeline << "\n";
  std::cout << result.summary << "\n";
  std::cout << fmt::format("trace hash {:#018x}, {} events, ended at {:.6f}s\n", result.trace_hash,
                           result.events,
                           static_cast<double>(result.finished_at.time_since_epoch().count()) / 1e9);
  if (result.violation) {
    std::cout << "VIOLATION: " << result.violation->message << "\n";
  } else {
    std::cout << "invariant held\n";
  }
  if (!html_path.empty()) {
    std::ofstream out(html_path);
    out << result.html;
    if (!out) {
      std::cerr << "could not write " << html_path << "\n";
      return 2;
    }
    std::cout << "timeline picture written to " << html_path << "\n";
  }
  const bool hazard = scenario.expect() == fs::Expect::kViolationFound;
  return result.violation.has_value() == hazard ? 0 : 1;
}

// `faultline study backoff`: the table (or JSON) of the AWS jitter study; see
// scenarios/backoff_contention.h.
int study_backoff(const fs::ContentionStudyOptions& options, bool json) {
  const bool tty = isatty(STDERR_FILENO) == 1;
  auto progress = [](int done, int total) {
    std::fprintf(stderr, "\rbackoff study %d/%d trials", done, total);
    std::fflush(stderr);
  };
  const std::vector<fs::ContentionPoint> points = fs::run_contention_study(
      options, tty ? std::function<void(int, int)>(progress) : nullptr);
  if (tty) std::fprintf(stderr, "\n");
  if (json) {
    std::cout << fs::contention_study_json(points) << std::endl;
    return 0;
  }
  const auto& strategies = fs::study_strategies();
  std::cout << fmt::format("mean calls (writes handled) and completion time (units) over {} trials\n",
                           options.trials);
  std::cout << fmt::format("{:>7}", "clients");
  for (auto s : strategies) std::cout << fmt::format(" {:>21}", faultline::resilience::to_string(s));
  std::cout << "\n";
  const std::size_t rows = points.size() / strategies.size();
  for (std::size_t r = 0; r < rows; ++r) {
    std::cout << fmt::format("{:>7}", points[r].clients);
    for (std::size_t c = 0; c < strategies.size(); ++c) {
      const fs::ContentionPoint& p = points[c * rows + r];
      std::cout << fmt::format(" {:>9.0f} / {:>9.0f}", p.calls, p.time);
    }
    std::cout << "\n";
  }
  return 0;
}

// Reads --clients FROM:TO:STEP into `options`; false (having said why) when it is malformed.
bool parse_client_range(const std::string& text, fs::ContentionStudyOptions& options) {
  int from = 0;
  int to = 0;
  int step = 0;
  char colon1 = 0;
  char colon2 = 0;
  std::istringstream in(text);
  if (!(in >> from >> colon1 >> to >> colon2 >> step) || colon1 != ':' || colon2 != ':' ||
      from < 1 || to < from || step < 1 || to > 10'000 || !in.eof()) {
    std::cerr << "--clients: expected FROM:TO:STEP with 1 <= FROM <= TO <= 10000 and "
                 "STEP >= 1, got '" << text << "'\n";
    return false;
  }
  options.clients_from = from;
  options.clients_to = to;
  options.clients_step = step;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"faultline: distributed-systems patterns under a deterministic, fault-injecting "
               "simulator"};
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "List the scenarios");

  auto* run = app.add_subcommand("run", "Run scenarios over many seeds and check their verdicts");
  std::string run_name;
  std::uint64_t seeds = 1000;
  std::string run_seed;
  int jobs = 1;
  bool json = false;
  run->add_option("scenario", run_name, "Scenario name, or 'all'")->required();
  run->add_option("--seeds", seeds, "How many seeds to try per scenario")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
  run->add_option("--seed", run_seed, "First seed (decimal or 0x hex); with --seeds 1, just it");
  run->add_option("--jobs", jobs, "Worker threads")->check(CLI::Range(1, 256));
  run->add_flag("--json", json, "Print one JSON object per scenario");

  auto* rep = app.add_subcommand("replay", "Replay one seed and print its timeline");
  std::string rep_name;
  std::string rep_seed;
  bool shrink_plan = false;
  std::string html;
  rep->add_option("scenario", rep_name, "Scenario name")->required();
  rep->add_option("--seed", rep_seed, "The seed to replay (decimal or 0x hex)")->required();
  rep->add_flag("--shrink", shrink_plan, "Replay the shrunk fault plan instead of the full one");
  std::string plan_file;
  rep->add_option("--plan", plan_file,
                  "Run this fault plan (the text replay prints, edited) instead of the seed's");
  rep->add_option("--html", html, "Also write the timeline as a self-contained HTML picture");

  auto* chk = app.add_subcommand("check", "Check that a recorded history is linearizable");
  std::string chk_model;
  std::string chk_file;
  faultline::sim::CheckOptions chk_options;
  chk->add_option("--model", chk_model, "The object's sequential model")
      ->required()
      ->check(CLI::IsMember({"cas-register", "kv", "mutex"}));
  chk->add_option("file", chk_file, "History: Jepsen log, EDN maps or JSON lines")->required();
  chk->add_option("--max-steps", chk_options.max_steps, "Search budget in model steps")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000'000}));

  auto* study = app.add_subcommand("study", "Run a study and print its table");
  std::string study_name;
  fs::ContentionStudyOptions study_options;
  std::string study_clients = "10:190:10";
  bool study_json = false;
  study->add_option("name", study_name, "The study: backoff (AWS's 2015 jitter study)")
      ->required()
      ->check(CLI::IsMember({"backoff"}));
  study->add_option("--trials", study_options.trials, "Trials per point")
      ->check(CLI::Range(1, 100'000));
  study->add_option("--clients", study_clients, "Client counts FROM:TO:STEP");
  study->add_option("--jobs", study_options.jobs, "Worker threads")->check(CLI::Range(1, 256));
  study->add_flag("--json", study_json,
                  "Print [{\"strategy\", \"clients\", \"calls\", \"time\"}, ...]");

  try {
    app.parse(argc, argv);
    if (*study) {
      if (!parse_client_range(study_clients, study_options)) return 2;
      return study_backoff(study_options, study_json);
    }
    if (*chk) return fs::run_check(chk_model, chk_file, std::cout, std::cerr, chk_options);
    if (*list) {
      for (const auto& s : fs::catalogue()) {
        std::cout << fmt::format("{:<24} {:<22} {}\n", s->name(), expect_text(s->expect()),
                                 s->description());
      }
      return 0;
    }
    if (*run) {
      const std::uint64_t first = run_seed.empty() ? kDefaultFirstSeed : parse_seed(run_seed);
      std::vector<std::unique_ptr<fs::Scenario>> chosen;
      if (run_name == "all") {
        chosen = fs::catalogue();
      } else if (auto s = fs::find_scenario(run_name)) {
        chosen.push_back(std::move(s));
      } else {
        std::cerr << "unknown scenario '" << run_name << "' (see: faultline list)\n";
        return 2;
      }
      bool all_expected = true;
      for (const auto& s : chosen) {
        Outcome o = run_one(*s, first, seeds, jobs, json);
        all_expected = all_expected && o.as_expected;
        if (json) std::cout << o.json.dump() << std::endl;
      }
      return all_expected ? 0 : 1;
    }
    if (*rep) {
      auto s = fs::find_scenario(rep_name);
      if (!s) {
        std::cerr << "unknown scenario '" << rep_name << "' (see: faultline list)\n";
        return 2;
      }
      return replay(*s, parse_seed(rep_seed), shrink_plan, plan_file, html);
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::invalid_argument&) {
    std::cerr << "--seed: not a number\n";
    return 2;
  } catch (const std::out_of_range&) {
    std::cerr << "--seed: out of range for 64 bits\n";
    return 2;
  }
  return 0;
}
