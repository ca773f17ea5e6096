// What every `faultline` command shares: how a command is declared and run, the exit statuses,
// and the options and output that several commands have in common.
//
// A command is a name, a one-line description and a Declare function. Declare adds the
// command's options to the CLI11 subcommand it is given (their values live in state the
// returned Run owns) and returns the Run that acts on them once the command line is parsed.
// main.cc wires the commands (add_commands, run_chosen); `study` wires its studies the same way
// (studies.h).
//
// Usage errors are CLI11 errors: an option that does not read throws CLI::ValidationError naming
// the flag and the text it was given, main reports it and exits kExitUsage.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios::cli {

// Exit statuses (`check` has its own, see check.cc).
inline constexpr int kExitAsExpected = 0;      // every verdict is the expected one
inline constexpr int kExitVerdictDiffers = 1;  // at least one verdict differs
inline constexpr int kExitUsage = 2;           // bad usage or unreadable input

// The first seed of a run when --seed is not given.
inline constexpr std::uint64_t kDefaultFirstSeed = 0x5EED;

using Run = std::function<int()>;
using Declare = Run (*)(CLI::App& command);

struct Command {
  const char* name;
  const char* description;
  Declare declare;
};

// Adds each of `commands` as a subcommand of `parent` and declares its options; returns each
// subcommand with its Run, in order.
[[nodiscard]] std::vector<std::pair<CLI::App*, Run>> add_commands(
    CLI::App& parent, std::span<const Command> commands);

// The Run of the subcommand the command line chose, or nullptr if it chose none.
[[nodiscard]] const Run* chosen(const std::vector<std::pair<CLI::App*, Run>>& commands);

// "0x5eed": seeds are printed in hex, ready to paste into --seed.
[[nodiscard]] std::string hex(std::uint64_t seed);

[[nodiscard]] const char* expect_text(Expect expect);

// A seed as typed: decimal, 0x hex (or 0-prefixed octal, as strtoull reads them). Throws
// CLI::ValidationError naming `flag` and `text` when it is not such a number or does not fit in
// 64 bits.
[[nodiscard]] std::uint64_t parse_seed(std::string_view flag, const std::string& text);

// Declares option `flag` (a seed, read with parse_seed as the command line is parsed) into
// `seed`, which keeps its value when the option is absent.
CLI::Option* add_seed_option(CLI::App& command, const std::string& flag, std::uint64_t& seed,
                             const std::string& description);

// Declares --jobs (worker threads, 1 to 256) into `jobs`.
CLI::Option* add_jobs_option(CLI::App& command, int& jobs);

// The scenario called `name`, or nullptr after telling stderr that there is none.
[[nodiscard]] std::unique_ptr<Scenario> find_or_complain(const std::string& name);

// Progress lines are drawn on stderr only when it is a terminal (and, for commands that print
// JSON, not in JSON mode): a redirected log stays clean.
[[nodiscard]] bool stderr_is_terminal();

}  // namespace faultline::scenarios::cli
