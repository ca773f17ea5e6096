// The harness's command line as a library: a program that holds its own scenarios gets the
// same commands, flags, progress output and exit statuses as `faultline`, in a few lines.
//
//   int main(int argc, char** argv) {
//     faultline::harness::Catalogue catalogue;
//     catalogue.add(std::make_unique<InventoryScenario>());
//     return faultline::harness::run_cli(argc, argv, catalogue, {.program = "inventory-sim"});
//   }
//
// Commands:
//   list                                  the scenarios, their expected verdicts and claims
//   run PATTERN [--seeds N] [--seed S] [--jobs J] [--shard I/N|auto|auto/N] [--swarm] [--json]
//                                         sweep each scenario the glob selects; check verdicts
//   replay SCENARIO --seed S [--swarm] [--shrink] [--plan FILE] [--html FILE]
//                                         one seed again: its witness, timeline and verdict
//   explore PATTERN --for DURATION --out DIR [--jobs J] [--no-swarm] [--max-findings N]
//                                         fresh seeds until the time is up; new failures to DIR
//   merge [--json] FILE...                combine the `run --json` reports of a sharded sweep
//   check --model M FILE [--max-steps N]  is a recorded history linearizable
// plus CliOptions::extra_commands (cli_command.h).
//
// Exit status: 0 when every verdict is the expected one, 1 when one differs, 2 on bad usage or
// unreadable input. `check`: 0 linearizable, 1 not, 2 unreadable, 3 unknown (budget spent).
// Thread-safety: run_cli runs on the calling thread and starts its own sweep workers.
#pragma once

#include <string>
#include <vector>

#include "faultline/harness/catalogue.h"
#include "faultline/harness/cli_command.h"

namespace faultline::harness {

struct CliOptions {
  // How replay commands name the program; empty: argv[0], as it was typed.
  std::string program{};
  std::string description = "a faultline harness: scenarios under a deterministic simulator";
  std::vector<cli::Command> extra_commands{};
};

[[nodiscard]] int run_cli(int argc, char** argv, const Catalogue& catalogue,
                          const CliOptions& options = {});

namespace cli {
// The built-in commands, in the order run_cli adds them.
[[nodiscard]] Command list_command();
[[nodiscard]] Command run_command();
[[nodiscard]] Command replay_command();
[[nodiscard]] Command explore_command();
[[nodiscard]] Command merge_command();
[[nodiscard]] Command check_command();
}  // namespace cli

}  // namespace faultline::harness
