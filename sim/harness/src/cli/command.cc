#include "faultline/harness/cli_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <iostream>

namespace faultline::harness::cli {

std::vector<std::pair<CLI::App*, Run>> add_commands(CLI::App& parent,
                                                    std::span<const Command> commands,
                                                    const Context& context) {
  std::vector<std::pair<CLI::App*, Run>> added;
  added.reserve(commands.size());
  for (const Command& command : commands) {
    CLI::App* sub = parent.add_subcommand(command.name, command.description);
    added.emplace_back(sub, command.declare(*sub, context));
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

std::chrono::milliseconds parse_duration(std::string_view flag, const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  if (unit == "ms") ms_per_unit = 1;
  if (unit == "m" || unit == "min") ms_per_unit = 60'000;
  if (unit == "h") ms_per_unit = 3'600'000;
  if (used == 0 || ms_per_unit == 0 || !(value > 0) || value * ms_per_unit > 1e12) {
    throw CLI::ValidationError(
        std::string(flag),
        fmt::format("not a duration: '{}' (a positive number and ms, s, m or h: 90s, 5m)", text));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * ms_per_unit));
}

CLI::Option* add_jobs_option(CLI::App& command, int& jobs) {
  return command.add_option("--jobs", jobs, "Worker threads")->check(CLI::Range(1, 256));
}

const Scenario* find_or_complain(const Context& context, const std::string& name) {
  const Scenario* scenario = context.catalogue.find(name);
  if (scenario == nullptr) {
    std::cerr << "unknown scenario '" << name << "' (see: " << context.program << " list)\n";
  }
  return scenario;
}

std::vector<const Scenario*> select_or_complain(const Context& context,
                                                const std::string& pattern) {
  std::vector<const Scenario*> chosen = context.catalogue.select(pattern);
  if (chosen.empty()) {
    std::cerr << "no scenario matches '" << pattern << "' (see: " << context.program
              << " list)\n";
  }
  return chosen;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace faultline::harness::cli
