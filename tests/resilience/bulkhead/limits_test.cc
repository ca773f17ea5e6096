// Bulkhead configuration, limits, and FIFO order without barging.
#include "tests/resilience/bulkhead/bulkhead_support.h"

namespace faultline::resilience {
namespace {

// ---- configuration ----------------------------------------------------------------------------

TEST(BulkheadConfig, DefaultsAreValidAndFailFast) {
  BulkheadOptions o;
  EXPECT_TRUE(o.validate().ok());
  EXPECT_EQ(o.tier(Tier::kCritical).max_queue, 0);
  EXPECT_EQ(o.tier(Tier::kCritical).max_wait, Duration::zero());
}

TEST(BulkheadConfig, RejectsBadFieldsNamingFieldAndRange) {
  struct Case {
    std::function<void(BulkheadOptions&)> mutate;
    std::string message;  // exact when it ends with its range, else a prefix
    bool exact;
  };
  const std::vector<Case> cases = {
      {[](BulkheadOptions& o) { o.tier(Tier::kOptional).max_concurrent = 0; },
       "tiers[optional].max_concurrent: 0; must be in [1, 1000000]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kCritical).max_concurrent = 1'000'001; },
       "tiers[critical].max_concurrent: 1000001; must be in [1, 1000000]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kStandard).max_concurrent = -3; },
       "tiers[standard].max_concurrent: -3; must be in [1, 1000000]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kStandard).max_queue = -1; },
       "tiers[standard].max_queue: -1; must be in [0, 1000000]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kOptional).max_queue = 2'000'000; },
       "tiers[optional].max_queue: 2000000; must be in [0, 1000000]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kStandard).max_wait = -1ms; },
       "tiers[standard].max_wait: -1ms; must be in [0, 1h]", true},
      {[](BulkheadOptions& o) {
         o.tier(Tier::kCritical).max_queue = 1;
         o.tier(Tier::kCritical).max_wait = 2h;
       },
       "tiers[critical].max_wait: 2h; must be in [0, 1h]", true},
      {[](BulkheadOptions& o) { o.tier(Tier::kStandard).max_queue = 5; },
       "tiers[standard].max_wait: 0 with max_queue 5; must be positive", false},
      {[](BulkheadOptions& o) { o.tier(Tier::kStandard).max_wait = 10ms; },
       "tiers[standard].max_queue: 0 with max_wait 10ms; must be positive", false},
      {[](BulkheadOptions& o) {
         o.tier(Tier::kOptional).when_full = static_cast<QueueFullPolicy>(9);
       },
       "tiers[optional].when_full: 9; must be kRejectNewcomer or kShedOldest", true},
      {[](BulkheadOptions& o) { o.name.clear(); }, "name: 0 characters; must be in [1, 200]", true},
      {[](BulkheadOptions& o) { o.name.assign(201, 'x'); },
       "name: 201 characters; must be in [1, 200]", true},
  };
  World world(1);
  Process& p = world.add_process("client");
  for (const Case& c : cases) {
    BulkheadOptions o;
    c.mutate(o);
    Result<Bulkhead> created = Bulkhead::create(p.clock(), o);
    ASSERT_FALSE(created.ok()) << c.message;
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument);
    if (c.exact) {
      EXPECT_EQ(created.error().message, c.message);
    } else {
      EXPECT_EQ(created.error().message.rfind(c.message, 0), 0u) << created.error().message;
    }
  }
}

// ---- limits -----------------------------------------------------------------------------------

TEST(Bulkhead, EachTierHasItsOwnLimit) {
  BulkheadOptions o;
  o.name = "db";
  o.tier(Tier::kCritical) = tier_options(2, 0, 0ms);
  o.tier(Tier::kStandard) = tier_options(3, 0, 0ms);
  o.tier(Tier::kOptional) = tier_options(1, 0, 0ms);
  Harness h(o);
  std::vector<Slot> held;
  EXPECT_TRUE(h.bulkhead().has_free_slot(Tier::kCritical));
  for (int i = 0; i < 2; ++i) held.push_back(h.hold(Tier::kCritical));
  EXPECT_FALSE(h.bulkhead().has_free_slot(Tier::kCritical));
  EXPECT_EQ(h.metrics(Tier::kCritical).rejected_total(), 0u) << "a query counts nothing";
  Result<Slot> third = h.bulkhead().try_acquire(Tier::kCritical);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(contains(third.error().message, "bulkhead 'db' tier critical"))
      << third.error().message;
  EXPECT_TRUE(contains(third.error().message, "max_concurrent 2")) << third.error().message;
  // The other tiers are untouched by the critical tier being full.
  for (int i = 0; i < 3; ++i) held.push_back(h.hold(Tier::kStandard));
  EXPECT_FALSE(h.bulkhead().try_acquire(Tier::kStandard).ok());
  held.push_back(h.hold(Tier::kOptional));
  EXPECT_FALSE(h.bulkhead().try_acquire(Tier::kOptional).ok());
  EXPECT_EQ(h.metrics(Tier::kCritical).in_use, 2);
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 3);
  EXPECT_EQ(h.metrics(Tier::kOptional).in_use, 1);

