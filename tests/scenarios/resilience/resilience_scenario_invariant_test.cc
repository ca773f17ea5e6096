// Every resilience scenario's invariant can fail: with the pattern it relies on switched off or
// broken (a Sabotage, resilience_scenarios.h), each scenario must report a violation within a
// few seeds, from the check the sabotage is meant for; and the same seed, unsabotaged, holds. A
// claim that held whatever the pattern did would say nothing. Also the breaker's bounds
// (breaker_bounds.h) those invariants are computed from.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "scenarios/resilience/backoff_contention.h"
#include "scenarios/resilience/breaker_bounds.h"
#include "scenarios/resilience/resilience_scenarios.h"
#include "scenarios/framework/runner.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;

// ---- the breaker's bounds, from its options alone ------------------------------------------

resilience::CircuitBreakerOptions breaker(std::uint32_t window, std::uint32_t minimum,
                                          double threshold) {
  resilience::CircuitBreakerOptions o;
  o.window_size = window;
  o.minimum_calls = minimum;
  o.failure_rate_threshold = threshold;
  o.permitted_calls_in_half_open = 2;
  o.wait_in_open = 300ms;
  o.wait_multiplier = 2;
  o.max_wait_in_open = 2s;
  return o;
}

TEST(BreakerBounds, FailuresToOpenIsTheRateOrTheMinimumWhicheverIsMore) {
  EXPECT_EQ(failures_to_open(breaker(10, 5, 50)), 5u);
  EXPECT_EQ(failures_to_open(breaker(10, 3, 100)), 10u);
  EXPECT_EQ(failures_to_open(breaker(4, 4, 30)), 4u);
  EXPECT_EQ(failures_to_open(breaker(10, 1, 25)), 3u);  // ceil(2.5)
}

TEST(BreakerBounds, OutageAttemptsCountOpenWaitsAsTheyGrow) {
  const resilience::CircuitBreakerOptions o = breaker(10, 5, 50);
  // 5 failures + 2 others in flight + 2 probes for each of 2 + k episodes.
  EXPECT_EQ(outage_attempt_bound(o, 3, 0ms), 11u);
  EXPECT_EQ(outage_attempt_bound(o, 3, 299ms), 11u);
  EXPECT_EQ(outage_attempt_bound(o, 3, 300ms), 13u);
  EXPECT_EQ(outage_attempt_bound(o, 3, 900ms), 15u);   // 300 + 600
  EXPECT_EQ(outage_attempt_bound(o, 3, 2100ms), 17u);  // + 1200
  EXPECT_EQ(outage_attempt_bound(o, 3, 4100ms), 19u);  // + 2000, the cap
  EXPECT_EQ(outage_attempt_bound(o, 3, 6100ms), 21u);  // + 2000
  EXPECT_EQ(outage_attempt_bound(o, 1, 0ms), 9u);
}

