// Determinism: one seed fixes a run. For every scenario of the catalogue, seeds run twice must
// agree on everything observable (trace hash, verdict, event count, end time, counters);
// different seeds must give different traces; run(seed) must equal a run given
// plan_for_seed(seed) explicitly; rendering a timeline must not perturb the run.
//
// Cost. A lock scenario's run is a few thousand events, a resilience scenario's tens of
// thousands, and under AddressSanitizer each costs some ten times more. So each check runs a
// scenario's seeds in order until an event budget is spent (SeedBudget): cheap scenarios get many
// seeds, costly ones few, and a new scenario gets its share without a line here. A run's event
// count is a function of its seed, so which seeds run never depends on the machine or the clock.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/framework/runner.h"
#include "scenarios/framework/catalogue.h"
#include "tests/support/catalogue_params.h"

namespace faultline::scenarios {
namespace {

// The sanitizer pass spends a sixteenth of the events of the normal build (every scenario still
// gets its minimum of seeds): it looks for memory errors, which the same code paths show at any
// seed, and at a quarter these checks were a third of its test time.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kBudgetDivisor = 16;
#else
constexpr std::uint64_t kBudgetDivisor = 1;
#endif

// Seeds seed_at(1, 0), seed_at(1, 1), ... while the events of the runs made so far stay under
// `events`, and always at least `min_seeds`, at most `max_seeds` of them. The events counted are
// one run's per seed, however many runs the check makes of it.
class SeedBudget {
 public:
  SeedBudget(std::uint64_t events, std::uint64_t min_seeds, std::uint64_t max_seeds)
      : events_(events / kBudgetDivisor), min_seeds_(min_seeds), max_seeds_(max_seeds) {}

  [[nodiscard]] bool more() const {
    return seeds_ < max_seeds_ && (seeds_ < min_seeds_ || spent_ < events_);
  }
  [[nodiscard]] std::uint64_t seed() const { return seed_at(1, seeds_); }
  void spend(std::uint64_t events) {
    spent_ += events;
    ++seeds_;
  }
  [[nodiscard]] std::uint64_t seeds() const { return seeds_; }

 private:
  std::uint64_t events_;
  std::uint64_t min_seeds_;
  std::uint64_t max_seeds_;
  std::uint64_t spent_ = 0;
  std::uint64_t seeds_ = 0;
};

// With these the lease-lock scenarios (about 3,000 events a run) get 100 seeds, Redlock's 20 to
// 55, the costliest resilience scenarios (over 30,000) about a dozen; the whole test takes about
// 20 s in the RelWithDebInfo build, and less than the hand-kept list of ten scenarios did under
// AddressSanitizer.
SeedBudget same_seed_budget() { return {400'000, 4, 100}; }
SeedBudget explicit_plan_budget() { return {60'000, 2, 10}; }
// Rendering costs more than the run: fewer events' worth.
SeedBudget render_budget() { return {60'000, 2, 20}; }

std::string verdict(const RunResult& r) {
  return r.violation ? r.violation->message : std::string("<none>");
}

class Determinism : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scenario_ = find_scenario(GetParam());
    ASSERT_NE(scenario_, nullptr) << "scenario " << GetParam() << " is not in the catalogue";
  }
  std::unique_ptr<Scenario> scenario_;
};

TEST_P(Determinism, SameSeedTwiceGivesTheSameRun) {
  std::set<std::uint64_t> hashes;
  SeedBudget budget = same_seed_budget();
  while (budget.more()) {
    const std::uint64_t seed = budget.seed();
    SCOPED_TRACE("seed index " + std::to_string(budget.seeds()));
    const RunResult a = scenario_->run(seed);
    const RunResult b = scenario_->run(seed);
    ASSERT_EQ(a.seed, seed);
    ASSERT_EQ(a.trace_hash, b.trace_hash);
    ASSERT_EQ(verdict(a), verdict(b));
    ASSERT_EQ(a.violation.has_value(), b.violation.has_value());
    if (a.violation) {
      ASSERT_EQ(a.violation->operation, b.violation->operation);
    }
    ASSERT_EQ(a.events, b.events);
    ASSERT_EQ(a.finished_at, b.finished_at);
    ASSERT_EQ(a.summary, b.summary);
    ASSERT_GT(a.events, 0u) << "the workload must actually run";
    hashes.insert(a.trace_hash);
    budget.spend(a.events);
  }
  EXPECT_EQ(hashes.size(), budget.seeds()) << "different seeds must give different traces";
  RecordProperty("seeds", std::to_string(budget.seeds()));
}

TEST_P(Determinism, ExplicitPlanEqualsPlanForSeed) {
  // run(seed) is run(seed, plan_for_seed(seed)); the plan itself is a pure function of the seed.
  SeedBudget budget = explicit_plan_budget();
  while (budget.more()) {
    const std::uint64_t seed = budget.seed();
    SCOPED_TRACE("seed index " + std::to_string(budget.seeds()));
    const sim::FaultPlan plan = scenario_->plan_for_seed(seed);
    EXPECT_EQ(plan, scenario_->plan_for_seed(seed));
    const RunResult implicit = scenario_->run(seed);
    EXPECT_EQ(implicit.trace_hash, scenario_->run(seed, plan, RunOptions{}).trace_hash);
    budget.spend(implicit.events);
  }
}

TEST_P(Determinism, RenderingTheTimelineDoesNotPerturbTheRun) {
  SeedBudget budget = render_budget();
  while (budget.more()) {
    const std::uint64_t seed = budget.seed();
    SCOPED_TRACE("seed index " + std::to_string(budget.seeds()));
    const sim::FaultPlan plan = scenario_->plan_for_seed(seed);
    const RunResult plain = scenario_->run(seed, plan, RunOptions{});
    const RunResult drawn = scenario_->run(seed, plan, RunOptions{true, true});
    EXPECT_TRUE(plain.timeline.empty());
    ASSERT_FALSE(drawn.timeline.empty());
    ASSERT_FALSE(drawn.html.empty());
    EXPECT_EQ(plain.trace_hash, drawn.trace_hash);
    EXPECT_EQ(plain.events, drawn.events);
    EXPECT_EQ(verdict(plain), verdict(drawn));
    budget.spend(plain.events);
  }
}

INSTANTIATE_TEST_SUITE_P(AllScenarios, Determinism, ::testing::ValuesIn(catalogue_names()),
                         catalogue_test_name);

TEST(DeterminismAcrossScenarios, FencedAndUnfencedDifferForTheSameSeed) {
  // The register's fencing is part of the run: the same seed must not hash alike across the two
  // variants (or the hash would be blind to what the storage does).
  const LeaseLockScenario fenced(true);
  const LeaseLockScenario unfenced(false);
  EXPECT_EQ(fenced.plan_for_seed(42), unfenced.plan_for_seed(42));
  int differing = 0;
  for (std::uint64_t i = 0; i < 20; ++i) {
    const std::uint64_t seed = seed_at(1, i);
    differing += fenced.run(seed).trace_hash != unfenced.run(seed).trace_hash ? 1 : 0;
  }
  EXPECT_GT(differing, 0);
}

}  // namespace
}  // namespace faultline::scenarios
