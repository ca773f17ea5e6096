// The lock family's scenarios (lease lock, Redlock, PostgreSQL advisory locks, lease keeper, the
// anti-patterns), appended to the catalogue in a stable order.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_lock_scenarios(std::vector<std::unique_ptr<Scenario>>& catalogue);

}  // namespace faultline::scenarios
