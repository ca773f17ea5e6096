// The idempotency family's scenarios (consumer dedup and its Redis-only hazard), appended to
// the catalogue in a stable order.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& catalogue);

}  // namespace faultline::scenarios
