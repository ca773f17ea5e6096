// The rate-limit family's claims as RapidCheck properties over generated fault plans (lost,
// delayed and duplicated messages, lost replies, pauses, partitions, the store's outages for
// the outage claim; the instances' clocks
// skewed, drifting and stepped as each seed draws them), and the hazards one mistake away
// failing the same property: the runs are strong enough to break what is unsafe.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>

#include "faultline/harness/rapidcheck.h"
#include "scenarios/framework/catalogue.h"
#include "tests/support/catalogue_params.h"

namespace faultline::scenarios {
namespace {

RC_GTEST_PROP(SharedSlidingLog, NeverOverTheLimitInAnyWindowUnderAnyGeneratedPlan, ()) {
  harness::check_generated_plan(catalogue_scenario("ratelimit/shared-sliding-log"), "faultline");
}

RC_GTEST_PROP(SharedGcra, WithinLimitPlusDOverTUnderAnyGeneratedPlan, ()) {
  harness::check_generated_plan(catalogue_scenario("ratelimit/shared-gcra"), "faultline");
}

RC_GTEST_PROP(TieredLimits, EveryTierWithinItsLimitAndChargedAllOrNothingUnderAnyGeneratedPlan,
              ()) {
  harness::check_generated_plan(catalogue_scenario("ratelimit/tiered-limits"), "faultline");
}

RC_GTEST_PROP(OutageFallback, StoreAndFallbacksEachWithinTheLimitUnderAnyGeneratedPlan, ()) {
  harness::check_generated_plan(catalogue_scenario("ratelimit/outage-fallback"), "faultline");
}

// Each hazard fails the property it is one mistake away from.
void expect_broken(const std::string& name) {
  const bool held = rc::check(name + " (expected to fail)", [&name] {
    harness::check_generated_plan(catalogue_scenario(name), "faultline");
  });
  EXPECT_FALSE(held) << "no generated run broke " << name;
}

TEST(RateLimitHazards, GeneratedRunsBreakEachMistake) {
  expect_broken("ratelimit/read-then-write");
  expect_broken("ratelimit/app-clock-limiter");
  expect_broken("ratelimit/fixed-window-boundary");
  expect_broken("ratelimit/in-memory-counters");
  expect_broken("ratelimit/tier-by-tier");
  expect_broken("ratelimit/outage-fail-open");
  expect_broken("ratelimit/outage-full-share");
}

}  // namespace
}  // namespace faultline::scenarios
