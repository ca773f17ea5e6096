// Exploration: findings from fresh seeds, one per kind; a second run over the same directory
// resumes (new seeds only) and writes no finding twice; output stays bounded; a damaged state
// file is refused, named.
#include "faultline/harness/explore.h"

#include <gtest/gtest.h>

#include <fstream>

#include "faultline/harness/sweep.h"
#include "tests/harness/counter_scenario.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class Explore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("faultline-explore-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ExploreOptions options(std::chrono::milliseconds budget) const {
    ExploreOptions o;
    o.budget = budget;
    o.out = dir_;
    o.batch = 16;
    o.program = "prog";
    return o;
  }
  std::size_t finding_files() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_ / "findings")) n += e.is_regular_file();
    return n;
  }

  fs::path dir_;
  std::unique_ptr<Scenario> hazard_ = testing::counter_scenario(true);
};

TEST_F(Explore, FindsEachKindOnceAndResumesWithFreshSeeds) {
  const ExploreSummary first = explore({hazard_.get()}, options(std::chrono::milliseconds(300)));
  ASSERT_EQ(first.new_findings.size(), 1U) << "the duplicated increment was not found";
  const Finding& f = first.new_findings.front();
  EXPECT_EQ(f.kind, "duplicated-increment");
  EXPECT_TRUE(f.expected);
  EXPECT_EQ(f.replay, "prog replay 'counter/retried-incr' --seed " + fmt::format("{:#x}", f.seed) +
                          (f.swarm ? " --swarm" : ""));
  // The finding replays: the seed's plan (its swarm plan, if it ran one) still shows it.
  EXPECT_TRUE(hazard_->run(f.seed, plan_for(*hazard_, f.seed, f.swarm), RunOptions{}).violation);
  const std::uint64_t first_seeds = first.seeds_run.at(hazard_->name());
  EXPECT_GT(first.violations.at(hazard_->name()), 1U);  // found again, but written once

  const ExploreSummary second = explore({hazard_.get()}, options(std::chrono::milliseconds(300)));
  EXPECT_TRUE(second.new_findings.empty());
  EXPECT_GT(second.violations.at(hazard_->name()), 0U);
  EXPECT_EQ(finding_files(), 1U);
  // Resumed: state.json's next index is the seeds both runs made, so no seed ran twice.
  std::ifstream state(dir_ / "state.json");
  const std::string text((std::istreambuf_iterator<char>(state)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"counter/retried-incr\": " +
                      std::to_string(first_seeds + second.seeds_run.at(hazard_->name()))),
            std::string::npos)
      << text;
}

TEST_F(Explore, OutputIsBounded) {
  ExploreOptions o = options(std::chrono::milliseconds(200));
  o.max_findings = 1;
  auto claim = testing::counter_scenario(false);
  // Two scenarios' worth of kinds would be written; the bound keeps one file at most.
  const ExploreSummary s = explore({hazard_.get(), claim.get()}, o);
  EXPECT_LE(finding_files(), 1U);
  EXPECT_LE(s.new_findings.size(), 1U);
}

TEST_F(Explore, ADamagedStateFileIsRefusedByName) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "state.json") << "{ not json";
  try {
    (void)explore({hazard_.get()}, options(std::chrono::milliseconds(50)));
    FAIL() << "a damaged state.json was accepted";
  } catch (const ExploreError& e) {
    EXPECT_NE(std::string(e.what()).find("state.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace faultline::harness
