// Every scenario of the catalogue delivers its verdict: each safety claim holds over a sweep of
// seeds; each hazard is found within a stated number of seeds, replays identically from its
// seed, and still fails after shrinking.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "scenarios/framework/runner.h"
#include "scenarios/framework/catalogue.h"
#include "tests/support/catalogue_params.h"

namespace faultline::scenarios {
namespace {

constexpr std::uint64_t kFirstSeed = 0x5EED;
// Under AddressSanitizer the simulator runs some fifty times slower: fewer seeds there (the
// normal build, and `faultline run all` in ctest, sweep many more; the sanitizers look for
// memory errors, which need code paths rather than seeds).
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kClaimSeeds = 10;
#else
constexpr std::uint64_t kClaimSeeds = 200;
#endif
// Hazards must show within this many seeds (the slowest, redlock/clock-step, takes about 135).
constexpr std::uint64_t kHazardSeeds = 600;

class CatalogueTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CatalogueTest, DeliversItsVerdict) {
  const std::unique_ptr<Scenario> scenario = find_scenario(GetParam());
  ASSERT_NE(scenario, nullptr);
  if (scenario->expect() == Expect::kHolds) {
    const SweepResult result = scenarios::sweep(
        *scenario, SweepOptions{.first = kFirstSeed, .count = kClaimSeeds});
    ASSERT_FALSE(result.first_violation.has_value())
        << GetParam() << " violated at seed " << result.first_violation->seed << ": "
        << result.first_violation->violation->message;
    EXPECT_EQ(result.seeds_run, kClaimSeeds);
    return;
  }
  const SweepResult result =
      scenarios::sweep(*scenario, SweepOptions{.first = kFirstSeed, .count = kHazardSeeds});
  ASSERT_TRUE(result.first_violation.has_value())
      << GetParam() << ": hazard not found in " << kHazardSeeds << " seeds";
  const RunResult& found = *result.first_violation;

  // Replays identically from the seed alone.
  const RunResult again = scenario->run(found.seed);
  const RunResult third = scenario->run(found.seed);
  ASSERT_TRUE(again.violation.has_value());
  EXPECT_EQ(again.violation->message, found.violation->message);
  EXPECT_EQ(again.trace_hash, found.trace_hash);
  EXPECT_EQ(third.trace_hash, found.trace_hash);

  // Shrinking keeps the violation and never grows the plan.
  const sim::FaultPlan original = scenario->plan_for_seed(found.seed);
  const Shrunk shrunk = shrink(*scenario, found.seed, original);
  ASSERT_TRUE(shrunk.result.violation.has_value());
  EXPECT_LE(shrunk.plan.faults.size(), original.faults.size());
  const RunResult replayed = scenario->run(found.seed, shrunk.plan, RunOptions{});
  ASSERT_TRUE(replayed.violation.has_value()) << "the shrunk plan must replay the violation";
  EXPECT_EQ(replayed.trace_hash, shrunk.result.trace_hash);
}

INSTANTIATE_TEST_SUITE_P(AllScenarios, CatalogueTest, ::testing::ValuesIn(catalogue_names()),
                         catalogue_test_name);

}  // namespace
}  // namespace faultline::scenarios

namespace faultline::scenarios {
namespace {

// The resilience scenarios take their outages from their plans: a hazard that an outage causes
// shrinks to a plan that names the outage (and replay shows it), one that needs no fault to a
// quiet plan.
TEST(ResilienceFaults, HazardsShrinkToTheirOutageOrToNothing) {
  const struct {
    const char* name;
    bool needs_outage;
  } cases[] = {{"retry/storm-unbudgeted", true},
               {"retry/outside-breaker", true},
               {"retry/non-retryable", false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::unique_ptr<Scenario> scenario = find_scenario(c.name);
    ASSERT_NE(scenario, nullptr);
    const SweepResult found =
        scenarios::sweep(*scenario, SweepOptions{.first = kFirstSeed, .count = kHazardSeeds});
    ASSERT_TRUE(found.first_violation.has_value());
    const std::uint64_t seed = found.first_violation->seed;
    const Shrunk shrunk = shrink(*scenario, seed, scenario->plan_for_seed(seed));
    const auto outages = std::count_if(
        shrunk.plan.faults.begin(), shrunk.plan.faults.end(),
        [](const sim::Fault& f) { return f.kind == sim::FaultKind::kOutage && f.target == "dep"; });
    if (c.needs_outage) {
      EXPECT_GE(outages, 1) << shrunk.plan.to_string();
    } else {
      EXPECT_TRUE(shrunk.plan.faults.empty()) << shrunk.plan.to_string();
    }
  }
}

// Without the plan's outages nothing breaks the dependency: the storm needs them.
TEST(ResilienceFaults, AQuietPlanHasNoStorm) {
  const std::unique_ptr<Scenario> scenario = find_scenario("retry/storm-unbudgeted");
  ASSERT_NE(scenario, nullptr);
  for (std::uint64_t i = 0; i < 5; ++i) {
    const RunResult r = scenario->run(seed_at(kFirstSeed, i), sim::FaultPlan{}, RunOptions{});
    EXPECT_FALSE(r.violation.has_value()) << r.violation->message;
  }
}

}  // namespace
}  // namespace faultline::scenarios
