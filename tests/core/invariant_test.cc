// FAULTLINE_INVARIANT stays on in optimised builds (NDEBUG defined) and reports what broke.
#include <gtest/gtest.h>

#include "faultline/invariant.h"

namespace faultline {
namespace {

int evaluations = 0;
bool counted(bool value) {
  ++evaluations;
  return value;
}

TEST(Invariant, AHoldingInvariantEvaluatesItsConditionOnceAndContinues) {
  evaluations = 0;
  FAULTLINE_INVARIANT(counted(true), "never fires");
  EXPECT_EQ(evaluations, 1);
}

// The point of the macro: this build may define NDEBUG (RelWithDebInfo does), and the check
// still fires, naming the condition, the message, the file and the line.
TEST(InvariantDeathTest, ABrokenInvariantAbortsNamingConditionMessageAndPlace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int now = 5;
  const int later = 3;
  EXPECT_DEATH(FAULTLINE_INVARIANT(later >= now, "virtual time never goes back"),
               "invariant failed: later >= now: virtual time never goes back "
               "\\(.*invariant_test\\.cc:[0-9]+\\)");
}

#ifdef NDEBUG
TEST(Invariant, ThisBuildDefinesNdebugSoAssertWouldBeGone) {
  SUCCEED() << "the death test above ran with NDEBUG defined";
}
#endif

}  // namespace
}  // namespace faultline
