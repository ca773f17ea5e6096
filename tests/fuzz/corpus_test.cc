// Replays every committed fuzz input through its target, in the normal build (g++, no libFuzzer):
// tests/fuzz/corpus/<target>/ (the seeds) and tests/fuzz/regressions/<target>/ (inputs that once
// crashed a parser). So each fixed crash stays fixed, and the properties hold on the seeds, in
// every test run and every sanitizer run, without clang.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzCorpus : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(FuzzCorpus, EveryCommittedInputKeepsTheProperties) {
  const FuzzTarget& target = GetParam();
  const fs::path root = FAULTLINE_FUZZ_DIR;
  std::size_t seeds = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const fs::path& file : inputs(root / kind / target.name)) {
      const std::string bytes = contents(file);
      if (std::string_view(kind) == "corpus") ++seeds;
      try {
        EXPECT_EQ(target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0)
            << file;
      } catch (const std::exception& e) {
        ADD_FAILURE() << file << ": " << e.what();
      }
    }
  }
  EXPECT_GT(seeds, 0U) << "no seed corpus in " << (root / "corpus" / target.name);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus, ::testing::ValuesIn(kFuzzTargets),
                         [](const ::testing::TestParamInfo<FuzzTarget>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace faultline::fuzz