TEST(BreakerBounds, ProbesAreCountedPerOpenWaitEpisode) {
  const resilience::CircuitBreakerOptions o = breaker(10, 5, 50);
  const auto at = [](std::initializer_list<int> ms) {
    std::vector<sim::SimTime> out;
    for (int m : ms) out.push_back(sim::SimTime(std::chrono::milliseconds(m)));
    return out;
  };
  // Nine before the first wait (5 + 2 + 2), then two probes per wait: fine.
  EXPECT_FALSE(probes_beyond_permitted(o, 3, at({0, 5, 10, 15, 20, 25, 30, 35, 40, 400, 410, 1000,
                                                 1001}),
                                       300ms));
  // A third probe in the third episode.
  const auto excess = probes_beyond_permitted(o, 3, at({0, 10, 400, 410, 1000, 1005, 1010}), 300ms);
  ASSERT_TRUE(excess.has_value());
  EXPECT_EQ(excess->episode, 3u);
  EXPECT_EQ(excess->attempts, 3u);
  EXPECT_EQ(excess->allowed, 2u);
  // Ten before the first wait: one more than the failures, the others in flight and a probe pair.
  EXPECT_TRUE(probes_beyond_permitted(o, 3, at({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), 300ms));
}

// ---- each scenario, sabotaged ----------------------------------------------------------------

using Factory = std::function<std::unique_ptr<Scenario>(Sabotage)>;

struct Case {
  std::string label;
  Factory make;
  Sabotage sabotage;
  std::string expected;  // a piece of the violation's message: which check caught it
  std::uint64_t seeds;   // a violation must show within this many
};

std::ostream& operator<<(std::ostream& out, const Case& c) { return out << c.label; }

class SabotagedScenario : public ::testing::TestWithParam<Case> {};

TEST_P(SabotagedScenario, ItsInvariantFails) {
  const Case& c = GetParam();
  const std::unique_ptr<Scenario> broken = c.make(c.sabotage);
  const std::unique_ptr<Scenario> intact = c.make(Sabotage::kNone);
  ASSERT_EQ(broken->expect(), Expect::kHolds);
  // A run reports its first violation only: look for one from the check this sabotage is for.
  std::optional<RunResult> found;
  std::string seen;
  for (std::uint64_t i = 0; i < c.seeds && !found; ++i) {
    RunResult r = broken->run(seed_at(0x5AB0, i));
    if (!r.violation) continue;
    if (r.violation->message.find(c.expected) != std::string::npos) {
      found = std::move(r);
    } else {
      seen = r.violation->message;
    }
  }
  ASSERT_TRUE(found.has_value()) << c.label << ": no violation mentioning '" << c.expected
                                 << "' in " << c.seeds << " seeds; last other: " << seen;
  const RunResult same_seed = intact->run(found->seed);
  EXPECT_FALSE(same_seed.violation.has_value())
      << "the intact pattern must hold where the broken one failed: "
      << same_seed.violation->message;
}

std::unique_ptr<Scenario> storm(Sabotage s) { return make_retry_storm_scenario(true, s); }

INSTANTIATE_TEST_SUITE_P(
    Resilience, SabotagedScenario,
    ::testing::Values(
        Case{"breaker_outage_never_opens", make_breaker_outage_scenario,
             Sabotage::kBreakerNeverOpens, "never refused", 5},
        Case{"breaker_outage_no_breaker", make_breaker_outage_scenario, Sabotage::kNoBreaker,
             "never refused", 5},
        Case{"breaker_outage_short_open_wait", make_breaker_outage_scenario,
             Sabotage::kShortOpenWait, "allow at most", 5},
        Case{"breaker_outage_extra_probe", make_breaker_outage_scenario, Sabotage::kExtraProbe,
             "open-wait episode", 10},
        Case{"breaker_outage_long_open_wait", make_breaker_outage_scenario,
             Sabotage::kLongOpenWait, "succeeded by", 5},
        Case{"pipeline_outage_never_opens", make_pipeline_outage_scenario,
             Sabotage::kBreakerNeverOpens, "never refused", 10},
        Case{"pipeline_outage_no_breaker", make_pipeline_outage_scenario, Sabotage::kNoBreaker,
             "never refused", 10},
        Case{"pipeline_outage_short_open_wait", make_pipeline_outage_scenario,
             Sabotage::kShortOpenWait, "open wait", 10},
        Case{"retry_storm_never_retries", storm, Sabotage::kNeverRetries, "were due", 10},
        Case{"retry_storm_no_deposits", storm, Sabotage::kNoDeposits, "were due", 30},
        Case{"retry_storm_no_time_refill", storm, Sabotage::kNoTimeRefill, "were due", 30},
        Case{"retry_storm_no_budget", storm, Sabotage::kNoBudget, "allows at most", 10},
        Case{"bulkhead_isolation_no_tier_limit", make_bulkhead_isolation_scenario,
             Sabotage::kNoTierLimit, "the tier's limit", 5},
        Case{"bulkhead_isolation_no_isolation", make_bulkhead_isolation_scenario,
             Sabotage::kNoIsolation, "critical call", 5},
        Case{"backoff_contention_no_jitter", make_backoff_contention_scenario,
             Sabotage::kNoJitter, "spread", 40},
        Case{"backoff_contention_no_backoff", make_backoff_contention_scenario,
             Sabotage::kNoBackoff, "units", 40}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.label; });

}  // namespace
}  // namespace faultline::scenarios
