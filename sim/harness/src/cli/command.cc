#include "faultline/harness/cli_command.h"

#include <fmt/format.h>
#include <unistd.h>

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

CLI::Option* add_seed_option(CLI::App& command, const std::string& flag, std::uint64_t& seed,
                             const std::string& description) {
  return command.add_option_function<std::string>(
      flag, [flag, &seed](const std::string& text) { seed = parse_seed(flag, text); }, description);
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
