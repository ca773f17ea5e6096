// Bulkhead, driven on the simulator's virtual clock: per-tier limits, FIFO hand-over without
// barging, exact timeouts, queue-full policies, isolation between tiers, metrics and events,
// configuration errors, destruction and crashes with callers queued, and a RapidCheck property
// over generated acquire / release / advance-time sequences.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "faultline/resilience/bulkhead.h"
#include "faultline/sim/world.h"
#include "tests/sim_run.h"

namespace faultline::resilience {
namespace {

using namespace std::chrono_literals;
using sim::Process;
using sim::World;

TierOptions tier_options(int max_concurrent, int max_queue, Duration max_wait,
                         QueueFullPolicy when_full = QueueFullPolicy::kRejectNewcomer) {
  TierOptions t;
  t.max_concurrent = max_concurrent;
  t.max_queue = max_queue;
  t.max_wait = max_wait;
  t.when_full = when_full;
  return t;
}

BulkheadOptions options_for(Tier tier, TierOptions t) {
  BulkheadOptions o;
  o.name = "db";
  o.tier(tier) = t;
  return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One acquire() as the test sees it.
struct Call {
  std::optional<Result<Slot>> outcome;
  TimePoint done_at{};
  int completions = 0;
  std::uint64_t seq = 0;  // global order of completion

  [[nodiscard]] bool done() const { return outcome.has_value(); }
  [[nodiscard]] bool granted() const { return outcome && outcome->ok(); }
  [[nodiscard]] const Error& error() const { return outcome->error(); }
  Slot& slot() { return outcome->value(); }
};

Task<void> acquire_into(Bulkhead* bulkhead, Tier tier, TimePoint deadline, Call* call,
                        Clock* clock, std::uint64_t* counter) {
  Task<Result<Slot>> acquiring = bulkhead->acquire(tier, deadline);
  Result<Slot> result = co_await std::move(acquiring);
  call->done_at = clock->now();
  call->seq = ++*counter;
  ++call->completions;
  call->outcome.emplace(std::move(result));
}

// A World with one process "client" whose clock the bulkhead uses.
class Harness {
 public:
  explicit Harness(BulkheadOptions options) : process_(world_.add_process("client")) {
    world_.start();
    Result<Bulkhead> created = Bulkhead::create(process_.clock(), std::move(options));
    if (!created.ok()) throw std::runtime_error(created.error().to_string());
    bulkhead_.emplace(std::move(created).value());
  }

  // Starts an acquire() on the client and runs it as far as it goes at the current time.
  Call& acquire(Tier tier, TimePoint deadline = TimePoint::max()) {
    calls_.push_back(std::make_unique<Call>());
    Call* call = calls_.back().get();
    process_.spawn(
        acquire_into(&*bulkhead_, tier, deadline, call, &process_.clock(), &completions_));
    settle();
    return *call;
  }
  Slot hold(Tier tier) {
    Result<Slot> slot = bulkhead_->try_acquire(tier);
    if (!slot.ok()) throw std::runtime_error(slot.error().to_string());
    return std::move(slot).value();
  }
  // Runs what is due now (posted resumptions included) without moving time.
  void settle() { world_.run_until(world_.now()); }
  void advance(Duration d) { world_.run_until(world_.now() + d); }
  TimePoint now() { return process_.clock().now(); }
  Bulkhead& bulkhead() { return *bulkhead_; }
  void destroy_bulkhead() { bulkhead_.reset(); }
  World& world() { return world_; }
  Process& process() { return process_; }
  TierMetrics metrics(Tier tier) { return bulkhead_->metrics(tier); }

 private:
  World world_{1};
  Process& process_;
  std::uint64_t completions_ = 0;
  std::vector<std::unique_ptr<Call>> calls_;
  std::optional<Bulkhead> bulkhead_;  // destroyed first: before the World it posts to
};

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

// ---- destruction and crashes ------------------------------------------------------------------

TEST(Bulkhead, DestroyingItCompletesQueuedCallersWithAnError) {
  Harness h(options_for(Tier::kStandard, tier_options(1, 4, 1s)));
  Slot holder = h.hold(Tier::kStandard);
  Call& a = h.acquire(Tier::kStandard);
  Call& b = h.acquire(Tier::kStandard);
  Task<Result<Slot>> never_started = h.bulkhead().acquire(Tier::kStandard);
  h.destroy_bulkhead();
  EXPECT_FALSE(a.done()) << "completions are posted, not run inside the destructor";
  h.settle();
  for (Call* c : {&a, &b}) {
    ASSERT_TRUE(c->done());
    EXPECT_EQ(c->completions, 1);
    EXPECT_EQ(c->error().code, ErrorCode::kBulkheadFull);
    EXPECT_TRUE(contains(c->error().message, "bulkhead 'db' was destroyed")) << c->error().message;
  }
  holder.release();  // after the bulkhead: harmless
  Result<Slot> late = testing::run_on(h.world(), h.process(), std::move(never_started));
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(contains(late.error().message, "destroyed before this call")) << late.error().message;
  h.advance(5s);  // the orphaned wake-up timer fires into nothing
}

// Sets *flag when the coroutine frame that owns it is destroyed.
struct FrameGone {
  bool* flag;
  ~FrameGone() { *flag = true; }
};

Task<void> hold_for(Bulkhead* bulkhead, Tier tier, Duration work, Clock* clock) {
  Task<Result<Slot>> acquiring = bulkhead->acquire(tier);
  Result<Slot> slot = co_await std::move(acquiring);
  if (!slot.ok()) throw std::runtime_error(slot.error().to_string());
  co_await clock->sleep_for(work);
}

Task<void> watched_acquire(Bulkhead* bulkhead, Tier tier, Call* call, Clock* clock,
                           std::uint64_t* counter, bool* frame_gone) {
  FrameGone guard{frame_gone};
  co_await acquire_into(bulkhead, tier, TimePoint::max(), call, clock, counter);
}

TEST(Bulkhead, ACrashedProcessesWaitersDoNotBreakLaterAcquires) {
  World world(3);
  Process& p = world.add_process("client");
  world.start();
  std::optional<Bulkhead> bulkhead;
  bulkhead.emplace(Bulkhead::create(p.clock(), options_for(Tier::kStandard,
                                                           tier_options(1, 4, 1s)))
                       .value());
  Bulkhead* bh = &*bulkhead;
  std::uint64_t counter = 0;
  const TimePoint t0 = p.clock().now();
  const sim::SimTime s0 = world.now();  // the same instant in true time (no skew here)

  p.spawn(hold_for(bh, Tier::kStandard, 2s, &p.clock()));  // holds the slot until t0 + 2s
  Call w1, w2;
  bool w1_gone = false, w2_gone = false;
  p.spawn(watched_acquire(bh, Tier::kStandard, &w1, &p.clock(), &counter, &w1_gone));
  world.run_until(world.now() + 10ms);
  p.spawn(watched_acquire(bh, Tier::kStandard, &w2, &p.clock(), &counter, &w2_gone));
  world.run_until(world.now() + 90ms);
  ASSERT_EQ(bh->metrics(Tier::kStandard).queued, 2);

  world.crash(p, /*persist=*/false);  // its pending events, the bulkhead's timer among them, go
  world.run_until(s0 + 200ms);
  world.restart(p);
  world.run_until(s0 + 1500ms);
  // W1 was queued before the (discarded) timer started: certainly abandoned; destroyed at the
  // time its wait would have ended, never resumed.
  EXPECT_TRUE(w1_gone);
  EXPECT_FALSE(w1.done()) << "a crashed process's coroutine was resumed";
  // W2 cannot be told from a live caller: it is timed out as usual, at its own expiry.
  ASSERT_TRUE(w2.done());
  EXPECT_EQ(w2.done_at, t0 + 1010ms);
  EXPECT_TRUE(contains(w2.error().message, "max_wait")) << w2.error().message;
  EXPECT_TRUE(w2_gone);
  TierMetrics m = bh->metrics(Tier::kStandard);
  EXPECT_EQ(m.abandoned, 1u);
  EXPECT_EQ(m.queued, 0);
  EXPECT_EQ(m.in_use, 1) << "the crashed holder's frame lives until its sleep is discarded";

  // The restarted process queues and gets the slot the moment the dead holder's frame goes.
  Call n;
  p.spawn(acquire_into(bh, Tier::kStandard, TimePoint::max(), &n, &p.clock(), &counter));
  world.run_until(s0 + 2s);
  ASSERT_TRUE(n.granted());
  EXPECT_EQ(n.done_at, t0 + 2s);
  n.slot().release();
  world.run_until(s0 + 10s);
  m = bh->metrics(Tier::kStandard);
  EXPECT_EQ(m.in_use, 0);
  EXPECT_EQ(m.queued, 0);
  EXPECT_EQ(m.timers, 0);
  EXPECT_TRUE(bh->try_acquire(Tier::kStandard).ok());
}

// The callers own the bulkhead (a shared_ptr in their frames), the bulkhead owns the parked
// callers: a cycle only the bulkhead can break when their executor drops them. Checked both by
// the weak_ptr below and, under ASan, by LeakSanitizer.
Task<void> shared_hold(std::shared_ptr<Bulkhead> bulkhead, Clock* clock) {
  Task<Result<Slot>> acquiring = bulkhead->acquire(Tier::kStandard);
  Result<Slot> slot = co_await std::move(acquiring);
  co_await clock->sleep_for(1h);
}
Task<void> shared_wait(std::shared_ptr<Bulkhead> bulkhead, int* resumed) {
  Task<Result<Slot>> acquiring = bulkhead->acquire(Tier::kStandard);
  Result<Slot> slot = co_await std::move(acquiring);
  ++*resumed;
}

void run_and_tear_down(bool crash_first) {
  std::weak_ptr<Bulkhead> watch;
  int resumed = 0;
  {
    auto world = std::make_unique<World>(5);
    Process& p = world->add_process("client");
    world->start();
    auto bulkhead = std::make_shared<Bulkhead>(
        Bulkhead::create(p.clock(), options_for(Tier::kStandard, tier_options(1, 4, 30s)))
            .value());
    watch = bulkhead;
    p.spawn(shared_hold(bulkhead, &p.clock()));
    for (int i = 0; i < 3; ++i) {
      p.spawn(shared_wait(bulkhead, &resumed));
      world->run_until(world->now() + 5ms);
    }
    ASSERT_EQ(bulkhead->metrics(Tier::kStandard).queued, 3);
    bulkhead.reset();  // from here only the process's coroutines own it
    if (crash_first) world->crash(p, false);
    world->run_until(world->now() + 1s);
    ASSERT_FALSE(watch.expired());
  }  // the World goes, with every event and frame in it
  EXPECT_TRUE(watch.expired()) << "the bulkhead and its callers leaked";
  EXPECT_EQ(resumed, 0) << "a caller ran after its executor was torn down";
}

TEST(Bulkhead, TearingDownTheWorldWithCallersQueuedLeaksNothing) { run_and_tear_down(false); }
TEST(Bulkhead, TearingDownACrashedProcessWithCallersQueuedLeaksNothing) {
  run_and_tear_down(true);
}

// ---- property ---------------------------------------------------------------------------------

struct Op {
  int kind = 0;  // 0 acquire, 1 try_acquire, 2 release, 3 advance time
  int tier = 0;
  int arg = 0;  // acquire: deadline in ms from now (>= 40: none); release: which; advance: ms
};
std::ostream& operator<<(std::ostream& os, const Op& op) {
  static const char* const kNames[] = {"acquire", "try_acquire", "release", "advance"};
  return os << kNames[op.kind] << "(tier " << op.tier << ", " << op.arg << ")";
}

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::inRange(0, 4)),
                            rc::gen::set(&Op::tier, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::arg, rc::gen::inRange(0, 61)));
}

