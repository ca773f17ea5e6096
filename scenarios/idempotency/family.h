// The idempotency family's scenarios (scenarios/idempotency/): idempotent requests with
// recovery points, and consumer dedup, each claim with the hazards one mistake away from it,
// appended to the catalogue in a stable order.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
