// The GoogleTest and RapidCheck integration, as a user's test sees it: a claim passes, a
// verdict that differs fails with the seed, the shrunk plan and a command that reruns the test
// on that seed; the environment sets the sweep; a generated-plan property finds the hazard.
#include "faultline/harness/gtest.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>

#include "faultline/harness/rapidcheck.h"
#include "tests/harness/counter_scenario.h"

namespace faultline::harness {
namespace {

// A scenario that claims what the hazard breaks: the retried increment, expected to hold.
std::unique_ptr<Scenario> wrongly_claimed() {
  class Claimed final : public Scenario {
   public:
    std::string name() const override { return inner_->name(); }
    std::string description() const override { return inner_->description(); }
    Expect expect() const override { return Expect::kHolds; }
    sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
      return inner_->plan_for_seed(seed);
    }
    const sim::FaultSpace* admitted_faults() const override { return inner_->admitted_faults(); }
    using Scenario::run;
    RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                  const RunOptions& options) const override {
      return inner_->run(seed, plan, options);
    }

   private:
    std::unique_ptr<Scenario> inner_ = testing::counter_scenario(true);
  };
  return std::make_unique<Claimed>();
}

class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvGuard() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST(GTestIntegration, AClaimThatHoldsPasses) {
  FAULTLINE_EXPECT_VERDICT(*testing::counter_scenario(false));
}

TEST(GTestIntegration, AHazardThatIsFoundPasses) {
  FAULTLINE_EXPECT_VERDICT(*testing::counter_scenario(true));
}

TEST(GTestIntegration, AViolatedClaimFailsWithSeedPlanAndRerunCommand) {
  const auto result = verdict_as_expected(*wrongly_claimed(), sweep_from_env(300, "inventory"));
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("violation found at seed 0x"), std::string::npos) << message;
  EXPECT_NE(message.find("shrunk fault plan"), std::string::npos) << message;
  EXPECT_NE(message.find("replay: inventory replay 'counter/retried-incr' --seed 0x"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("FAULTLINE_SEED=0x"), std::string::npos) << message;
  EXPECT_NE(message.find("FAULTLINE_SEEDS=1"), std::string::npos) << message;
  EXPECT_NE(message.find("--gtest_filter='GTestIntegration."), std::string::npos) << message;
}

TEST(GTestIntegration, TheEnvironmentSetsTheSweep) {
  {
    const EnvGuard seeds("FAULTLINE_SEEDS", "7");
    const EnvGuard first("FAULTLINE_SEED", "0x2a");
    const EnvGuard jobs("FAULTLINE_JOBS", "2");
    const TestSweep t = sweep_from_env();
    EXPECT_EQ(t.sweep.count, 7U);
    EXPECT_EQ(t.sweep.first, 0x2aU);
    EXPECT_EQ(t.sweep.jobs, 2);
    EXPECT_FALSE(t.sweep.swarm);
  }
  const EnvGuard bad("FAULTLINE_SEEDS", "many");
  const auto result = verdict_as_expected(*testing::counter_scenario(false), sweep_from_env());
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("FAULTLINE_SEEDS='many'"), std::string::npos);
}

TEST(GTestIntegration, ASeedFromTheFailureRerunsJustIt) {
  const auto report_text = std::string(
      verdict_as_expected(*wrongly_claimed(), sweep_from_env(300)).message());
  const auto at = report_text.find("FAULTLINE_SEED=") + std::string("FAULTLINE_SEED=").size();
  const std::string seed = report_text.substr(at, report_text.find(' ', at) - at);
  const EnvGuard one("FAULTLINE_SEEDS", "1");
  const EnvGuard first("FAULTLINE_SEED", seed.c_str());
  const TestSweep t = sweep_from_env();
  const SweepResult r = sweep(*wrongly_claimed(), t.sweep);
  EXPECT_EQ(r.seeds_run, 1U);
  ASSERT_TRUE(r.first_violation) << "seed " << seed << " did not fail again";
}

RC_GTEST_PROP(RapidCheckIntegration, TheClaimHoldsUnderAnyGeneratedPlan, ()) {
  static const auto scenario = testing::counter_scenario(false);
  check_generated_plan(*scenario);
}

TEST(RapidCheckIntegration, TheHazardFailsThePropertyAndShrinks) {
  const auto scenario = testing::counter_scenario(true);
  const bool held = rc::check("retried increments never overshoot",
                              [&] { check_generated_plan(*scenario); });
  EXPECT_FALSE(held) << "RapidCheck found no plan that duplicates an increment";
}

}  // namespace
}  // namespace faultline::harness
