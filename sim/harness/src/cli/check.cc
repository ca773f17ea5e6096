// `check --model cas-register|kv|mutex FILE [--max-steps N]`: is a recorded history
// linearizable?
//
// The file's format is detected from its content (Jepsen log lines, EDN maps or faultline's JSON
// lines; see sim/history_formats.h). Exit status: 0 linearizable; 1 not linearizable (the
// longest linearizable prefix and the operation that could not be linearized next are printed
// to stdout); 2 unreadable input, unknown model or invalid operations (the line number and what
// was expected there go to stderr); 3 unknown (the step budget ran out).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability.h"
#include "faultline/sim/linearizability_models.h"
#include "faultline/harness/cli.h"

namespace faultline::harness::cli {
namespace {

constexpr int kCheckLinearizable = 0;
constexpr int kCheckNotLinearizable = 1;
constexpr int kCheckBadInput = kExitUsage;
constexpr int kCheckUnknown = 3;

struct CheckArgs {
  std::string model;
  std::string file;
  sim::CheckOptions options;
};

// The file's whole content, or nullopt after saying why on stderr.
std::optional<std::string> read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << fmt::format("{}: cannot read the file\n", file);
    return std::nullopt;
  }
  return std::move(text).str();
}

int exit_status(sim::Verdict verdict) {
  switch (verdict) {
    case sim::Verdict::kLinearizable: return kCheckLinearizable;
    case sim::Verdict::kNotLinearizable: return kCheckNotLinearizable;
    case sim::Verdict::kUnknown: return kCheckUnknown;
  }
  return kCheckUnknown;
}

int check(const CheckArgs& args) {
  Result<std::unique_ptr<sim::Model>> model = sim::make_model(args.model);
  if (!model) {
    std::cerr << model.error().message << "\n";
    return kCheckBadInput;
  }
  const std::optional<std::string> content = read_file(args.file);
  if (!content) return kCheckBadInput;
  Result<sim::HistoryFormat> format = sim::detect_history_format(*content);
  if (!format) {
    std::cerr << fmt::format("{}: {}\n", args.file, format.error().message);
    return kCheckBadInput;
  }
  Result<std::vector<sim::LinOp>> ops = sim::parse_history(*content);
  if (!ops) {
    std::cerr << fmt::format("{}: {}\n", args.file, ops.error().message);
    return kCheckBadInput;
  }
  Result<sim::CheckResult> result = sim::check_linearizable(*ops, **model, args.options);
  if (!result) {
    std::cerr << fmt::format("{}: {}\n", args.file, result.error().message);
    return kCheckBadInput;
  }
  std::cout << fmt::format("{} ({}, {} operations, model {}): {}\n", args.file,
                           sim::to_string(*format), ops->size(), args.model, result->explanation);
  return exit_status(result->verdict);
}

Run declare_check(CLI::App& command, const Context& /*context*/) {
  auto args = std::make_shared<CheckArgs>();
  command.add_option("--model", args->model, "The object's sequential model")
      ->required()
      ->check(CLI::IsMember({"cas-register", "kv", "mutex"}));
  command.add_option("file", args->file, "History: Jepsen log, EDN maps or JSON lines")->required();
  command.add_option("--max-steps", args->options.max_steps, "Search budget in model steps")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000'000}));
  return [args] { return check(*args); };
}

}  // namespace

Command check_command() {
  return {"check", "Check that a recorded history is linearizable", declare_check};
}

}  // namespace faultline::harness::cli
