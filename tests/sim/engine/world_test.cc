// The World: pause, crash, restart, and the processes' hooks.
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

// ---- Pause, crash, restart ------------------------------------------------------------------

TEST(World, PauseHoldsEventsUntilResumeWhileOthersProgress) {
  Mark a_mark;
  Mark b_mark;
  World world(5);
  Process& a = world.add_process("a");
  Process& b = world.add_process("b");
  world.start();
  spawn_now(world, a, sleep_then_mark(a, milliseconds(100), a_mark));
  spawn_now(world, b, sleep_then_mark(b, milliseconds(100), b_mark));
  bool paused_seen = false;
  world.schedule(at(milliseconds(50)), kWorldProcess, 0, [&] { world.pause(a); });
  world.schedule(at(milliseconds(300)), kWorldProcess, 0, [&] {
    paused_seen = a.paused() && !a_mark.done && b_mark.done;
  });
  world.schedule(at(milliseconds(500)), kWorldProcess, 0, [&] { world.resume(a); });
  drain(world);
  EXPECT_TRUE(paused_seen) << "while paused, a's wake-up must be held and b must have run";
  ASSERT_TRUE(b_mark.done);
  ASSERT_TRUE(a_mark.done);
  EXPECT_EQ(b_mark.true_at, at(milliseconds(100)));
  EXPECT_EQ(a_mark.true_at, at(milliseconds(500))) << "a wakes when resumed, not before";
  EXPECT_FALSE(a.paused());
}

struct Lifecycle {
  int starts = 0;
  int finished = 0;
  int crashes = 0;
  bool last_persist = false;
};

Task<void> boot_then_sleep(Process& p, Lifecycle& life) {
  co_await p.clock().sleep_for(seconds(1));
  ++life.finished;
}

TEST(World, CrashDiscardsPendingEventsAndRestartRerunsOnStart) {
  Lifecycle life;
  World world(6);
  Process& p = world.add_process("p");
  p.on_start([&life](Process& self) {
    ++life.starts;
    self.spawn(boot_then_sleep(self, life));
  });
  p.on_crash([&life](Process&, bool persist) {
    ++life.crashes;
    life.last_persist = persist;
  });
  world.start();
  EXPECT_EQ(life.starts, 1);
  std::uint32_t generation_before = p.generation();
  world.schedule(at(milliseconds(100)), kWorldProcess, 0, [&] { world.crash(p, false); });
  bool down_seen = false;
  world.schedule(at(milliseconds(150)), kWorldProcess, 0, [&] { down_seen = !p.up(); });
  world.schedule(at(milliseconds(200)), kWorldProcess, 0, [&] { world.restart(p); });
  drain(world);
  EXPECT_TRUE(down_seen);
  EXPECT_TRUE(p.up());
  EXPECT_EQ(life.crashes, 1);
  EXPECT_FALSE(life.last_persist);
  EXPECT_EQ(life.starts, 2) << "restart must run on_start again";
  EXPECT_EQ(life.finished, 1) << "the sleep pending at the crash must never resume";
  EXPECT_EQ(world.now(), at(milliseconds(1200))) << "only the restarted sleep completes";
  EXPECT_EQ(p.generation(), generation_before + 1);
}

TEST(World, CrashWhilePausedDropsHeldEvents) {
  Lifecycle life;
  World world(7);
  Process& p = world.add_process("p");
  p.on_start([&life](Process& self) {
    ++life.starts;
    self.spawn(boot_then_sleep(self, life));
  });
  world.start();
  world.schedule(at(milliseconds(100)), kWorldProcess, 0, [&] { world.pause(p); });
  // The 1s wake-up falls into the pause and is held; the crash must drop it.
  world.schedule(at(seconds(2)), kWorldProcess, 0, [&] { world.crash(p, true); });
  world.schedule(at(seconds(3)), kWorldProcess, 0, [&] { world.resume(p); });
  drain(world);
  EXPECT_EQ(life.finished, 0);
  EXPECT_FALSE(p.up());
}

}  // namespace
}  // namespace faultline::sim
