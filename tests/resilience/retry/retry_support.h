// Backoff strategies, the retry policy and the retry budget, on a simulated process's clock
// (virtual time: sleeps are exact and cost nothing).
//
// The helpers shared by backoff_test.cc, retry_policy_test.cc, retry_budget_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <string>
#include <vector>
#include "faultline/resilience/backoff.h"
#include "faultline/resilience/retry.h"
#include "faultline/resilience/retry_budget.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::resilience {
namespace {

using namespace std::chrono_literals;
using sim::Process;
using sim::Rng;
using sim::World;


}  // namespace
}  // namespace faultline::resilience
