// `list`: every scenario of the catalogue, its expected verdict and what it claims.
#include <fmt/format.h>

#include <iostream>

#include "faultline/harness/cli.h"

namespace faultline::harness::cli {
namespace {

int list_scenarios(const Catalogue& catalogue) {
  for (const auto& s : catalogue) {
    std::cout << fmt::format("{:<24} {:<22} {}\n", s->name(), expect_text(s->expect()),
                             s->description());
  }
  return kExitAsExpected;
}

Run declare_list(CLI::App& /*command*/, const Context& context) {
  return [&catalogue = context.catalogue] { return list_scenarios(catalogue); };
}

}  // namespace

Command list_command() { return {"list", "List the scenarios", declare_list}; }

}  // namespace faultline::harness::cli
