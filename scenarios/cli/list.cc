// `faultline list`: every scenario of the catalogue, its expected verdict and what it claims.
#include <fmt/format.h>

#include <iostream>

#include "scenarios/cli/commands.h"

namespace faultline::scenarios::cli {
namespace {

int list_scenarios() {
  for (const auto& s : catalogue()) {
    std::cout << fmt::format("{:<24} {:<22} {}\n", s->name(), expect_text(s->expect()),
                             s->description());
  }
  return kExitAsExpected;
}

Run declare(CLI::App& /*command*/) { return list_scenarios; }

}  // namespace

Command list_command() { return {"list", "List the scenarios", declare}; }

}  // namespace faultline::scenarios::cli
