// Bulkhead waits: timeouts and queue-full policies.
#include "tests/resilience/bulkhead/bulkhead_support.h"

namespace faultline::resilience {
namespace {

// ---- timeouts ---------------------------------------------------------------------------------

TEST(Bulkhead, TimesOutAtExactlyMaxWaitOnTheVirtualClock) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 2, 250ms)));
  Slot holder = h.hold(Tier::kStandard);
  h.advance(1s);  // start away from zero
  const TimePoint t0 = h.now();
  Call& a = h.acquire(Tier::kStandard);
  h.advance(249ms);
  EXPECT_FALSE(a.done());
  h.advance(1ms);
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.done_at, t0 + 250ms);
  EXPECT_EQ(a.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(a.error().message, "no slot within max_wait 250ms")) << a.error().message;
  const TierMetrics m = h.metrics(Tier::kStandard);
  EXPECT_EQ(m.queued, 0);
  EXPECT_EQ(m.rejected_for(Rejection::kTimedOut), 1u);
  holder.release();
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 0) << "the timed-out waiter took the slot";
}

TEST(Bulkhead, ADeadlineShorterThanMaxWaitEndsTheWaitEarlierAndOutOfOrder) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 4, 1s)));
  Slot holder = h.hold(Tier::kStandard);
  const TimePoint t0 = h.now();
  Call& first = h.acquire(Tier::kStandard);                 // waits up to max_wait
  Call& second = h.acquire(Tier::kStandard, t0 + 100ms);    // its deadline comes first
  EXPECT_EQ(h.metrics(Tier::kStandard).timers, 2) << "an earlier expiry needs its own timer";
  h.advance(99ms);
  EXPECT_FALSE(second.done());
  h.advance(1ms);
  ASSERT_TRUE(second.done());
  EXPECT_EQ(second.done_at, t0 + 100ms);
  EXPECT_TRUE(contains(second.error().message, "deadline")) << second.error().message;
  EXPECT_FALSE(first.done());
  h.advance(900ms);
  ASSERT_TRUE(first.done());
  EXPECT_EQ(first.done_at, t0 + 1s);
  EXPECT_TRUE(contains(first.error().message, "max_wait 1s")) << first.error().message;
}

TEST(Bulkhead, APassedDeadlineIsRefusedWithoutQueueing) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 4, 1s)));
  Slot holder = h.hold(Tier::kStandard);
  Call& late = h.acquire(Tier::kStandard, h.now());
  ASSERT_TRUE(late.done());
  EXPECT_TRUE(contains(late.error().message, "deadline has already passed"));
  EXPECT_EQ(h.metrics(Tier::kStandard).max_queued, 0);
  EXPECT_EQ(h.metrics(Tier::kStandard).rejected_for(Rejection::kNoSlot), 1u);
}

TEST(Bulkhead, UniformWaitsShareOneTimerThatFiresAtEachExactExpiry) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 50, 1s)));
  Slot holder = h.hold(Tier::kStandard);
  std::vector<Call*> calls;
  std::vector<TimePoint> started;
  for (int i = 0; i < 50; ++i) {
    started.push_back(h.now());
    calls.push_back(&h.acquire(Tier::kStandard));
    EXPECT_EQ(h.metrics(Tier::kStandard).timers, 1);
    h.advance(3ms);
  }
  h.advance(2s);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i]->done());
    EXPECT_EQ(calls[i]->done_at, started[i] + 1s) << i;
  }
  EXPECT_EQ(h.metrics(Tier::kStandard).timers, 0);
}

