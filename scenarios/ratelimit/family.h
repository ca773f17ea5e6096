// The rate-limit family's scenarios (scenarios/ratelimit/): limiters shared by application
// instances whose clocks disagree, each claim with the hazards one mistake away from it,
// appended to the catalogue in a stable order.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_ratelimit_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
