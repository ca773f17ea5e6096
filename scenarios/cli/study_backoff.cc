// `faultline study backoff [--trials N] [--clients FROM:TO:STEP] [--jobs J] [--json]`: the AWS
// jitter study (scenarios/backoff_contention.h), every strategy x client count, printed as a
// table of mean calls / mean completion time, or as JSON.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "scenarios/resilience/backoff_contention.h"
#include "scenarios/cli/commands.h"

namespace faultline::scenarios::cli {
namespace {

struct BackoffArgs {
  ContentionStudyOptions study;
  bool json = false;
};

// Reads --clients FROM:TO:STEP into `study`; throws CLI::ValidationError naming the flag and
// the text when it is malformed.
void parse_client_range(const std::string& text, ContentionStudyOptions& study) {
  const harness::cli::CountRange range = harness::cli::parse_count_range("--clients", text, 10'000);
  study.clients_from = range.from;
  study.clients_to = range.to;
  study.clients_step = range.step;
}

void print_table(const std::vector<ContentionPoint>& points, int trials) {
  const auto& strategies = study_strategies();
  std::cout << fmt::format(
      "mean calls (writes handled) and completion time (units) over {} trials\n", trials);
  std::cout << fmt::format("{:>7}", "clients");
  for (auto s : strategies) std::cout << fmt::format(" {:>21}", resilience::to_string(s));
  std::cout << "\n";
  const std::size_t rows = points.size() / strategies.size();
  for (std::size_t r = 0; r < rows; ++r) {
    std::cout << fmt::format("{:>7}", points[r].clients);
    for (std::size_t c = 0; c < strategies.size(); ++c) {
      const ContentionPoint& p = points[c * rows + r];
      std::cout << fmt::format(" {:>9.0f} / {:>9.0f}", p.calls, p.time);
    }
    std::cout << "\n";
  }
}

int study_backoff(const BackoffArgs& args) {
  const bool tty = stderr_is_terminal();
  auto progress = [](int done, int total) {
    std::fprintf(stderr, "\rbackoff study %d/%d trials", done, total);
    std::fflush(stderr);
  };
  const std::vector<ContentionPoint> points =
      run_contention_study(args.study, tty ? std::function<void(int, int)>(progress) : nullptr);
  if (tty) std::fprintf(stderr, "\n");
  if (args.json) {
    std::cout << contention_study_json(points) << std::endl;
  } else {
    print_table(points, args.study.trials);
  }
  return kExitAsExpected;
}

Run declare_study_backoff(CLI::App& command, const Context& /*context*/) {
  auto args = std::make_shared<BackoffArgs>();
  command.add_option("--trials", args->study.trials, "Trials per point")
      ->check(CLI::Range(1, 100'000));
  command.add_option_function<std::string>(
      "--clients", [args](const std::string& text) { parse_client_range(text, args->study); },
      "Client counts FROM:TO:STEP (default 10:190:10)");
  add_jobs_option(command, args->study.jobs);
  command.add_flag("--json", args->json,
                   "Print [{\"strategy\", \"clients\", \"calls\", \"time\"}, ...]");
  return [args] { return study_backoff(*args); };
}

}  // namespace

Command backoff_study() { return {"backoff", "AWS's 2015 jitter study", declare_study_backoff}; }

}  // namespace faultline::scenarios::cli
