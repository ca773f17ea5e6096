// The simulated network: latency, loss, duplication, partitions.
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

// ---- Network --------------------------------------------------------------------------------

struct NetFixture : ::testing::Test {
  Inbox at_a;
  Inbox at_b;
  World world{11};
  Network net{world};
  Process& a = world.add_process("a");
  Process& b = world.add_process("b");
};

TEST_F(NetFixture, DeliversByDefault) {
  send_one(world, net, a, b, at_b);
  send_one(world, net, b, a, at_a);
  drain(world);
  EXPECT_EQ(at_b.delivered, 1);
  EXPECT_EQ(at_a.delivered, 1);
  EXPECT_EQ(net.sent(), 2u);
  EXPECT_EQ(net.dropped(), 0u);
}

TEST_F(NetFixture, PartitionDropsBothWaysAndHealRestores) {
  net.partition(a.id(), b.id(), /*one_way=*/false);
  EXPECT_TRUE(net.blocked(a.id(), b.id()));
  EXPECT_TRUE(net.blocked(b.id(), a.id()));
  send_one(world, net, a, b, at_b);
  send_one(world, net, b, a, at_a);
  drain(world);
  EXPECT_EQ(at_b.delivered, 0);
  EXPECT_EQ(at_a.delivered, 0);
  EXPECT_EQ(net.dropped(), 2u);

  net.heal(a.id(), b.id(), /*one_way=*/false);
  EXPECT_FALSE(net.blocked(a.id(), b.id()));
  send_one(world, net, a, b, at_b);
  send_one(world, net, b, a, at_a);
  drain(world);
  EXPECT_EQ(at_b.delivered, 1);
  EXPECT_EQ(at_a.delivered, 1);
}

TEST_F(NetFixture, OneWayPartitionDropsOnlyThatDirection) {
  net.partition(a.id(), b.id(), /*one_way=*/true);
  send_one(world, net, a, b, at_b);
  send_one(world, net, b, a, at_a);
  drain(world);
  EXPECT_EQ(at_b.delivered, 0) << "a -> b is cut";
  EXPECT_EQ(at_a.delivered, 1) << "b -> a still flows";
  net.heal(a.id(), b.id(), /*one_way=*/true);
  send_one(world, net, a, b, at_b);
  drain(world);
  EXPECT_EQ(at_b.delivered, 1);
}

TEST_F(NetFixture, TotalLossDropsEverything) {
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(a.id(), b.id(), lossy);
  for (int i = 0; i < 100; ++i) send_one(world, net, a, b, at_b);
  send_one(world, net, b, a, at_a);  // the other direction keeps the default profile
  drain(world);
  EXPECT_EQ(at_b.delivered, 0);
  EXPECT_EQ(at_a.delivered, 1);
  EXPECT_EQ(net.dropped(), 100u);
}

TEST_F(NetFixture, TotalDuplicationDeliversTwice) {
  LinkProfile dup;
  dup.duplicate_ppm = 1'000'000;
  net.set_link(a.id(), b.id(), dup);
  for (int i = 0; i < 10; ++i) send_one(world, net, a, b, at_b);
  drain(world);
  EXPECT_EQ(at_b.delivered, 20);
}

TEST_F(NetFixture, LatencyStaysWithinBoundsAndVaries) {
  LinkProfile link;
  link.latency_min = milliseconds(3);
  link.latency_max = milliseconds(7);
  net.set_link(a.id(), b.id(), link);
  for (int i = 0; i < 300; ++i) send_one(world, net, a, b, at_b);
  drain(world);
  ASSERT_EQ(at_b.arrivals.size(), 300u);
  const auto [lo, hi] = std::minmax_element(at_b.arrivals.begin(), at_b.arrivals.end());
  EXPECT_GE(*lo, at(milliseconds(3)));
  EXPECT_LE(*hi, at(milliseconds(7)));
  EXPECT_LT(*lo, at(milliseconds(4))) << "latencies should spread over the range";
  EXPECT_GT(*hi, at(milliseconds(6)));
}

TEST_F(NetFixture, SpikesAddDelayOnTopOfLatency) {
  LinkProfile link;
  link.latency_min = milliseconds(1);
  link.latency_max = milliseconds(1);
  link.spike_ppm = 1'000'000;
  link.spike_min = milliseconds(100);
  link.spike_max = milliseconds(200);
  net.set_link(a.id(), b.id(), link);
  for (int i = 0; i < 50; ++i) send_one(world, net, a, b, at_b);
  drain(world);
  ASSERT_EQ(at_b.arrivals.size(), 50u);
  for (SimTime t : at_b.arrivals) {
    EXPECT_GE(t, at(milliseconds(101)));
    EXPECT_LE(t, at(milliseconds(201)));
  }
}

TEST_F(NetFixture, MessageToCrashedProcessIsDiscarded) {
  send_one(world, net, a, b, at_b);
  world.crash(b, true);
  drain(world);
  EXPECT_EQ(at_b.delivered, 0);
}

}  // namespace
}  // namespace faultline::sim
