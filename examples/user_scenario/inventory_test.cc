// The inventory scenarios as GoogleTest tests: each verdict over a seed sweep (200 seeds;
// FAULTLINE_SEEDS=5000 for more, FAULTLINE_JOBS=N for threads), and the claim as a RapidCheck
// property over generated fault plans, shrunk on failure.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>
#include <string>

#include "faultline/harness/gtest.h"
#include "faultline/harness/rapidcheck.h"
#include "scenarios.h"

namespace {

const faultline::harness::Scenario& scenario(const char* name) {
  static const faultline::harness::Catalogue catalogue = [] {
    faultline::harness::Catalogue c;
    inventory::add_scenarios(c);
    return c;
  }();
  const faultline::harness::Scenario* found = catalogue.find(name);
  if (found == nullptr) throw std::logic_error(std::string("no scenario ") + name);
  return *found;
}

TEST(Inventory, NoDoubleChargeNoOversell) {
  FAULTLINE_EXPECT_VERDICT(scenario("inventory/reserve"), "inventory-sim");
}

TEST(Inventory, WithoutIdempotencyKeyACustomerIsChargedTwice) {
  FAULTLINE_EXPECT_VERDICT(scenario("inventory/no-key"), "inventory-sim");
}

RC_GTEST_PROP(Inventory, ClaimHoldsUnderAnyGeneratedPlan, ()) {
  faultline::harness::check_generated_plan(scenario("inventory/reserve"), "inventory-sim");
}

}  // namespace
