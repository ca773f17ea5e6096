#include "scenarios/locks/family.h"

#include "scenarios/locks/anti_pattern_scenarios.h"
#include "scenarios/locks/keeper_scenarios.h"
#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/locks/pg_scenarios.h"
#include "scenarios/locks/redlock_scenarios.h"

namespace faultline::scenarios {
namespace {

void add_specs(std::vector<std::unique_ptr<Scenario>>& all, std::vector<LockScenarioSpec> specs) {
  for (LockScenarioSpec& spec : specs) all.push_back(std::make_unique<LockScenario>(std::move(spec)));
}

}  // namespace

void add_lock_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  all.push_back(std::make_unique<LeaseLockScenario>(/*fenced=*/true));
  all.push_back(std::make_unique<LeaseLockScenario>(/*fenced=*/false));
  all.push_back(std::make_unique<LockScenario>(failover_spec()));
  all.push_back(std::make_unique<LockScenario>(counter_rollback_spec()));
  add_specs(all, redlock_specs());
  add_specs(all, pg_advisory_specs());
  add_specs(all, anti_pattern_specs());
  add_specs(all, keeper_specs());
}

}  // namespace faultline::scenarios
