// The simulated Redis server: expiry by its wall clock, AOF persistence.
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

// ---- RedisNode: expiry by its wall clock, AOF persistence -----------------------------------

TEST(RedisNode, ExpiryFollowsItsWallClockNotItsSteadyClock) {
  World world(8);
  Process& host = world.add_process("redis");
  RedisNode node(host);
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    EXPECT_TRUE(RedisLocks(node).acquire("k", "a", seconds(1)).acquired);  // expires at 2s on the wall clock
    host.clock().step(-seconds(5));  // the wall clock goes back; the steady clock stays
    EXPECT_EQ(host.clock().now(), TimePoint(seconds(1)));
  });
  world.schedule(at(seconds(4)), kWorldProcess, 0, [&] {
    // Three seconds after the grant, the wall clock reads -1s: the key lives on.
    EXPECT_EQ(RedisLocks(node).holder("k"), "a") << "a backward wall step must delay expiry";
    host.clock().step_wall(seconds(3));  // the wall clock reads 2s: expired only once past it
    EXPECT_EQ(RedisLocks(node).holder("k"), "a");
  });
  world.schedule(at(seconds(4) + milliseconds(1)), kWorldProcess, 0, [&] {
    EXPECT_EQ(RedisLocks(node).holder("k"), "") << "expired once the wall clock passed 2s";
    EXPECT_TRUE(RedisLocks(node).acquire("k2", "b", seconds(10)).acquired);
    host.clock().step_wall(seconds(11));  // the wall clock alone jumps forward
    EXPECT_EQ(RedisLocks(node).holder("k2"), "") << "a forward wall step expires keys early";
  });
  drain(world);
}

TEST(RedisNode, AofAlwaysKeepsEveryWriteAcrossACrash) {
  World world(9);
  Process& host = world.add_process("redis");
  RedisNode node(host);
  world.schedule(at(milliseconds(1500)), kWorldProcess, 0, [&] {
    EXPECT_EQ(RedisLocks(node).incr("c"), 1u);
    EXPECT_EQ(RedisLocks(node).incr("c"), 2u);
    world.crash(host, /*persist=*/true);
    world.restart(host);
    EXPECT_EQ(RedisLocks(node).incr("c"), 3u) << "appendfsync always: nothing acknowledged is lost";
  });
  drain(world);
}

TEST(RedisNode, AofEverysecRollsCountersBackToTheLastFlush) {
  World world(10);
  Process& host = world.add_process("redis");
  RedisNode node(host);
  node.enable_aof_everysec(seconds(1));
  std::vector<std::string> notes;
  node.on_data_loss([&notes](const std::string& text) { notes.push_back(text); });
  world.schedule(at(milliseconds(500)), kWorldProcess, 0, [&] {
    EXPECT_EQ(RedisLocks(node).incr("c"), 1u);
    EXPECT_TRUE(RedisLocks(node).acquire("k", "a", seconds(100)).acquired);  // token 1 from k:fence
  });
  world.schedule(at(milliseconds(1200)), kWorldProcess, 0, [&] {
    EXPECT_EQ(RedisLocks(node).incr("c"), 2u);  // the flush at 1s saved c = 1 and k
    EXPECT_EQ(RedisLocks(node).incr("c"), 3u);
  });
  world.schedule(at(milliseconds(1900)), kWorldProcess, 0, [&] {
    world.crash(host, /*persist=*/true);  // before the flush at 2s
    world.restart(host);
    EXPECT_EQ(RedisLocks(node).holder("k"), "a") << "flushed writes survive";
    EXPECT_EQ(RedisLocks(node).incr("c"), 2u) << "the counter rolled back to the flush: token 2 again";
  });
  world.schedule(at(milliseconds(3500)), kWorldProcess, 0, [&] {
    world.crash(host, /*persist=*/true);  // the flushes at 2s and 3s saved c = 2
    world.restart(host);
    EXPECT_EQ(RedisLocks(node).incr("c"), 3u);
    world.crash(host, /*persist=*/false);
    world.restart(host);
    EXPECT_EQ(RedisLocks(node).incr("c"), 1u) << "without persistence everything is gone";
  });
  drain(world);
  ASSERT_EQ(notes.size(), 1u) << "only the crash that lost writes is told";
  EXPECT_NE(notes.front().find("c 3 -> 1"), std::string::npos) << notes.front();
}

}  // namespace
}  // namespace faultline::sim
