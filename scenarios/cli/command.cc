#include "scenarios/cli/command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <iostream>

namespace faultline::scenarios::cli {

std::vector<std::pair<CLI::App*, Run>> add_commands(CLI::App& parent,
                                                    std::span<const Command> commands) {
  std::vector<std::pair<CLI::App*, Run>> added;
  added.reserve(commands.size());
  for (const Command& command : commands) {
    CLI::App* sub = parent.add_subcommand(command.name, command.description);
    added.emplace_back(sub, command.declare(*sub));
  }
  return added;
}

const Run* chosen(const std::vector<std::pair<CLI::App*, Run>>& commands) {
  for (const auto& [sub, run] : commands) {
    if (*sub) return &run;
  }
  return nullptr;
}

std::string hex(std::uint64_t seed) { return fmt::format("{:#x}", seed); }

const char* expect_text(Expect expect) {
  return expect == Expect::kHolds ? "must hold" : "hazard: must be found";
}

std::uint64_t parse_seed(std::string_view flag, const std::string& text) {
  const auto not_a_number = [&] {
    return CLI::ValidationError(std::string(flag),
                                fmt::format("not a number: '{}' (decimal or 0x hex)", text));
  };
  // strtoull alone would also take leading blanks and a sign ("-1" wrapping to 2^64 - 1): a
  // seed starts with a digit.
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front())) == 0) {
    throw not_a_number();
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long seed = std::strtoull(text.c_str(), &end, 0);
  if (end != text.c_str() + text.size()) throw not_a_number();
  if (errno == ERANGE) {
    throw CLI::ValidationError(std::string(flag),
                               fmt::format("'{}' is out of range for 64 bits", text));
  }
  return seed;
}

CLI::Option* add_seed_option(CLI::App& command, const std::string& flag, std::uint64_t& seed,
                             const std::string& description) {
  return command.add_option_function<std::string>(
      flag, [flag, &seed](const std::string& text) { seed = parse_seed(flag, text); }, description);
}

CLI::Option* add_jobs_option(CLI::App& command, int& jobs) {
  return command.add_option("--jobs", jobs, "Worker threads")->check(CLI::Range(1, 256));
}

std::unique_ptr<Scenario> find_or_complain(const std::string& name) {
  std::unique_ptr<Scenario> scenario = find_scenario(name);
  if (!scenario) std::cerr << "unknown scenario '" << name << "' (see: faultline list)\n";
  return scenario;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace faultline::scenarios::cli
