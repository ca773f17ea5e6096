// What every command of a harness command line shares (cli.h runs them): how a command is
// declared and run, the exit statuses, and the options and output several commands have in
// common. A program adds commands of its own (CliOptions::extra_commands) with these.
//
// A command is a name, a one-line description and a Declare function. Declare adds the
// command's options to the CLI11 subcommand it is given (their values live in state the
// returned Run owns) and returns the Run that acts on them once the command line is parsed.
// The Context says which catalogue the program holds and what it is called (for the replay
// commands it prints); it outlives every Run.
//
// Usage errors are CLI11 errors: an option that does not read throws CLI::ValidationError naming
// the flag and the text it was given, main reports it and exits kExitUsage.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/harness/catalogue.h"
#include "faultline/harness/cli_values.h"
#include "faultline/harness/sweep.h"

namespace faultline::harness::cli {

// Exit statuses (`check` has its own, see cli.h).
inline constexpr int kExitAsExpected = 0;      // every verdict is the expected one
inline constexpr int kExitVerdictDiffers = 1;  // at least one verdict differs
inline constexpr int kExitUsage = 2;           // bad usage or unreadable input

struct Context {
  const Catalogue& catalogue;
  std::string program;  // as replay commands name it
};

using Run = std::function<int()>;
using Declare = std::function<Run(CLI::App& command, const Context& context)>;

struct Command {
  std::string name;
  std::string description;
  Declare declare;
};

// Adds each of `commands` as a subcommand of `parent` and declares its options; returns each
// subcommand with its Run, in order.
[[nodiscard]] std::vector<std::pair<CLI::App*, Run>> add_commands(
    CLI::App& parent, std::span<const Command> commands, const Context& context);

// The Run of the subcommand the command line chose, or nullptr if it chose none.
[[nodiscard]] const Run* chosen(const std::vector<std::pair<CLI::App*, Run>>& commands);

// "0x5eed": seeds are printed in hex, ready to paste into --seed.
[[nodiscard]] std::string hex(std::uint64_t seed);

[[nodiscard]] const char* expect_text(Expect expect);

// Declares option `flag` (a seed, read with parse_seed (cli_values.h) as the command line is parsed) into
// `seed`, which keeps its value when the option is absent.
CLI::Option* add_seed_option(CLI::App& command, const std::string& flag, std::uint64_t& seed,
                             const std::string& description);

// Declares --jobs (worker threads, 1 to 256) into `jobs`.
CLI::Option* add_jobs_option(CLI::App& command, int& jobs);

// The scenario called `name`, or nullptr after telling stderr that there is none.
[[nodiscard]] const Scenario* find_or_complain(const Context& context, const std::string& name);
// The scenarios `pattern` selects (a name or a glob), or none after telling stderr so.
[[nodiscard]] std::vector<const Scenario*> select_or_complain(const Context& context,
                                                              const std::string& pattern);

// Progress lines are drawn on stderr only when it is a terminal (and, for commands that print
// JSON, not in JSON mode): a redirected log stays clean.
[[nodiscard]] bool stderr_is_terminal();

}  // namespace faultline::harness::cli
