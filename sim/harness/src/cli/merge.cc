// `merge [--json] FILE...`: combines the `run --json` reports of a sharded sweep (one file per
// shard, or one file of them all) into one report per scenario, as the unsharded run would have
// printed it (report.h: merge). Exit status: 0 when every merged verdict is the expected one,
// 1 when one differs, 2 when a file cannot be read, a line is not a report (file and line are
// named), or the shards do not add up to whole sweeps.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "faultline/harness/cli.h"
#include "faultline/harness/report.h"

namespace faultline::harness::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> files;
  bool json = false;
};

// Appends the reports in `path` to `reports`, or returns what was wrong, naming file and line.
std::optional<std::string> read_reports(const std::string& path,
                                        std::vector<ScenarioReport>& reports) {
  std::ifstream in(path);
  if (!in) return fmt::format("merge: cannot read {}", path);
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = report_from_json(line);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      return fmt::format("merge: {} line {}: {}", path, number, *error);
    }
    reports.push_back(std::get<ScenarioReport>(std::move(parsed)));
  }
  return std::nullopt;
}

int merge_files(const MergeArgs& args) {
  std::vector<ScenarioReport> reports;
  for (const std::string& path : args.files) {
    if (auto error = read_reports(path, reports)) {
      std::cerr << *error << "\n";
      return kExitUsage;
    }
  }
  auto merged = merge(reports);
  if (auto* error = std::get_if<std::string>(&merged)) {
    std::cerr << "merge: " << *error << "\n";
    return kExitUsage;
  }
  bool all_expected = true;
  for (const ScenarioReport& report : std::get<std::vector<ScenarioReport>>(merged)) {
    std::cout << (args.json ? to_json(report) : to_text(report)) << "\n";
    all_expected = report.as_expected() && all_expected;
  }
  return all_expected ? kExitAsExpected : kExitVerdictDiffers;
}

Run declare_merge(CLI::App& command, const Context& /*context*/) {
  auto args = std::make_shared<MergeArgs>();
  command.add_option("files", args->files, "Files of `run --json` lines, one per shard")
      ->required();
  command.add_flag("--json", args->json, "Print one JSON object per scenario");
  return [args] { return merge_files(*args); };
}

}  // namespace

Command merge_command() {
  return {"merge", "Merge the JSON reports of a sharded sweep into one", declare_merge};
}

}  // namespace faultline::harness::cli
