// The built-in catalogue: every family's scenarios, family by family, as a harness::Catalogue.
#pragma once

#include <memory>
#include <string>

#include "faultline/harness/catalogue.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

// Every built-in scenario, in a stable order (families in the order catalogue.cc adds them).
[[nodiscard]] harness::Catalogue catalogue();
// The built-in scenario called `name`, or null.
[[nodiscard]] std::unique_ptr<Scenario> find_scenario(const std::string& name);

}  // namespace faultline::scenarios
