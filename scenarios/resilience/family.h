// The resilience family's scenarios (backoff, breaker, retry, bulkhead, pipeline, and the
// composition hazards), appended to the catalogue in a stable order.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_resilience_scenarios(std::vector<std::unique_ptr<Scenario>>& catalogue);

}  // namespace faultline::scenarios
