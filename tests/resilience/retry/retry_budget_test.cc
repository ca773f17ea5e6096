// The retry budget.
#include "tests/resilience/retry/retry_support.h"

namespace faultline::resilience {
namespace {

// ---- the retry budget --------------------------------------------------------------------------

TEST(RetryBudget, RejectsBadOptionsNamingTheField) {
  World world(1);
  Process& p = world.add_process("p");
  EXPECT_NE(RetryBudget::create(p.clock(), {-0.1, 10, 100}).error().message.find("retry_budget.ratio"),
            std::string::npos);
  EXPECT_NE(RetryBudget::create(p.clock(), {0.1, -1, 100}).error().message.find("retry_budget.min_per_second"),
            std::string::npos);
  EXPECT_NE(RetryBudget::create(p.clock(), {0.1, 10, 0.5}).error().message.find("retry_budget.max_balance"),
            std::string::npos);
}

// Whatever the interleaving of calls, retries and time, the retries allowed never exceed the
// bound the header promises: max_balance + ratio * calls + min_per_second * elapsed.
RC_GTEST_PROP(RetryBudget, AllowedRetriesNeverExceedTheBound, ()) {
  World world(*rc::gen::arbitrary<std::uint64_t>());
  Process& p = world.add_process("p");
  world.start();
  // Arbitrary fractions, so that no rounding of millitokens can hide.
  const RetryBudgetOptions options{*rc::gen::inRange(0, 2'000'000) / 1e6,
                                   *rc::gen::inRange(0, 50'000) / 1e3,
                                   1.0 + *rc::gen::inRange(0, 20'000) / 1e3};
  RetryBudget budget = RetryBudget::create(p.clock(), options).value();
  const TimePoint start = p.clock().now();
  const auto steps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 3));
  for (int step : steps) {
    if (step == 0) {
      const int calls = *rc::gen::inRange(1, 5000);  // many calls, so rounding would add up
      for (int i = 0; i < calls; ++i) budget.on_call();
    }
    if (step == 1) (void)budget.try_spend();
    if (step == 2) world.run_until(world.now() + Duration(*rc::gen::inRange(0, 500'000'000)));
    const RetryBudgetMetrics m = budget.metrics();
    RC_ASSERT(static_cast<double>(m.retries_allowed) <=
              RetryBudget::retry_bound(options, m.calls, p.clock().now() - start) + 1e-9);
    RC_ASSERT(m.balance <= options.max_balance + 1e-9);
    RC_ASSERT(m.balance >= 0);
  }
}

TEST(RetryBudget, EarnsRetriesFromCallsAndFromTime) {
  World world(1);
  Process& p = world.add_process("p");
  world.start();
  RetryBudget budget = RetryBudget::create(p.clock(), {0.5, 2, 1}).value();
  EXPECT_TRUE(budget.try_spend());   // the starting balance
  EXPECT_FALSE(budget.try_spend());
  budget.on_call();
  EXPECT_FALSE(budget.try_spend());  // half a retry
  budget.on_call();
  EXPECT_TRUE(budget.try_spend());   // two calls at 0.5 each
  world.run_until(world.now() + 499ms);
  EXPECT_FALSE(budget.try_spend());  // 0.998 of a retry
  world.run_until(world.now() + 2ms);
  EXPECT_TRUE(budget.try_spend());   // 2 per second: one after 500 ms
}

}  // namespace
}  // namespace faultline::resilience
