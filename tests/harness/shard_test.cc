// Shards: what the command line and the job engines' environments name, and the partition they
// make of a sweep's seeds (every index exactly once over the N shards).
#include "faultline/harness/shard.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

namespace faultline::harness {
namespace {

Getenv env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

Shard parsed(std::string_view text, const Getenv& getenv) {
  auto result = parse_shard(text, getenv);
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::get_if<Shard>(&result) ? std::get<Shard>(result) : Shard{};
}

std::string error_of(std::string_view text, const Getenv& getenv) {
  auto result = parse_shard(text, getenv);
  return std::get_if<std::string>(&result) ? std::get<std::string>(result) : "(parsed)";
}

TEST(Shard, ReadsIndexOverCount) {
  EXPECT_EQ(parsed("2/5", env({})), (Shard{2, 5}));
  EXPECT_EQ(parsed("0/1", env({})), (Shard{0, 1}));
}

TEST(Shard, AutoReadsSlurmsArray) {
  const Getenv slurm = env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}});
  EXPECT_EQ(parsed("auto", slurm), (Shard{3, 4}));
}

TEST(Shard, AutoOverNReadsKubernetesIndex) {
  EXPECT_EQ(parsed("auto/8", env({{"JOB_COMPLETION_INDEX", "5"}})), (Shard{5, 8}));
}

TEST(Shard, ErrorsNameWhatWasWrong) {
  EXPECT_NE(error_of("3/3", env({})).find("not below the count 3"), std::string::npos);
  EXPECT_NE(error_of("1/0", env({})).find("at least 1"), std::string::npos);
  EXPECT_NE(error_of("x/2", env({})).find("expected I/N"), std::string::npos);
  EXPECT_NE(error_of("auto", env({})).find("SLURM_ARRAY_TASK_ID is not set"), std::string::npos);
  EXPECT_NE(error_of("auto", env({{"SLURM_ARRAY_TASK_ID", "1"}})).find("SLURM_ARRAY_TASK_COUNT"),
            std::string::npos);
  EXPECT_NE(error_of("auto/4", env({{"JOB_COMPLETION_INDEX", "x1"}})).find("'x1' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of("auto/4", env({{"JOB_COMPLETION_INDEX", "4"}})).find("not below"),
            std::string::npos);
}

RC_GTEST_PROP(Shard, ShardsPartitionTheSeedRange, ()) {
  const auto total = *rc::gen::inRange<std::uint64_t>(0, 300);
  const auto count = *rc::gen::inRange<std::uint64_t>(1, 20);
  std::multiset<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < count; ++i) {
    const Shard shard{i, count};
    for (std::uint64_t k = 0; k < shard.size_of(total); ++k) seen.insert(shard.global(k));
  }
  RC_ASSERT(seen.size() == total);
  std::uint64_t expected = 0;
  for (std::uint64_t index : seen) RC_ASSERT(index == expected++);
}

}  // namespace
}  // namespace faultline::harness
