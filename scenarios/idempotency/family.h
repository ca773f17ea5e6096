// The idempotency family's scenarios (scenarios/idempotency/), added to the catalogue.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
