// A bulkhead destroyed, or its process crashed, with callers waiting.
#include "tests/resilience/bulkhead/bulkhead_support.h"

namespace faultline::resilience {
namespace {

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

}  // namespace
}  // namespace faultline::resilience
