#include "scenarios/resilience/family.h"

#include "scenarios/resilience/backoff_contention.h"
#include "scenarios/resilience/resilience_scenarios.h"

namespace faultline::scenarios {

void add_resilience_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  all.push_back(make_backoff_contention_scenario());
  all.push_back(make_breaker_outage_scenario());
  all.push_back(make_retry_storm_scenario(/*budgeted=*/true));
  all.push_back(make_retry_storm_scenario(/*budgeted=*/false));
  all.push_back(make_bulkhead_isolation_scenario());
  all.push_back(make_pipeline_outage_scenario());
  all.push_back(make_non_retryable_hazard());
  all.push_back(make_retry_outside_breaker_hazard());
}

}  // namespace faultline::scenarios
