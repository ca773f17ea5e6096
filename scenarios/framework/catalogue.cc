// The catalogue: every family's scenarios, family by family. A new family adds its folder
// (scenarios/<family>/family.h) and one line here.
#include "scenarios/framework/scenario.h"
#include "scenarios/locks/family.h"
#include "scenarios/resilience/family.h"

namespace faultline::scenarios {

std::vector<std::unique_ptr<Scenario>> catalogue() {
  std::vector<std::unique_ptr<Scenario>> all;
  add_lock_scenarios(all);
  add_resilience_scenarios(all);
  return all;
}

std::unique_ptr<Scenario> find_scenario(const std::string& name) {
  for (auto& scenario : catalogue()) {
    if (scenario->name() == name) return std::move(scenario);
  }
  return nullptr;
}

}  // namespace faultline::scenarios
