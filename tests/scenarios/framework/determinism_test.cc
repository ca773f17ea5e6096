// Determinism: one seed fixes a run. For both lease-lock scenarios, 100 seeds each run twice
// must agree on everything observable (trace hash, verdict, event count, end time, counters);
// different seeds must give different traces; rendering a timeline must not perturb the run.
#include <gtest/gtest.h>

#include <memory>
#include <algorithm>
#include <set>
#include <string>

#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/framework/runner.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {
namespace {

constexpr std::uint64_t kSeeds = 100;

std::string verdict(const RunResult& r) {
  return r.violation ? r.violation->message : std::string("<none>");
}

class Determinism : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scenario_ = find_scenario(GetParam());
    ASSERT_NE(scenario_, nullptr) << "scenario " << GetParam() << " is not in the catalogue";
  }
  // The lock scenarios are cheap per seed; the resilience ones run thousands of calls each, and
  // a dozen seeds already cover their draws (outages, floods, latencies) several times over.
  [[nodiscard]] std::uint64_t seeds() const {
    return GetParam().rfind("lease-lock/", 0) == 0 ? kSeeds : 12;
  }
  std::unique_ptr<Scenario> scenario_;
};

TEST_P(Determinism, SameSeedTwiceGivesTheSameRun) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t i = 0; i < seeds(); ++i) {
    const std::uint64_t seed = seed_at(1, i);
    SCOPED_TRACE("seed index " + std::to_string(i));
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
  }
  EXPECT_EQ(hashes.size(), seeds()) << "different seeds must give different traces";
}

TEST_P(Determinism, ExplicitPlanEqualsPlanForSeed) {
  // run(seed) is run(seed, plan_for_seed(seed)); the plan itself is a pure function of the seed.
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(10, seeds()); ++i) {
    const std::uint64_t seed = seed_at(1, i);
    const sim::FaultPlan plan = scenario_->plan_for_seed(seed);
    EXPECT_EQ(plan, scenario_->plan_for_seed(seed));
    EXPECT_EQ(scenario_->run(seed).trace_hash,
              scenario_->run(seed, plan, RunOptions{}).trace_hash);
  }
}

TEST_P(Determinism, RenderingTheTimelineDoesNotPerturbTheRun) {
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(20, seeds()); ++i) {
    const std::uint64_t seed = seed_at(1, i);
    SCOPED_TRACE("seed index " + std::to_string(i));
    const sim::FaultPlan plan = scenario_->plan_for_seed(seed);
    const RunResult plain = scenario_->run(seed, plan, RunOptions{});
    const RunResult drawn = scenario_->run(seed, plan, RunOptions{true, true});
    EXPECT_TRUE(plain.timeline.empty());
    ASSERT_FALSE(drawn.timeline.empty());
    ASSERT_FALSE(drawn.html.empty());
    EXPECT_EQ(plain.trace_hash, drawn.trace_hash);
    EXPECT_EQ(plain.events, drawn.events);
    EXPECT_EQ(verdict(plain), verdict(drawn));
  }
}

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

INSTANTIATE_TEST_SUITE_P(LeaseLock, Determinism,
                         ::testing::Values("lease-lock/fenced", "lease-lock/unfenced"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "lease-lock/fenced" ? std::string("fenced")
                                                                    : std::string("unfenced");
                         });

// The faults a process's silent death and a Redis AOF's lost tail bring are seeded too.
INSTANTIATE_TEST_SUITE_P(HalfOpenAndRollback, Determinism,
                         ::testing::Values("pg-advisory/half-open",
                                           "lease-lock/fenced-counter-rollback"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "pg-advisory/half-open"
                                      ? std::string("half_open")
                                      : std::string("counter_rollback");
                         });

// The resilience scenarios draw their outages, floods and latencies from the seed too.
INSTANTIATE_TEST_SUITE_P(Resilience, Determinism,
                         ::testing::Values("backoff/contention", "breaker/outage", "retry/storm",
                                           "retry/storm-unbudgeted", "bulkhead/isolation",
                                           "pipeline/outage", "retry/non-retryable",
                                           "retry/outside-breaker"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '/' || c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace faultline::scenarios
