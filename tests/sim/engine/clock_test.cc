// Virtual time and the processes' steady and wall clocks: skew, drift, steps.
//
// Coroutines here are free functions taking references to objects declared *before* the World
// (so they outlive every coroutine frame), and no non-trivially destructible temporary appears
// inside a co_await operand (g++ 12 destroys those twice).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/random.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// ---- Virtual time and process clocks ----------------------------------------------------------

TEST(World, VirtualTimeJumpsOverIdlePeriods) {
  Mark mark;
  World world(1);
  Process& p = world.add_process("sleeper");
  world.start();
  spawn_now(world, p, sleep_then_mark(p, hours(1), mark));
  EXPECT_FALSE(mark.done);
  drain(world);
  ASSERT_TRUE(mark.done);
  EXPECT_EQ(world.now(), at(hours(1)));
  EXPECT_EQ(mark.true_at, at(hours(1)));
  EXPECT_LE(world.events_run(), 3u) << "an idle hour must cost a handful of events, not ticks";
}

TEST(World, ProcessIdsAndNames) {
  World world(1);
  Process& a = world.add_process("a");
  Process& b = world.add_process("b");
  EXPECT_EQ(a.id(), 1u);
  EXPECT_EQ(b.id(), 2u);
  EXPECT_EQ(world.find_process("b"), &b);
  EXPECT_EQ(world.find_process("c"), nullptr);
  EXPECT_EQ(&world.process(1), &a);
  EXPECT_EQ(world.process_count(), 2u);
}

TEST(ProcessClock, PositiveDriftMakesLocalSleepShorterInTrueTime) {
  Mark mark;
  World world(2);
  Process& p = world.add_process("fast");
  p.clock().set_drift_ppm(100'000);  // runs 10% fast
  world.start();
  spawn_now(world, p, sleep_then_mark(p, seconds(1), mark));
  drain(world);
  ASSERT_TRUE(mark.done);
  // 1s local at 1.1x speed is 1/1.1 s = 0.909090909..s of true time (rounded up to the ns).
  EXPECT_EQ(mark.true_at, at(nanoseconds(909'090'910)));
  EXPECT_GE(mark.local_at, TimePoint(seconds(1))) << "a sleep must last at least its duration";
  EXPECT_LT(mark.local_at, TimePoint(seconds(1) + microseconds(1)));
  EXPECT_EQ(p.clock().drift_ppm(), 100'000);
}

TEST(ProcessClock, NegativeDriftMakesLocalSleepLongerInTrueTime) {
  Mark mark;
  World world(2);
  Process& p = world.add_process("slow");
  p.clock().set_drift_ppm(-200'000);  // runs at 0.8x
  world.start();
  spawn_now(world, p, sleep_then_mark(p, seconds(1), mark));
  drain(world);
  ASSERT_TRUE(mark.done);
  EXPECT_EQ(mark.true_at, at(milliseconds(1250)));
  EXPECT_EQ(mark.local_at, TimePoint(seconds(1)));
}

TEST(ProcessClock, NowFollowsDriftAndStepJumpsTheReading) {
  World world(3);
  Process& p = world.add_process("p");
  Process& q = world.add_process("q");
  p.clock().set_drift_ppm(100'000);
  bool checked = false;
  world.schedule(at(seconds(10)), kWorldProcess, 0, [&] {
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(11)));  // 10s true at 1.1x
    EXPECT_EQ(q.clock().now(), TimePoint(seconds(10)));
    p.clock().step(seconds(5));
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(16))) << "step jumps at the same true time";
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(16))) << "the wall clock jumps with it";
    q.clock().step(-milliseconds(300));
    EXPECT_EQ(q.clock().now(), TimePoint(seconds(10))) << "the steady clock never goes back";
    EXPECT_EQ(q.clock().wall_now(), WallTime(milliseconds(9700)));
    checked = true;
  });
  world.schedule(at(seconds(20)), kWorldProcess, 0, [&] {
    // After the step the clock keeps its drift: +10s true is +11s local.
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(27)));
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(27)));
    EXPECT_EQ(q.clock().now(), TimePoint(seconds(20)));
    EXPECT_EQ(q.clock().wall_now(), WallTime(milliseconds(19700)));
  });
  drain(world);
  EXPECT_TRUE(checked);
}

