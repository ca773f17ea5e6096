// The World's scheduler: cancelled events, the executor's ready queue, and the clocks' exact
// arithmetic on its fast paths (issue 13's speed work must not change what a run does).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "faultline/random.h"
#include "faultline/sim/network.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// ---- cancel() -------------------------------------------------------------------------------

TEST(WorldCancel, ACancelledEventNeverRunsCountsNorEntersTheTrace) {
  std::vector<int> ran;
  World with_cancel(7);
  with_cancel.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] { ran.push_back(1); });
  const World::EventId doomed =
      with_cancel.schedule(at(milliseconds(2)), kWorldProcess, 0, [&] { ran.push_back(2); });
  with_cancel.schedule(at(milliseconds(3)), kWorldProcess, 0, [&] { ran.push_back(3); });
  with_cancel.cancel(doomed);
  drain(with_cancel);
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_EQ(with_cancel.events_run(), 2u);

  World without(7);
  without.schedule(at(milliseconds(1)), kWorldProcess, 0, [] {});
  without.schedule(at(milliseconds(3)), kWorldProcess, 0, [] {});
  drain(without);
  EXPECT_EQ(with_cancel.trace().hash(), without.trace().hash())
      << "a cancelled event must leave no mark on the trace";
}

TEST(WorldCancel, CancellingAnEventThatRanLeavesTheSlotsNextEventAlone) {
  World world(7);
  int first = 0;
  int second = 0;
  const World::EventId old = world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] { ++first; });
  drain(world);
  // The next event reuses the freed slot; the stale id must not reach it.
  world.schedule(at(milliseconds(2)), kWorldProcess, 0, [&] { ++second; });
  world.cancel(old);
  drain(world);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(WorldCancel, AFrozenEventCancelledWhilePausedNeverRuns) {
  World world(7);
  Process& p = world.add_process("p");
  world.start();
  int ran = 0;
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] { world.pause(p); });
  const World::EventId held = world.schedule(at(milliseconds(2)), p.id(), 0, [&] { ++ran; });
  world.schedule(at(milliseconds(3)), kWorldProcess, 0, [&] { world.cancel(held); });
  world.schedule(at(milliseconds(4)), kWorldProcess, 0, [&] { world.resume(p); });
  drain(world);
  EXPECT_EQ(ran, 0);
}

TEST(WorldCancel, AReplyBeforeTheDeadlineLeavesNoDeadlineEvent) {
  World world(3);
  Network network(world);
  Process& client = world.add_process("client");
  Process& server = world.add_process("server");
  world.start();
  std::optional<Result<int>> got;
  auto op = []() { return Result<int>(42); };
  auto task = [&]() -> Task<void> {
    got = co_await call<int>(network, client, server, milliseconds(500), op);
  };
  spawn_now(world, client, task());
  drain(world);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(got->value(), 42);
  EXPECT_EQ(world.events_run(), 2u) << "the request and the reply; the met deadline is no event";
  EXPECT_LT(world.now(), at(milliseconds(500))) << "time must not run on to the deadline";
}

TEST(WorldCancel, CancellingTwiceFromInsideOrWithADefaultIdIsHarmless) {
  World world(7);
  int ran = 0;
  World::EventId self;
  self = world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] {
    ++ran;
    world.cancel(self);  // running: left alone
  });
  const World::EventId other =
      world.schedule(at(milliseconds(2)), kWorldProcess, 0, [&] { ran += 10; });
  world.cancel(World::EventId{});  // names no event
  drain(world);
  world.cancel(other);
  world.cancel(other);
  EXPECT_EQ(ran, 11);
}

TEST(WorldCancel, AStaleIdOfACrashedProcessLeavesTheSlotsNewEventAlone) {
  World world(7);
  Process& p = world.add_process("p");
  world.start();
  int old_ran = 0;
  int new_ran = 0;
  const World::EventId stale =
      world.schedule(at(milliseconds(5)), p.id(), p.generation(), [&] { ++old_ran; });
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] { world.crash(p, true); });
  world.schedule(at(milliseconds(6)), kWorldProcess, 0, [&] {
    world.schedule(at(milliseconds(7)), kWorldProcess, 0, [&] { ++new_ran; });
    world.cancel(stale);
  });
  drain(world);
  EXPECT_EQ(old_ran, 0) << "a crashed process's event is discarded";
  EXPECT_EQ(new_ran, 1) << "the stale id must not cancel the event now in its slot";
}

