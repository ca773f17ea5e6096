#include "scenarios/ratelimit/family.h"

#include "scenarios/ratelimit/limit_scenarios.h"
#include "scenarios/ratelimit/outage_scenarios.h"
#include "scenarios/ratelimit/tiered_scenarios.h"

namespace faultline::scenarios {

void add_ratelimit_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  add_shared_limit_scenarios(all);
  add_tiered_limit_scenarios(all);
  add_outage_limit_scenarios(all);
}

}  // namespace faultline::scenarios