  // acquire() on a fail-fast tier refuses at once, saying it does not queue.
  Call& c = h.acquire(Tier::kCritical);
  ASSERT_TRUE(c.done());
  EXPECT_FALSE(c.granted());
  EXPECT_TRUE(contains(c.error().message, "does not queue")) << c.error().message;

  held.front().release();  // a critical slot
  EXPECT_FALSE(held.front().held());
  held.front().release();  // idempotent
  EXPECT_EQ(h.metrics(Tier::kCritical).in_use, 1);
  EXPECT_TRUE(h.bulkhead().try_acquire(Tier::kCritical).ok());  // and released again at once
  EXPECT_EQ(h.metrics(Tier::kCritical).in_use, 1);
}

TEST(Bulkhead, SlotMovesItsOwnership) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 0, 0ms)));
  Slot a = h.hold(Tier::kStandard);
  Slot b = std::move(a);
  EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): moved-from holds nothing
  EXPECT_TRUE(b.held());
  EXPECT_EQ(b.tier(), Tier::kStandard);
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 1);
  { Slot c = std::move(b); }
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 0);
}

// ---- FIFO and barging --------------------------------------------------------------------------

TEST(Bulkhead, HandsReleasedSlotsToWaitersInArrivalOrderWithoutBarging) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 4, 10s)));
  Slot holder = h.hold(Tier::kStandard);
  Call& a = h.acquire(Tier::kStandard);
  Call& b = h.acquire(Tier::kStandard);
  Call& c = h.acquire(Tier::kStandard);
  EXPECT_FALSE(a.done() || b.done() || c.done());
  EXPECT_EQ(h.metrics(Tier::kStandard).queued, 3);

  holder.release();
  // Handed straight to A: not free for a newcomer, and A is resumed by a post, not inline.
  EXPECT_FALSE(a.done()) << "resumed inline inside release()";
  Result<Slot> barger = h.bulkhead().try_acquire(Tier::kStandard);
  EXPECT_FALSE(barger.ok()) << "a newcomer overtook a queued waiter";
  Call& d = h.acquire(Tier::kStandard);  // a newcomer that may wait queues behind C
  h.settle();
  ASSERT_TRUE(a.granted());
  EXPECT_FALSE(b.done() || c.done() || d.done());

  a.slot().release();
  h.settle();
  ASSERT_TRUE(b.granted());
  EXPECT_FALSE(c.done() || d.done());
  b.slot().release();
  h.settle();
  ASSERT_TRUE(c.granted());
  EXPECT_FALSE(d.done());
  c.slot().release();
  h.settle();
  ASSERT_TRUE(d.granted());
  EXPECT_LT(a.seq, b.seq);
  EXPECT_LT(b.seq, c.seq);
  EXPECT_LT(c.seq, d.seq);
  d.slot().release();
  EXPECT_EQ(h.metrics(Tier::kStandard).in_use, 0);
  EXPECT_EQ(h.metrics(Tier::kStandard).accepted_after_wait, 4u);
}

}  // namespace
}  // namespace faultline::resilience
