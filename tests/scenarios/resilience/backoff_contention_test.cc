// backoff/contention: our reproduction of the AWS Architecture Blog's "Exponential Backoff And
// Jitter" (2015) must show what the study published, on a reduced sweep: without jitter, work
// grows with the square of the clients, and plain exponential backoff is by far the slowest;
// full and equal jitter cut the work by more than half; every trial completes every client.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "scenarios/resilience/backoff_contention.h"

namespace faultline::scenarios {
namespace {

using resilience::BackoffStrategy;

class BackoffStudy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ContentionStudyOptions options;
    options.clients_from = 20;
    options.clients_to = 80;
    options.clients_step = 60;
    options.trials = 20;
    points_ = new std::vector<ContentionPoint>(run_contention_study(options));
  }
  static void TearDownTestSuite() { delete points_; }
  static const ContentionPoint& at(BackoffStrategy strategy, int clients) {
    for (const ContentionPoint& p : *points_) {
      if (p.strategy == strategy && p.clients == clients) return p;
    }
    throw std::logic_error("no such point");
  }
  static std::vector<ContentionPoint>* points_;
};
std::vector<ContentionPoint>* BackoffStudy::points_ = nullptr;

TEST_F(BackoffStudy, WithoutJitterWorkGrowsWithTheSquareOfTheClients) {
  for (BackoffStrategy s : {BackoffStrategy::kNone, BackoffStrategy::kExponential}) {
    // 4x the clients: ~16x the writes for quadratic growth; linear would be 4x.
    EXPECT_GT(at(s, 80).calls / at(s, 20).calls, 8.0) << resilience::to_string(s);
  }
}

TEST_F(BackoffStudy, FullAndEqualJitterCutTheWorkByMoreThanHalf) {
  for (BackoffStrategy s : {BackoffStrategy::kFullJitter, BackoffStrategy::kEqualJitter}) {
    EXPECT_LT(at(s, 80).calls, 0.5 * at(BackoffStrategy::kExponential, 80).calls)
        << resilience::to_string(s);
  }
  EXPECT_LT(at(BackoffStrategy::kDecorrelatedJitter, 80).calls,
            0.7 * at(BackoffStrategy::kExponential, 80).calls);
}

TEST_F(BackoffStudy, ExponentialWithoutJitterIsTheSlowestByFar) {
  const double exponential = at(BackoffStrategy::kExponential, 80).time;
  for (BackoffStrategy s : {BackoffStrategy::kNone, BackoffStrategy::kFullJitter,
                            BackoffStrategy::kEqualJitter, BackoffStrategy::kDecorrelatedJitter}) {
    EXPECT_GT(exponential, 4 * at(s, 80).time) << resilience::to_string(s);
  }
}

TEST(BackoffContention, ATrialSucceedsEveryClientOnceAndReplaysFromItsSeed) {
  for (BackoffStrategy s : study_strategies()) {
    const ContentionTrial a = run_contention_trial(s, 30, 0xABCDEF);
    const ContentionTrial b = run_contention_trial(s, 30, 0xABCDEF);
    EXPECT_EQ(a.succeeded, 30);
    EXPECT_EQ(a.gave_up, 0);
    EXPECT_EQ(a.final_version, 30);
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(a.writes, b.writes);
    EXPECT_EQ(a.completion, b.completion);
  }
}

TEST(BackoffContention, StudyJsonHasTheDocumentedShape) {
  ContentionStudyOptions options;
  options.clients_from = 10;
  options.clients_to = 20;
  options.trials = 2;
  const nlohmann::json json = nlohmann::json::parse(contention_study_json(run_contention_study(options)));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 10u);  // 5 strategies x 2 client counts
  std::map<std::string, int> per_strategy;
  for (const auto& row : json) {
    ASSERT_TRUE(row.at("calls").is_number());
    ASSERT_TRUE(row.at("time").is_number());
    ASSERT_TRUE(row.at("clients").is_number_integer());
    ++per_strategy[row.at("strategy").get<std::string>()];
  }
  EXPECT_EQ(per_strategy, (std::map<std::string, int>{{"none", 2},
                                                      {"exponential", 2},
                                                      {"full_jitter", 2},
                                                      {"equal_jitter", 2},
                                                      {"decorrelated_jitter", 2}}));
}

TEST(BackoffContention, TheStudyDoesNotDependOnThreads) {
  ContentionStudyOptions options;
  options.clients_from = 10;
  options.clients_to = 30;
  options.trials = 3;
  const std::vector<ContentionPoint> one = run_contention_study(options);
  options.jobs = 3;
  const std::vector<ContentionPoint> three = run_contention_study(options);
  ASSERT_EQ(one.size(), three.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].calls, three[i].calls);
    EXPECT_EQ(one[i].time, three[i].time);
  }
}

}  // namespace
}  // namespace faultline::scenarios
