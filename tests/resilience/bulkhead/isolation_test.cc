// Bulkhead isolation, metrics and events, and execute().
#include "tests/resilience/bulkhead/bulkhead_support.h"

namespace faultline::resilience {
namespace {

// ---- isolation --------------------------------------------------------------------------------

TEST(Bulkhead, AnOptionalFloodNeverDelaysCriticalCalls) {
  BulkheadOptions o;
  o.name = "db";
  o.tier(Tier::kCritical) = tier_options(2, 2, 1s);
  o.tier(Tier::kStandard) = tier_options(2, 2, 1s);
  o.tier(Tier::kOptional) = tier_options(2, 4, 1s, QueueFullPolicy::kShedOldest);
  Harness h(o);
  std::vector<Slot> optional_held;
  optional_held.push_back(h.hold(Tier::kOptional));
  optional_held.push_back(h.hold(Tier::kOptional));
  for (int i = 0; i < 50; ++i) (void)h.acquire(Tier::kOptional);  // saturated, queued, shedding
  EXPECT_EQ(h.metrics(Tier::kOptional).queued, 4);
  EXPECT_EQ(h.metrics(Tier::kOptional).rejected_for(Rejection::kShed), 46u);

  const TimePoint t0 = h.now();
  Call& c1 = h.acquire(Tier::kCritical);
  Call& c2 = h.acquire(Tier::kCritical);
  ASSERT_TRUE(c1.granted());
  ASSERT_TRUE(c2.granted());
  EXPECT_EQ(c1.done_at, t0);
  EXPECT_EQ(c2.done_at, t0);
  EXPECT_EQ(h.metrics(Tier::kCritical).rejected_total(), 0u);
  EXPECT_EQ(h.metrics(Tier::kCritical).max_queued, 0);
  c1.slot().release();
  EXPECT_TRUE(h.bulkhead().try_acquire(Tier::kCritical).ok());
}

// ---- metrics and events -----------------------------------------------------------------------

TEST(Bulkhead, CountsAndReportsWhatHappened) {
  struct Seen {
    BulkheadEventKind kind;
    Rejection reason;
    Duration waited;
    int in_use;
    int queued;
  };
  std::vector<Seen> seen;
  BulkheadOptions o = options_for(Tier::kStandard, tier_options(1, 1, 100ms));
  o.listener = [&](const BulkheadEvent& e) {
    EXPECT_EQ(e.bulkhead, "db");
    if (e.tier == Tier::kStandard) seen.push_back({e.kind, e.reason, e.waited, e.in_use, e.queued});
  };
  Harness h(o);
  Slot holder = h.hold(Tier::kStandard);            // admitted
  Call& a = h.acquire(Tier::kStandard);              // queued
  Call& b = h.acquire(Tier::kStandard);              // rejected: queue full
  h.advance(30ms);
  holder.release();                                  // released, handed over to A
  h.settle();
  ASSERT_TRUE(a.granted());
  Call& c = h.acquire(Tier::kStandard);              // queued
  h.advance(100ms);                                  // C times out
  a.slot().release();                                // released, free
  ASSERT_TRUE(b.done() && c.done());

  using K = BulkheadEventKind;
  const std::vector<K> kinds = {K::kAdmitted, K::kQueued,   K::kRejected, K::kReleased,
                                K::kHandedOver, K::kQueued, K::kRejected, K::kReleased};
  ASSERT_EQ(seen.size(), kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(seen[i].kind, kinds[i]) << i;
  EXPECT_EQ(seen[2].reason, Rejection::kQueueFull);
  EXPECT_EQ(seen[4].waited, 30ms);
  EXPECT_EQ(seen[4].in_use, 1);
  EXPECT_EQ(seen[4].queued, 0);
  EXPECT_EQ(seen[6].reason, Rejection::kTimedOut);
  EXPECT_EQ(seen[6].waited, 100ms);
  EXPECT_EQ(seen[7].in_use, 0);

  const TierMetrics m = h.metrics(Tier::kStandard);
  EXPECT_EQ(m.in_use, 0);
  EXPECT_EQ(m.max_in_use, 1);
  EXPECT_EQ(m.queued, 0);
  EXPECT_EQ(m.max_queued, 1);
  EXPECT_EQ(m.accepted, 2u);
  EXPECT_EQ(m.accepted_after_wait, 1u);
  EXPECT_EQ(m.rejected_for(Rejection::kQueueFull), 1u);
  EXPECT_EQ(m.rejected_for(Rejection::kTimedOut), 1u);
  EXPECT_EQ(m.rejected_total(), 2u);
  EXPECT_EQ(m.abandoned, 0u);
  EXPECT_EQ(h.metrics(Tier::kCritical).accepted, 0u);
}

// ---- execute ----------------------------------------------------------------------------------

TEST(Bulkhead, ExecuteRunsTheOperationHoldingASlot) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 1, 50ms)));
  Bulkhead* bulkhead = &h.bulkhead();
  Clock* clock = &h.process().clock();
  int in_use_inside = -1;
  auto op = [bulkhead, clock, &in_use_inside]() -> Task<Result<int>> {
    in_use_inside = bulkhead->metrics(Tier::kStandard).in_use;
    co_await clock->sleep_for(10ms);
    co_return 42;
  };
  Result<int> r = testing::run_on(h.world(), h.process(),
                                  h.bulkhead().execute<int>(Tier::kStandard, op));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(in_use_inside, 1);
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 0) << "the slot outlived the operation";

  // Refused: the operation does not run and the refusal is returned as is.
  Slot holder = h.hold(Tier::kStandard);
  int ran = 0;
  auto counted = [&ran]() -> Task<Result<int>> {
    ++ran;
    co_return 1;
  };
  Result<int> refused = testing::run_on(
      h.world(), h.process(), h.bulkhead().execute<int>(Tier::kStandard, counted, h.now() + 20ms));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(refused.error().message, "deadline")) << refused.error().message;
  EXPECT_EQ(ran, 0);
}

}  // namespace
}  // namespace faultline::resilience
