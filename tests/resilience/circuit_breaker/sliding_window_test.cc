// The sliding windows a circuit breaker counts outcomes in.
#include "tests/resilience/circuit_breaker/breaker_support.h"

namespace faultline::resilience {
namespace {

// ---------------------------------------------------------------------------------------------
// Sliding windows

TEST(CountWindow, KeepsTheLastNCallsWithRunningTotals) {
  CountWindow w = std::move(CountWindow::create(3)).value();
  w.record(true, false);
  w.record(false, true);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
  w.record(true, true);
  EXPECT_EQ(w.totals(), (WindowTotals{3, 2, 2}));
  w.record(false, false);  // evicts the first (failed)
  EXPECT_EQ(w.totals(), (WindowTotals{3, 1, 2}));
  w.record(false, false);  // evicts the slow success
  EXPECT_EQ(w.totals(), (WindowTotals{3, 1, 1}));
  w.record(false, false);  // evicts the slow failure
  EXPECT_EQ(w.totals(), (WindowTotals{3, 0, 0}));
}

TEST(CountWindow, ClearForgetsEverythingWithoutZeroingTheRing) {
  CountWindow w = std::move(CountWindow::create(2)).value();
  w.record(true, true);
  w.record(true, true);
  w.clear();
  EXPECT_EQ(w.totals(), (WindowTotals{}));
  // The ring still holds the old entries; they must not be "evicted" from the new totals.
  w.record(false, false);
  w.record(false, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 0, 0}));
  w.record(true, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 0}));
}

TEST(CountWindow, RejectsSizesOutOfRange) {
  EXPECT_FALSE(CountWindow::create(0).ok());
  EXPECT_FALSE(CountWindow::create(CountWindow::kMaxSize + 1).ok());
  EXPECT_TRUE(CountWindow::create(CountWindow::kMaxSize).ok());
}

TEST(TimeWindow, ACallExpiresWhenItsBucketLeavesTheRing) {
  TimeWindow w = std::move(TimeWindow::create(seconds(3), 3)).value();
  ASSERT_EQ(w.bucket_width(), seconds(1));
  const TimePoint t0{seconds(100)};
  w.record(t0 + milliseconds(500), true, false);  // bucket [100s, 101s)
  w.record(t0 + milliseconds(1500), false, true);  // bucket [101s, 102s)
  EXPECT_EQ(w.totals_at(t0 + milliseconds(2999)), (WindowTotals{2, 1, 1}));
  EXPECT_EQ(w.totals_at(t0 + seconds(3)), (WindowTotals{1, 0, 1}));  // first bucket gone
  EXPECT_EQ(w.totals_at(t0 + seconds(4)), (WindowTotals{}));
  // totals_at() did not change the window; advance() does the same arithmetic.
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
  w.advance(t0 + seconds(3));
  EXPECT_EQ(w.totals(), (WindowTotals{1, 0, 1}));
  w.record(t0 + seconds(3), true, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
}

TEST(TimeWindow, AJumpLongerThanTheWindowClearsIt) {
  TimeWindow w = std::move(TimeWindow::create(seconds(10), 10)).value();
  const TimePoint t0{seconds(50)};
  for (int i = 0; i < 10; ++i) w.record(t0 + seconds(i), i % 2 == 0, false);
  EXPECT_EQ(w.totals(), (WindowTotals{10, 5, 0}));
  w.record(t0 + hours(1000), false, false);
  EXPECT_EQ(w.totals(), (WindowTotals{1, 0, 0}));
}

TEST(TimeWindow, TimeGoingBackwardsRecordsIntoTheNewestBucket) {
  TimeWindow w = std::move(TimeWindow::create(seconds(2), 2)).value();
  const TimePoint t0{seconds(10)};
  w.record(t0, false, false);
  w.record(t0 - seconds(30), true, false);  // a clock stepped back: counted as "now"
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 0}));
  EXPECT_EQ(w.totals_at(t0 + seconds(1)), (WindowTotals{2, 1, 0}));
  EXPECT_EQ(w.totals_at(t0 + seconds(2)), (WindowTotals{}));
}

TEST(TimeWindow, NegativeReadingsUseFloorDivision) {
  TimeWindow w = std::move(TimeWindow::create(seconds(2), 2)).value();
  w.record(TimePoint{milliseconds(-1500)}, true, false);  // bucket [-2s, -1s)
  EXPECT_EQ(w.totals_at(TimePoint{milliseconds(-1)}), (WindowTotals{1, 1, 0}));
  EXPECT_EQ(w.totals_at(TimePoint{milliseconds(0)}), (WindowTotals{}));
}

TEST(TimeWindow, WidthIsRoundedUpAndBucketsAreBounded) {
  EXPECT_EQ(std::move(TimeWindow::create(nanoseconds(10), 3)).value().bucket_width(),
            nanoseconds(4));
  EXPECT_FALSE(TimeWindow::create(nanoseconds(2), 3).ok());
  EXPECT_FALSE(TimeWindow::create(seconds(1), 0).ok());
  EXPECT_FALSE(TimeWindow::create(seconds(1), TimeWindow::kMaxBuckets + 1).ok());
  EXPECT_FALSE(TimeWindow::create(Duration::zero(), 1).ok());
  EXPECT_FALSE(TimeWindow::create(hours(25), 1).ok());
}

}  // namespace
}  // namespace faultline::resilience
