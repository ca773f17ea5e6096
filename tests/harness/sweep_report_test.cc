// Sweeps and their reports, judged from the counter scenarios' server-side value: the hazard is
// found and shrunk, the claim holds, the verdict does not depend on --jobs, sharded sweeps merge
// into the unsharded report, and reports survive their JSON form.
#include <gtest/gtest.h>

#include "faultline/harness/report.h"
#include "faultline/harness/swarm.h"
#include "faultline/harness/sweep.h"
#include "tests/harness/counter_scenario.h"

namespace faultline::harness {
namespace {

const Scenario& claim() {
  static const auto scenario = testing::counter_scenario(false);
  return *scenario;
}
const Scenario& hazard() {
  static const auto scenario = testing::counter_scenario(true);
  return *scenario;
}

ScenarioReport report_of(const Scenario& s, SweepOptions options) {
  return make_report(s, options, sweep(s, options), "prog");
}

// The fields that are a function of the scenario and the sweep alone (report.h).
void expect_same_verdict(const ScenarioReport& a, const ScenarioReport& b) {
  EXPECT_EQ(a.scenario, b.scenario);
  EXPECT_EQ(a.as_expected(), b.as_expected());
  EXPECT_EQ(a.violation, b.violation);
  if (!a.violation) {
    EXPECT_EQ(a.seeds_run, b.seeds_run);
  }
}

TEST(Sweep, FindsTheHazardAndShrinksItToLostReplies) {
  const ScenarioReport r = report_of(hazard(), {.count = 300});
  ASSERT_TRUE(r.violation) << "a retried INCRBY never duplicated in 300 seeds";
  EXPECT_TRUE(r.as_expected());
  EXPECT_EQ(r.violation->kind, "duplicated-increment");
  EXPECT_EQ(r.violation->replay,
            "prog replay 'counter/retried-incr' --seed " + fmt::format("{:#x}", r.violation->seed));
  // Only lost replies cause it: the shrinker drops every pause and every other message fault.
  auto plan = std::get<sim::FaultPlan>(sim::parse_plan(r.violation->shrunk_plan));
  EXPECT_TRUE(plan.faults.empty()) << r.violation->shrunk_plan;
  EXPECT_GT(plan.network.reply_loss_ppm, 0U);
  EXPECT_EQ(plan.network.request_loss_ppm, 0U);
  // And the shrunk plan still breaks it.
  EXPECT_TRUE(hazard().run(r.violation->seed, plan, RunOptions{}).violation);
}

TEST(Sweep, TheClaimHoldsAndEverySeedRuns) {
  const ScenarioReport r = report_of(claim(), {.count = 300});
  EXPECT_FALSE(r.violation) << r.violation->message;
  EXPECT_EQ(r.seeds_run, 300U);
}

TEST(Sweep, TheVerdictDoesNotDependOnJobs) {
  expect_same_verdict(report_of(hazard(), {.count = 300, .jobs = 1}),
                      report_of(hazard(), {.count = 300, .jobs = 3}));
}

TEST(Sweep, ShardsMergeIntoTheUnshardedReport) {
  for (const Scenario* s : {&claim(), &hazard()}) {
    const ScenarioReport whole = report_of(*s, {.count = 200, .jobs = 2});
    for (std::uint64_t n : {2U, 3U, 7U}) {
      std::vector<ScenarioReport> parts;
      for (std::uint64_t i = n; i-- > 0;) {  // any order
        parts.push_back(report_of(*s, {.count = 200, .shard = {i, n}}));
      }
      auto merged = merge(parts);
      ASSERT_TRUE(std::holds_alternative<std::vector<ScenarioReport>>(merged))
          << std::get<std::string>(merged);
      const auto& one = std::get<std::vector<ScenarioReport>>(merged);
      ASSERT_EQ(one.size(), 1U);
      SCOPED_TRACE(s->name() + " in " + std::to_string(n) + " shards");
      expect_same_verdict(one.front(), whole);
      EXPECT_EQ(one.front().shard, Shard{});
    }
  }
}

TEST(Sweep, MergeRefusesShardsThatDoNotMakeOneSweep) {
  const ScenarioReport a = report_of(claim(), {.count = 20, .shard = {0, 2}});
  const ScenarioReport b = report_of(claim(), {.count = 20, .shard = {1, 2}});
  ScenarioReport other = b;
  other.first_seed = 1;
  auto error = [](const std::vector<ScenarioReport>& parts) {
    auto merged = merge(parts);
    return std::holds_alternative<std::string>(merged) ? std::get<std::string>(merged) : "";
  };
  EXPECT_NE(error({a}).find("shard 1/2 is missing"), std::string::npos);
  EXPECT_NE(error({a, a, b}).find("shard 0/2 given twice"), std::string::npos);
  EXPECT_NE(error({a, other}).find("another sweep"), std::string::npos);
  EXPECT_EQ(error({a, b}), "");
}

TEST(Report, SurvivesItsJsonForm) {
  for (const Scenario* s : {&claim(), &hazard()}) {
    const ScenarioReport r = report_of(*s, {.count = 100, .shard = {1, 3}, .swarm = true});
    auto back = report_from_json(to_json(r));
    ASSERT_TRUE(std::holds_alternative<ScenarioReport>(back)) << std::get<std::string>(back);
    const ScenarioReport& b = std::get<ScenarioReport>(back);
    expect_same_verdict(r, b);
    EXPECT_EQ(b.shard, r.shard);
    EXPECT_EQ(b.swarm, r.swarm);
    EXPECT_EQ(b.seeds, r.seeds);
    EXPECT_EQ(b.first_seed, r.first_seed);
    EXPECT_EQ(b.expect, r.expect);
  }
}

TEST(Report, ABadLineNamesWhatIsWrong) {
  auto missing = report_from_json(R"({"scenario":"x"})");
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_NE(std::get<std::string>(missing).find("expect"), std::string::npos);
  auto bad = report_from_json("not json");
  EXPECT_TRUE(std::holds_alternative<std::string>(bad));
}

TEST(Swarm, KeepsSomeKindsAndDropsOthersDeterministically) {
  sim::FaultSpace space;
  space.clients = {"client-1"};
  space.nodes = {"redis"};
  space.max_faults = 40;
  int kept_all = 0;
  int dropped_some = 0;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    sim::Rng rng(seed);
    const sim::FaultPlan full = sim::generate_plan(rng, space);
    const sim::FaultPlan thinned = swarm_plan(seed, full);
    EXPECT_EQ(thinned, swarm_plan(seed, full));
    // Only whole kinds go: every kept fault is one of the full plan's, in order.
    std::size_t j = 0;
    for (const sim::Fault& f : thinned.faults) {
      while (j < full.faults.size() && !(full.faults[j] == f)) ++j;
      ASSERT_LT(j, full.faults.size());
      ++j;
    }
    for (const sim::Fault& f : full.faults) {
      const bool kind_kept = std::any_of(thinned.faults.begin(), thinned.faults.end(),
                                         [&](const sim::Fault& g) { return g.kind == f.kind; });
      if (kind_kept) {
        EXPECT_TRUE(std::find(thinned.faults.begin(), thinned.faults.end(), f) !=
                    thinned.faults.end());
      }
    }
    kept_all += thinned.faults.size() == full.faults.size() ? 1 : 0;
    dropped_some += thinned.faults.size() < full.faults.size() ? 1 : 0;
  }
  EXPECT_GT(dropped_some, 32);
  EXPECT_LT(kept_all, 16);
}

}  // namespace
}  // namespace faultline::harness
