// Fuzzes parse_plan (fault_plan.h): any text gives a plan or a PlanParseError naming a line of
// the text and what was wrong; a plan that reads prints as text that reads back to the same plan.
#include <algorithm>

#include "faultline/sim/fault_plan.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {

int fuzz_fault_plan(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const auto parsed = sim::parse_plan(text);
  if (const auto* error = std::get_if<sim::PlanParseError>(&parsed)) {
    const auto lines = 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    require(error->line >= 1 && error->line <= lines, "parse_plan: error line off the text");
    require(!error->what.empty(), "parse_plan: error says nothing: " + error->to_string());
    return 0;
  }
  const sim::FaultPlan& plan = std::get<sim::FaultPlan>(parsed);
  const std::string printed = plan.to_string();
  const auto again = sim::parse_plan(printed);
  if (const auto* error = std::get_if<sim::PlanParseError>(&again)) {
    throw PropertyFailed("parse_plan: its own text does not read: " + error->to_string());
  }
  require(std::get<sim::FaultPlan>(again) == plan, "parse_plan: round trip differs:\n" + printed);
  return 0;
}

}  // namespace faultline::fuzz