TEST(Bulkhead, WakeUpTimersAreBoundedByTheQueue) {
  // max_queue 1 allows 2 pending timers. Two served waiters leave theirs sleeping; a caller
  // whose wait would end before both is refused rather than woken late.
  Harness h(options_for(Tier::kStandard, tier_options(1, 1, 10s)));
  const TimePoint t0 = h.now();
  Slot holder = h.hold(Tier::kStandard);
  Call& a = h.acquire(Tier::kStandard);  // timer for t0 + 10s
  holder.release();
  h.settle();
  ASSERT_TRUE(a.granted());
  Call& b = h.acquire(Tier::kStandard, t0 + 1s);  // earlier: a second timer
  a.slot().release();
  h.settle();
  ASSERT_TRUE(b.granted());
  EXPECT_EQ(h.metrics(Tier::kStandard).timers, 2);
  Call& c = h.acquire(Tier::kStandard, t0 + 500ms);
  ASSERT_TRUE(c.done());
  EXPECT_EQ(c.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(c.error().message, "wake-up timers")) << c.error().message;
  EXPECT_EQ(h.metrics(Tier::kStandard).rejected_for(Rejection::kQueueFull), 1u);
  Call& d = h.acquire(Tier::kStandard);  // ends after the 1s timer: queues
  EXPECT_FALSE(d.done());
  EXPECT_EQ(h.metrics(Tier::kStandard).timers, 2);
  h.advance(1s);  // the 1s timer fires and ends
  EXPECT_EQ(h.metrics(Tier::kStandard).timers, 1);
  Call& e_call = h.acquire(Tier::kStandard, h.now() + 100ms);  // queue full (d): refused anyway
  EXPECT_TRUE(e_call.done());
  b.slot().release();
  h.settle();
  EXPECT_TRUE(d.granted());
}

// ---- queue-full policies ------------------------------------------------------------------------

TEST(Bulkhead, AFullQueueRefusesTheNewcomerUnderRejectNewcomer) {
  Harness h(options_for(Tier::kStandard,
                        tier_options(1, 2, 1s, QueueFullPolicy::kRejectNewcomer)));
  Slot holder = h.hold(Tier::kStandard);
  const TimePoint t0 = h.now();
  Call& a = h.acquire(Tier::kStandard);
  Call& b = h.acquire(Tier::kStandard);
  Call& c = h.acquire(Tier::kStandard);
  ASSERT_TRUE(c.done());
  EXPECT_EQ(c.done_at, t0) << "fail fast: no waiting";
  EXPECT_EQ(c.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(c.error().message, "queue is full (2 waiting, max_queue 2)"))
      << c.error().message;
  EXPECT_FALSE(a.done() || b.done());
  holder.release();
  h.settle();
  EXPECT_TRUE(a.granted());
  EXPECT_FALSE(b.done());
  EXPECT_EQ(h.metrics(Tier::kStandard).rejected_for(Rejection::kQueueFull), 1u);
}

TEST(Bulkhead, AFullQueueShedsItsOldestWaiterUnderShedOldest) {
  Harness h(options_for(Tier::kOptional, tier_options(1, 2, 1s, QueueFullPolicy::kShedOldest)));
  Slot holder = h.hold(Tier::kOptional);
  Call& a = h.acquire(Tier::kOptional);
  h.advance(10ms);
  Call& b = h.acquire(Tier::kOptional);
  Call& c = h.acquire(Tier::kOptional);
  ASSERT_TRUE(a.done()) << "the oldest waiter is shed";
  EXPECT_EQ(a.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(a.error().message, "shed")) << a.error().message;
  EXPECT_TRUE(contains(a.error().message, "after waiting 10ms")) << a.error().message;
  EXPECT_FALSE(b.done() || c.done());
  EXPECT_EQ(h.metrics(Tier::kOptional).queued, 2);
  holder.release();
  h.settle();
  ASSERT_TRUE(b.granted());
  EXPECT_FALSE(c.done());
  b.slot().release();
  h.settle();
  ASSERT_TRUE(c.granted());
  EXPECT_EQ(h.metrics(Tier::kOptional).rejected_for(Rejection::kShed), 1u);
}

}  // namespace
}  // namespace faultline::resilience
