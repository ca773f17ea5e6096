// The built-in catalogue's view of the harness API (faultline/harness/): the names its
// scenario code uses, brought into faultline::scenarios, so that it reads as any user's would.
#pragma once

#include "faultline/harness/scenario.h"

namespace faultline::scenarios {

using harness::Expect;
using harness::RunOptions;
using harness::RunResult;
using harness::Scenario;
using harness::Violation;

}  // namespace faultline::scenarios
