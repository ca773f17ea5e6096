// The catalogue: every family's scenarios, family by family. A new family adds its folder
// (scenarios/<family>/family.h) and one line here.
#include "scenarios/framework/catalogue.h"

#include "scenarios/idempotency/family.h"
#include "scenarios/locks/family.h"
#include "scenarios/ratelimit/family.h"
#include "scenarios/resilience/family.h"

namespace faultline::scenarios {

harness::Catalogue catalogue() {
  std::vector<std::unique_ptr<Scenario>> all;
  add_lock_scenarios(all);
  add_resilience_scenarios(all);
  add_idempotency_scenarios(all);
  add_ratelimit_scenarios(all);
  return harness::Catalogue(std::move(all));
}

std::unique_ptr<Scenario> find_scenario(const std::string& name) {
  return catalogue().release(name);
}

}  // namespace faultline::scenarios
