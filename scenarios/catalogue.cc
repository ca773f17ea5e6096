#include "scenarios/anti_pattern_scenarios.h"
#include "scenarios/backoff_contention.h"
#include "scenarios/keeper_scenarios.h"
#include "scenarios/lease_lock_scenario.h"
#include "scenarios/pg_scenarios.h"
#include "scenarios/redlock_scenarios.h"
#include "scenarios/resilience_scenarios.h"
#include "scenarios/scenario.h"

namespace faultline::scenarios {

std::vector<std::unique_ptr<Scenario>> catalogue() {
  std::vector<std::unique_ptr<Scenario>> all;
  all.push_back(std::make_unique<LeaseLockScenario>(/*fenced=*/true));
  all.push_back(std::make_unique<LeaseLockScenario>(/*fenced=*/false));
  all.push_back(std::make_unique<LockScenario>(failover_spec()));
  all.push_back(std::make_unique<LockScenario>(counter_rollback_spec()));
  for (LockScenarioSpec& spec : redlock_specs()) {
    all.push_back(std::make_unique<LockScenario>(std::move(spec)));
  }
  for (LockScenarioSpec& spec : pg_advisory_specs()) {
    all.push_back(std::make_unique<LockScenario>(std::move(spec)));
  }
  for (LockScenarioSpec& spec : anti_pattern_specs()) {
    all.push_back(std::make_unique<LockScenario>(std::move(spec)));
  }
  for (LockScenarioSpec& spec : keeper_specs()) {
    all.push_back(std::make_unique<LockScenario>(std::move(spec)));
  }
  all.push_back(make_backoff_contention_scenario());
  all.push_back(make_breaker_outage_scenario());
  all.push_back(make_retry_storm_scenario(/*budgeted=*/true));
  all.push_back(make_retry_storm_scenario(/*budgeted=*/false));
  all.push_back(make_bulkhead_isolation_scenario());
  all.push_back(make_pipeline_outage_scenario());
  all.push_back(make_non_retryable_hazard());
  all.push_back(make_retry_outside_breaker_hazard());
  return all;
}

std::unique_ptr<Scenario> find_scenario(const std::string& name) {
  for (auto& scenario : catalogue()) {
    if (scenario->name() == name) return std::move(scenario);
  }
  return nullptr;
}

}  // namespace faultline::scenarios