RC_GTEST_PROP(BulkheadProperty, LimitsHoldEveryWaiterCompletesOnceInFifoOrder, ()) {
  BulkheadOptions options;
  options.name = "prop";
  for (TierOptions& t : options.tiers) {
    t.max_concurrent = *rc::gen::inRange(1, 4);
    t.max_queue = *rc::gen::inRange(0, 4);
    t.max_wait = t.max_queue == 0 ? Duration::zero()
                                  : std::chrono::milliseconds(*rc::gen::inRange(1, 51));
    t.when_full = static_cast<QueueFullPolicy>(*rc::gen::inRange(0, 2));
  }
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op());

  Harness h(options);
  struct Tracked {
    Call* call;
    Tier tier;
    TimePoint expiry;  // if it queues
    bool queued = false;
    bool checked = false;
  };
  std::vector<Tracked> tracked;
  std::array<std::deque<std::size_t>, kTierCount> model;  // queued calls, oldest first
  std::vector<Slot> held;
  std::array<std::uint64_t, kTierCount> attempts{};

  // Checks the calls completed since the last look, in completion order, against the model.
  auto reconcile = [&]() {
    std::vector<std::size_t> fresh;
    for (std::size_t i = 0; i < tracked.size(); ++i) {
      if (!tracked[i].checked && tracked[i].call->done()) fresh.push_back(i);
    }
    std::sort(fresh.begin(), fresh.end(), [&](std::size_t a, std::size_t b) {
      return tracked[a].call->seq < tracked[b].call->seq;
    });
    for (std::size_t i : fresh) {
      Tracked& t = tracked[i];
      t.checked = true;
      RC_ASSERT(t.call->completions == 1);
      if (!t.queued) {  // answered at once
        if (t.call->granted()) held.push_back(std::move(t.call->slot()));
        continue;
      }
      auto& q = model[tier_index(t.tier)];
      const auto pos = std::find(q.begin(), q.end(), i);
      RC_ASSERT(pos != q.end());
      if (t.call->granted()) {
        RC_ASSERT(pos == q.begin());  // FIFO: only the oldest waiter gets a slot
      } else {
        const std::string& message = t.call->error().message;
        if (contains(message, "shed")) {
          RC_ASSERT(pos == q.begin());
        } else {
          RC_ASSERT(contains(message, "max_wait") || contains(message, "deadline"));
          RC_ASSERT(t.call->done_at == t.expiry);  // exactly on time
        }
      }
      q.erase(pos);
      if (t.call->granted()) held.push_back(std::move(t.call->slot()));
    }
  };
  auto check_limits = [&]() {
    for (std::size_t i = 0; i < kTierCount; ++i) {
      const TierOptions& o = options.tiers[i];
      const TierMetrics m = h.metrics(static_cast<Tier>(i));
      RC_ASSERT(m.in_use <= o.max_concurrent);
      RC_ASSERT(m.queued <= o.max_queue);
      RC_ASSERT(m.timers <= 2 * o.max_queue);
      RC_ASSERT(static_cast<std::size_t>(m.queued) == model[i].size());
      const auto mine = std::count_if(held.begin(), held.end(), [&](const Slot& s) {
        return s.held() && tier_index(s.tier()) == i;
      });
      RC_ASSERT(m.in_use == mine);
      // Nobody waits while a slot is free.
      RC_ASSERT(model[i].empty() || m.in_use == o.max_concurrent);
    }
  };

  for (const Op& op : ops) {
    const auto tier = static_cast<Tier>(op.tier);
    const TierOptions& o = options.tier(tier);
    switch (op.kind) {
      case 0: {
        const TimePoint now = h.now();
        const TimePoint deadline =
            op.arg >= 40 ? TimePoint::max() : now + std::chrono::milliseconds(op.arg);
        ++attempts[tier_index(tier)];
        Call& call = h.acquire(tier, deadline);
        tracked.push_back({&call, tier, std::min(deadline, now + o.max_wait)});
        if (!call.done()) {
          tracked.back().queued = true;
          model[tier_index(tier)].push_back(tracked.size() - 1);
        }
        break;
      }
      case 1: {
        ++attempts[tier_index(tier)];
        Result<Slot> slot = h.bulkhead().try_acquire(tier);
        // No barging: a queued waiter always comes first.
        if (!model[tier_index(tier)].empty()) RC_ASSERT(!slot.ok());
        if (slot.ok()) held.push_back(std::move(slot).value());
        break;
      }
      case 2: {
        std::erase_if(held, [](const Slot& s) { return !s.held(); });
        if (!held.empty()) {
          held[static_cast<std::size_t>(op.arg) % held.size()].release();
          h.settle();
        }
        break;
      }
      case 3:
        h.advance(std::chrono::milliseconds(op.arg));
        break;
    }
    reconcile();
    check_limits();
  }

  // Drain: everyone still waiting either gets a slot or times out.
  for (int round = 0; round < 1000; ++round) {
    std::erase_if(held, [](const Slot& s) { return !s.held(); });
    bool waiting = false;
    for (const auto& q : model) waiting = waiting || !q.empty();
    if (held.empty() && !waiting) break;
    if (!held.empty()) {
      held.front().release();
      h.settle();
    } else {
      h.advance(1h);
    }
    reconcile();
    check_limits();
  }
  h.advance(1h);  // lingering timers end
  for (const Tracked& t : tracked) RC_ASSERT(t.call->completions == 1);
  for (std::size_t i = 0; i < kTierCount; ++i) {
    const TierMetrics m = h.metrics(static_cast<Tier>(i));
    RC_ASSERT(m.in_use == 0);
    RC_ASSERT(m.queued == 0);
    RC_ASSERT(m.timers == 0);
    RC_ASSERT(m.accepted + m.rejected_total() == attempts[i]);
  }
}

}  // namespace
}  // namespace faultline::resilience