TEST(WorldCancel, RunUntilNeitherCountsNorStopsAtACancelledEvent) {
  World world(7);
  int ran = 0;
  const World::EventId doomed = world.schedule(at(milliseconds(1)), kWorldProcess, 0, [] {});
  world.schedule(at(milliseconds(2)), kWorldProcess, 0, [&] { ++ran; });
  world.cancel(doomed);
  EXPECT_EQ(world.run_until(at(milliseconds(10)), 1), 1u);
  EXPECT_EQ(ran, 1) << "the one event allowed is the live one, not the cancelled one";
}

// ---- the executor's ready queue -------------------------------------------------------------

Task<void> record(std::vector<int>& order, int id) {
  order.push_back(id);
  co_return;
}

TEST(SimExecutor, SpawnedWorkRunsInOrderBeforeTheNextEvent) {
  std::vector<int> order;
  World world(1);
  Process& p = world.add_process("p");
  world.start();
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] {
    p.spawn(record(order, 1));
    p.spawn(record(order, 2));
    order.push_back(0);  // spawned work never runs inside the event that spawned it
  });
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] { order.push_back(3); });
  drain(world);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

Task<void> throws_now() {
  throw std::runtime_error("workload bug");
  co_return;
}

TEST(SimExecutor, AnExceptionEscapingACoroutineLeavesStep) {
  World world(1);
  Process& p = world.add_process("p");
  world.start();
  p.spawn(throws_now());
  EXPECT_THROW(world.step(), std::runtime_error);
}

// Sets *destroyed when the last owner goes (a moved-from Flag owns nothing).
struct Flag {
  explicit Flag(bool* d) : destroyed(d) {}
  Flag(Flag&& other) noexcept : destroyed(std::exchange(other.destroyed, nullptr)) {}
  Flag& operator=(Flag&&) = delete;
  ~Flag() {
    if (destroyed != nullptr) *destroyed = true;
  }
  bool* destroyed;
};

Task<void> sleeps_forever(Process& p, Flag flag) {
  co_await p.clock().sleep_for(std::chrono::hours(1));
  (void)flag;
}

TEST(SimExecutor, DestroyingTheWorldUnwindsSuspendedCoroutines) {
  bool destroyed = false;
  {
    World world(1);
    Process& p = world.add_process("p");
    world.start();
    spawn_now(world, p, sleeps_forever(p, Flag(&destroyed)));
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed) << "the frame (and what it owns) must be destroyed with the World";
}

// ---- the clocks' fast paths are exact -------------------------------------------------------

RC_GTEST_PROP(ProcessClockArithmetic, ToTrueIsTheCeilingOfTheExactQuotient, ()) {
  const auto drift = *rc::gen::inRange<std::int32_t>(-499'999, 500'000);
  const auto local = *rc::gen::inRange<std::int64_t>(1, std::int64_t{1} << 52);
  World world(1);
  Process& p = world.add_process("p");
  p.clock().set_drift_ppm(drift);
  const int128 n = static_cast<int128>(local) * 1'000'000;
  const int128 d = 1'000'000 + drift;
  const auto want = static_cast<std::int64_t>((n + d - 1) / d);
  RC_ASSERT(p.clock().to_true(nanoseconds(local)).count() == want);
}

RC_GTEST_PROP(ProcessClockArithmetic, NowIsTheFloorOfTheExactProduct, ()) {
  const auto drift = *rc::gen::inRange<std::int32_t>(-499'999, 500'000);
  const auto elapsed = *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 52);
  World world(1);
  Process& p = world.add_process("p");
  p.clock().set_drift_ppm(drift);
  const TimePoint before = p.clock().now();
  world.run_until(SimTime(nanoseconds(elapsed)));
  const auto want = static_cast<std::int64_t>(static_cast<int128>(elapsed) *
                                              (1'000'000 + drift) / 1'000'000);
  RC_ASSERT((p.clock().now() - before).count() == want);
}

}  // namespace
}  // namespace faultline::sim
