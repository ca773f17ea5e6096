// faultline: the command line over the scenario catalogue. One file per command in this folder;
// this one only wires them as CLI11 subcommands.
//
//   faultline list
//   faultline run SCENARIO|all [--seeds N] [--seed S] [--jobs J] [--json]
//   faultline replay SCENARIO --seed S [--shrink] [--plan FILE] [--html FILE]
//   faultline check --model cas-register|kv|mutex FILE [--max-steps N]
//   faultline study NAME [options]        (studies.cc lists the studies; backoff so far)
//
// Exit status: 0 when every verdict is the expected one, 1 when one differs, 2 on bad usage.
// `check`: 0 linearizable, 1 not, 2 unreadable input, 3 unknown (step budget exhausted).
#include "scenarios/cli/commands.h"

namespace cli = faultline::scenarios::cli;

int main(int argc, char** argv) {
  CLI::App app{
      "faultline: distributed-systems patterns under a deterministic, fault-injecting simulator"};
  app.require_subcommand(1);
  const cli::Command commands[] = {cli::list_command(), cli::run_command(), cli::replay_command(),
                                   cli::check_command(), cli::study_command()};
  const auto added = cli::add_commands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kExitAsExpected : cli::kExitUsage;
  }
  const cli::Run* run = cli::chosen(added);
  return run != nullptr ? (*run)() : cli::kExitUsage;  // require_subcommand(1): always one
}
