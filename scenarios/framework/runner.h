// The sweep and the shrinker of the harness (faultline/harness/), under the names the built-in
// catalogue's code and tests use.
#pragma once

#include "faultline/harness/shrink.h"
#include "faultline/harness/sweep.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

using harness::seed_at;
using harness::shrink;
using harness::Shrunk;
using harness::sweep;
using harness::SweepOptions;
using harness::SweepResult;

}  // namespace faultline::scenarios