TEST(ProcessClock, SteadyClockNeverDecreasesUnderBackwardSteps) {
  World world(5);
  Process& p = world.add_process("p");
  p.clock().set_drift_ppm(-3'000);
  Rng rng(77);
  TimePoint last_steady = p.clock().now();
  Duration forward_total{};
  Duration all_total{};
  int backward = 0;
  for (int i = 1; i <= 200; ++i) {
    world.schedule(at(milliseconds(10 * i)), kWorldProcess, 0, [&] {
      const Duration amount = uniform_duration(rng, -Duration(seconds(5)), Duration(seconds(5)));
      const TimePoint steady_before = p.clock().now();
      const WallTime wall_before = p.clock().wall_now();
      p.clock().step(amount);
      EXPECT_GE(p.clock().now(), last_steady) << "the steady clock went back";
      EXPECT_EQ(p.clock().now() - steady_before, std::max(amount, Duration::zero()));
      EXPECT_EQ(p.clock().wall_now() - wall_before, amount) << "the wall clock steps either way";
      last_steady = p.clock().now();
      forward_total += std::max(amount, Duration::zero());
      all_total += amount;
      backward += amount < Duration::zero() ? 1 : 0;
    });
  }
  drain(world);
  EXPECT_GT(backward, 50) << "the draw must include many backward steps";
  // Both readings share the drifted rate; only the steps separate them.
  EXPECT_EQ(p.clock().wall_now().time_since_epoch() - p.clock().now().time_since_epoch(),
            all_total - forward_total);
}

TEST(ProcessClock, WallClockStepsBothWaysAndStepWallLeavesTheSteadyClock) {
  World world(6);
  Process& p = world.add_process("p");
  world.schedule(at(seconds(10)), kWorldProcess, 0, [&] {
    p.clock().step_wall(seconds(3));
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(13)));
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(10)));
    p.clock().step_wall(-seconds(8));
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(5)));
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(10)));
    p.clock().step(-seconds(1));
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(4)));
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(10)));
    p.clock().step(seconds(2));
    EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(6)));
    EXPECT_EQ(p.clock().now(), TimePoint(seconds(12)));
  });
  drain(world);
  EXPECT_EQ(p.clock().wall_now(), WallTime(seconds(6)));
}

TEST(ProcessClock, SleepAfterStepIsMeasuredInTrueTimePerDrift) {
  Mark mark;
  World world(4);
  Process& p = world.add_process("p");
  world.start();
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    p.clock().set_drift_ppm(100'000);
    p.clock().step(seconds(100));
    p.spawn(sleep_then_mark(p, seconds(1), mark));
  });
  drain(world);
  ASSERT_TRUE(mark.done);
  // A step does not shorten a sleep started after it; the drift does.
  EXPECT_EQ(mark.true_at, at(seconds(1) + nanoseconds(909'090'910)));
  EXPECT_GE(mark.local_at, TimePoint(seconds(102)));
}

TEST(ProcessClock, ToTrueRoundsUpAndIgnoresNonPositive) {
  World world(4);
  Process& p = world.add_process("p");
  EXPECT_EQ(p.clock().to_true(Duration::zero()), Duration::zero());
  EXPECT_EQ(p.clock().to_true(-seconds(1)), Duration::zero());
  EXPECT_EQ(p.clock().to_true(seconds(1)), seconds(1));
  p.clock().set_drift_ppm(100'000);
  EXPECT_EQ(p.clock().to_true(nanoseconds(11)), nanoseconds(10));
  EXPECT_EQ(p.clock().to_true(nanoseconds(12)), nanoseconds(11));  // 10.9 rounds up
}

}  // namespace
}  // namespace faultline::sim
