// The linearizability search's memo (sim/checkers/src/linearizability_memo.h): a configuration is
// skipped when one with the same returned ops, the same state and a subset of its open ops was
// recorded; and, on Porcupine's costliest etcd history, what that saves.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability.h"
#include "faultline/sim/linearizability_models.h"
#include "sim/checkers/src/linearizability_memo.h"

namespace faultline::sim {
namespace {

using Bits = std::vector<std::uint64_t>;

TEST(LinearizabilityMemo, AConfigurationWithMoreOpenOpsIsDominated) {
  detail::MemoTable memo(/*returned_words=*/1, /*open_words=*/1);
  const Bits r{0b101};
  const std::uint64_t h = 42;  // a function of (returned, state) only
  EXPECT_TRUE(memo.insert(r, Bits{0b01}, 7, h));
  EXPECT_FALSE(memo.insert(r, Bits{0b01}, 7, h));   // the same configuration
  EXPECT_FALSE(memo.insert(r, Bits{0b11}, 7, h));   // more open ops: dominated
  EXPECT_TRUE(memo.insert(r, Bits{0b10}, 7, h));    // not a superset of {0}
  EXPECT_TRUE(memo.insert(r, Bits{0b11}, 8, h));    // another state
  EXPECT_TRUE(memo.insert(Bits{0b100}, Bits{0b11}, 7, h));  // other returned ops (same hash)
  EXPECT_TRUE(memo.insert(r, Bits{0b00}, 7, h));    // fewer open ops: new, and dominates both
  EXPECT_FALSE(memo.insert(r, Bits{0b10}, 7, h));
  EXPECT_FALSE(memo.insert(r, Bits{0b01}, 7, h));
}

TEST(LinearizabilityMemo, WithoutOpenOpsItIsLowesExactMemo) {
  detail::MemoTable memo(/*returned_words=*/2, /*open_words=*/0);
  EXPECT_TRUE(memo.insert(Bits{1, 0}, Bits{}, 0, 5));
  EXPECT_FALSE(memo.insert(Bits{1, 0}, Bits{}, 0, 5));
  EXPECT_TRUE(memo.insert(Bits{1, 1}, Bits{}, 0, 5));
  EXPECT_TRUE(memo.insert(Bits{1, 0}, Bits{}, 1, 5));
  EXPECT_EQ(memo.size(), 3u);
}

TEST(LinearizabilityMemo, OpenWritesNoLongerMultiplyTheSearch) {
#ifdef FAULTLINE_EXTERNAL_DIR
  const std::filesystem::path log =
      std::filesystem::path(FAULTLINE_EXTERNAL_DIR) / "porcupine" / "jepsen" / "etcd_002.log";
#else
  const std::filesystem::path log;
#endif
  if (!std::filesystem::exists(log)) GTEST_SKIP() << "no external data at " << log;
  std::ifstream in(log, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Result<std::vector<LinOp>> ops = parse_jepsen_log(text.str());
  ASSERT_TRUE(ops.ok());
  // 19 of its 77 operations never returned. Lowe's exact memo took 1,177,309 steps here.
  Result<CheckResult> r = check_linearizable(*ops, CasRegisterModel{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->linearizable());
  EXPECT_LT(r->steps, 400'000u);
}

}  // namespace
}  // namespace faultline::sim
