// `faultline study NAME [options]`: runs one of the studies (studies.cc lists them) and prints
// its table. Each study is a subcommand of `study` with its own options; a name that is not a
// study is a usage error (exit 2) that lists the known ones.
#include <iostream>

#include "scenarios/cli/commands.h"

namespace faultline::scenarios::cli {
namespace {

// "backoff (AWS's 2015 jitter study), ...".
std::string known_studies() {
  std::string known;
  for (const Command& study : studies()) {
    if (!known.empty()) known += ", ";
    known += std::string(study.name) + " (" + study.description + ")";
  }
  return known;
}

Run declare_study(CLI::App& command, const Context& context) {
  // Takes the name when it is none of the studies' subcommands, so that it can be refused with
  // the list (CLI11 would only say that the argument was not expected).
  auto unknown = std::make_shared<std::string>();
  command.add_option("name", *unknown, "The study: one of the subcommands below");
  command.require_subcommand(0, 1);
  auto added =
      std::make_shared<std::vector<std::pair<CLI::App*, Run>>>(add_commands(command, studies(), context));
  return [unknown, added]() -> int {
    if (const Run* run = chosen(*added)) return (*run)();
    std::cerr << (unknown->empty() ? std::string("study: name a study")
                                   : "study: unknown study '" + *unknown + "'")
              << "; known: " << known_studies() << "\n";
    return kExitUsage;
  };
}

}  // namespace

Command study_command() { return {"study", "Run a study and print its table", declare_study}; }

}  // namespace faultline::scenarios::cli
