// Unit tests of the deterministic simulator: Rng, virtual time, process clocks, pause / crash /
// restart, the network, sim::call, fault plans, histories and the trace hash.
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

namespace faultline::sim {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

SimTime at(Duration d) { return SimTime(d); }

// Runs the world until no event is left (with a generous bound so a bug cannot hang the test).
void drain(World& world) {
  std::uint64_t guard = 0;
  while (world.step()) {
    ASSERT_LT(++guard, 1'000'000u) << "runaway world";
  }
}

// Spawns `task` now and runs what it does synchronously up to its first suspension.
void spawn_now(World& world, Process& p, Task<void> task) {
  p.spawn(std::move(task));
  world.io().poll();
}

// ---- Rng ------------------------------------------------------------------------------------

// Golden values computed independently (a Python transcription of splitmix64 + xoshiro256**).
// If these change, every recorded seed in the world replays differently: portability is broken.
TEST(Rng, GoldenValuesSeed0) {
  Rng rng(0);
  const std::array<std::uint64_t, 4> expected = {0x99EC5F36CB75F2B4ULL, 0xBF6E1F784956452AULL,
                                                 0x1A5F849D4933E6E0ULL, 0x6AA594F1262D2D2CULL};
  for (std::uint64_t want : expected) EXPECT_EQ(rng.next_u64(), want);
}

TEST(Rng, GoldenValuesSeed42) {
  Rng rng(42);
  const std::array<std::uint64_t, 4> expected = {0x15780B2E0C2EC716ULL, 0x6104D9866D113A7EULL,
                                                 0xAE17533239E499A1ULL, 0xECB8AD4703B360A1ULL};
  for (std::uint64_t want : expected) EXPECT_EQ(rng.next_u64(), want);
}

TEST(Rng, SameSeedSameStreamAndForksDiffer) {
  Rng a(7);
  Rng b(7);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  Rng parent(7);
  Rng f1 = parent.fork(1);
  Rng parent2(7);
  Rng f2 = parent2.fork(2);
  EXPECT_NE(f1.next_u64(), f2.next_u64());
}

TEST(Rng, UniformBelowStaysBelowBoundAndHitsEveryValue) {
  Rng rng(1234);
  for (std::uint64_t bound : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL}) {
    std::vector<int> hits(bound, 0);
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t v = uniform_below(rng, bound);
      ASSERT_LT(v, bound);
      ++hits[v];
    }
    for (std::uint64_t v = 0; v < bound; ++v) {
      EXPECT_GT(hits[v], 0) << "value " << v << " of bound " << bound << " never drawn";
    }
  }
  // A huge bound (where rejection matters) still stays below it.
  const std::uint64_t big = (1ULL << 63) + 12345;
  for (int i = 0; i < 1000; ++i) ASSERT_LT(uniform_below(rng, big), big);
}

TEST(Rng, UniformBetweenAndDurationAreInclusive) {
  Rng rng(99);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t v = uniform_between(rng, -2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 5u);
  for (int i = 0; i < 1000; ++i) {
    const Duration d = uniform_duration(rng, Duration(milliseconds(3)), Duration(milliseconds(5)));
    ASSERT_GE(d, milliseconds(3));
    ASSERT_LE(d, milliseconds(5));
  }
}

TEST(Rng, ChancePpmExtremes) {
  Rng rng(5);
  int zero_hits = 0;
  int one_hits = 0;
  int half_hits = 0;
  constexpr int kDraws = 10'000;
  for (int i = 0; i < kDraws; ++i) {
    zero_hits += chance_ppm(rng, 0) ? 1 : 0;
    one_hits += chance_ppm(rng, 1'000'000) ? 1 : 0;
    half_hits += chance_ppm(rng, 500'000) ? 1 : 0;
  }
  EXPECT_EQ(zero_hits, 0);
  EXPECT_EQ(one_hits, kDraws);
  EXPECT_GT(half_hits, kDraws * 4 / 10);
  EXPECT_LT(half_hits, kDraws * 6 / 10);
}

// ---- Virtual time and process clocks ----------------------------------------------------------

struct Mark {
  bool done = false;
  SimTime true_at{};
  TimePoint local_at{};
};

Task<void> sleep_then_mark(Process& p, Duration d, Mark& mark) {
  co_await p.clock().sleep_for(d);
  mark.done = true;
  mark.true_at = p.world().now();
  mark.local_at = p.clock().now();
}

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

// ---- PgNode: half-open connections ----------------------------------------------------------

TEST(PgNode, SilentlyCrashedClientKeepsItsLockUntilKeepaliveGivesUp) {
  World world(11);
  Process& host = world.add_process("postgres");
  Process& a = world.add_process("client-a");
  Process& b = world.add_process("client-b");
  PgNode node(host);
  node.set_keepalive(Keepalive{seconds(2), seconds(1), 3});
  ASSERT_EQ(node.keepalive().detection(), seconds(5));
  SessionId sa = 0;
  SessionId sb = 0;
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    sa = node.open_session(a.id());
    sb = node.open_session(b.id());
    EXPECT_TRUE(*node.try_lock(sa, 7));
    world.crash_silently(a);
    EXPECT_TRUE(node.alive(sa)) << "the server has not noticed yet";
    world.restart(a);  // back before keepalive: the old connection is still half-open
  });
  world.schedule(at(seconds(6) - nanoseconds(1)), kWorldProcess, 0, [&] {
    EXPECT_EQ(node.holder(7), sa);
    EXPECT_FALSE(*node.try_lock(sb, 7)) << "refused while the dead session holds it";
  });
  world.schedule(at(seconds(6) + nanoseconds(1)), kWorldProcess, 0, [&] {
    EXPECT_FALSE(node.alive(sa)) << "keepalive gave up 5s after the client vanished";
    EXPECT_EQ(node.holder(7), 0u);
    EXPECT_TRUE(*node.try_lock(sb, 7));
    // A crash that closes the connection (the client's kernel resets it) ends it at once.
    world.crash(b, /*persist=*/true);
    EXPECT_FALSE(node.alive(sb));
    EXPECT_EQ(node.holder(7), 0u);
  });
  drain(world);
}

TEST(PgNode, ASessionOpenedBeforeItsClientCrashedIsLost) {
  World world(12);
  Network network(world);
  Process& host = world.add_process("postgres");
  Process& client = world.add_process("client");
  PgNode node(host);
  const SessionId id = node.open_session(client.id());
  SimLockSession session(network, client, node, id);
  EXPECT_FALSE(session.lost());
  world.crash_silently(client);
  world.restart(client);
  EXPECT_TRUE(node.alive(id)) << "the server has not noticed yet";
  // The restarted process cannot use its predecessor's connection: the session is lost to it
  // (AdvisoryLock then opens a new one) even while the server still holds it.
  EXPECT_TRUE(session.lost());
}

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

// ---- Network --------------------------------------------------------------------------------

struct Inbox {
  int delivered = 0;
  std::vector<SimTime> arrivals;
};

void send_one(World& world, Network& net, Process& from, Process& to, Inbox& inbox) {
  net.send(from.id(), to.id(), to.generation(), [&world, &inbox] {
    ++inbox.delivered;
    inbox.arrivals.push_back(world.now());
  });
}

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

// ---- sim::call --------------------------------------------------------------------------------

struct CallOutcome {
  std::optional<Result<int>> result;
  SimTime at{};
  int server_runs = 0;
};

Task<void> do_call(Network& net, Process& caller, Process& server, Duration timeout,
                   CallOutcome& out) {
  int* runs = &out.server_runs;
  auto op = [runs]() {
    ++*runs;
    return Result<int>(42);
  };
  auto pending = call<int>(net, caller, server, timeout, std::move(op));
  Result<int> r = co_await std::move(pending);
  out.at = caller.world().now();
  out.result.emplace(std::move(r));
}

struct CallFixture : ::testing::Test {
  CallOutcome out;
  World world{21};
  Network net{world};
  Process& client = world.add_process("client");
  Process& server = world.add_process("server");

  void run_call(Duration timeout) {
    world.start();
    spawn_now(world, client, do_call(net, client, server, timeout, out));
    drain(world);
    ASSERT_TRUE(out.result.has_value()) << "the call never completed";
  }
};

TEST_F(CallFixture, ReplyBeforeDeadlineIsTheValue) {
  run_call(milliseconds(100));
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 42);
  EXPECT_EQ(out.server_runs, 1);
  EXPECT_LE(out.at, at(milliseconds(4))) << "two default latencies, far before the deadline";
}

// Duration::max() means "no deadline" (CallContext::remaining without one): the deadline must
// saturate, not wrap into the past and time the call out at once.
TEST_F(CallFixture, NoDeadlineIsNotAnOverflow) {
  client.clock().set_drift_ppm(-500);  // a slow clock stretches the deadline in true time
  run_call(Duration::max());
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 42);
}

TEST_F(CallFixture, ServerDownIsUnavailableAndNothingRan) {
  world.crash(server, true);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(out.result->error().may_have_happened());
  EXPECT_EQ(out.server_runs, 0);
  EXPECT_LT(out.at, at(milliseconds(100))) << "refusal arrives before the deadline";
}

TEST_F(CallFixture, LostReplyIsOutcomeUnknownAtTheDeadlineButTheOpRan) {
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(server.id(), client.id(), lossy);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_TRUE(out.result->error().may_have_happened());
  EXPECT_EQ(out.at, at(milliseconds(100))) << "the caller learns at its deadline";
  EXPECT_EQ(out.server_runs, 1) << "the lost-reply case: the operation DID happen";
}

TEST_F(CallFixture, LostRequestIsOutcomeUnknownAndNothingRan) {
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(client.id(), server.id(), lossy);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(out.server_runs, 0);
}

TEST_F(CallFixture, DeadlineRunsOnTheCallersClock) {
  client.clock().set_drift_ppm(100'000);  // 100ms local is ~90.9ms true
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(server.id(), client.id(), lossy);
  run_call(milliseconds(100));
  EXPECT_EQ(out.at, at(nanoseconds(90'909'091)));
}

TEST_F(CallFixture, DuplicatedRequestRunsTwiceButCompletesOnce) {
  LinkProfile dup;
  dup.duplicate_ppm = 1'000'000;
  net.set_link(client.id(), server.id(), dup);
  run_call(milliseconds(100));
  ASSERT_TRUE(out.result->ok());
  EXPECT_EQ(out.server_runs, 2);
}

// ---- Fault plans ----------------------------------------------------------------------------

FaultSpace test_space() {
  FaultSpace space;
  space.clients = {"client-1", "client-2", "client-3"};
  space.nodes = {"redis"};
  space.horizon = seconds(6);
  space.max_faults = 6;
  space.client_crashes = true;
  return space;
}

TEST(FaultPlan, GenerateIsDeterministicForASeed) {
  const FaultSpace space = test_space();
  std::set<std::string> distinct;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Rng r1(seed);
    Rng r2(seed);
    const FaultPlan p1 = generate_plan(r1, space);
    const FaultPlan p2 = generate_plan(r2, space);
    ASSERT_EQ(p1, p2) << "seed " << seed;
    ASSERT_EQ(p1.to_string(), p2.to_string());
    distinct.insert(p1.to_string());
  }
  EXPECT_GT(distinct.size(), 40u) << "different seeds should mostly give different plans";
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void expect_within(const FaultPlan& plan, const FaultSpace& space, std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + "\n" + plan.to_string());
  const NetworkFaults& max = space.network_max;
  EXPECT_LE(plan.network.request_loss_ppm, max.request_loss_ppm);
  EXPECT_LE(plan.network.reply_loss_ppm, max.reply_loss_ppm);
  EXPECT_LE(plan.network.duplicate_ppm, max.duplicate_ppm);
  EXPECT_LE(plan.network.spike_ppm, max.spike_ppm);
  EXPECT_LE(plan.network.spike_max, max.spike_max);
  EXPECT_LE(plan.faults.size(), static_cast<std::size_t>(space.max_faults));
  std::vector<std::string> everyone = space.clients;
  everyone.insert(everyone.end(), space.nodes.begin(), space.nodes.end());
  for (std::size_t i = 0; i < plan.faults.size(); ++i) {
    const Fault& f = plan.faults[i];
    EXPECT_GE(f.at, Duration::zero());
    EXPECT_LT(f.at, space.horizon);
    if (i > 0) {
      EXPECT_LE(plan.faults[i - 1].at, f.at) << "faults are ordered by time";
    }
    switch (f.kind) {
      case FaultKind::kPause:
        EXPECT_TRUE(space.pauses);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.pause_max);
        break;
      case FaultKind::kCrash:
        if (contains(space.nodes, f.target)) {
          EXPECT_TRUE(space.node_crashes);
          EXPECT_TRUE(f.persist || space.node_crash_without_persistence);
        } else {
          EXPECT_TRUE(space.client_crashes);
          EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
          EXPECT_TRUE(f.persist) << "only store nodes lose data";
        }
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.downtime_max);
        break;
      case FaultKind::kClockStep:
        EXPECT_TRUE(space.clock_faults);
        EXPECT_TRUE(contains(everyone, f.target)) << f.target;
        EXPECT_LE(f.amount, space.step_max);
        EXPECT_GE(f.amount, -space.step_max);
        break;
      case FaultKind::kClockDrift:
        EXPECT_TRUE(space.clock_faults);
        EXPECT_TRUE(contains(everyone, f.target)) << f.target;
        EXPECT_LE(f.drift_ppm, space.drift_ppm_max);
        EXPECT_GE(f.drift_ppm, -space.drift_ppm_max);
        break;
      case FaultKind::kPartition:
        EXPECT_TRUE(space.partitions);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_TRUE(contains(space.nodes, f.peer)) << f.peer;
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.partition_max);
        break;
      case FaultKind::kDisconnect:
        EXPECT_TRUE(space.disconnects);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_TRUE(contains(space.nodes, f.peer)) << f.peer;
        break;
      case FaultKind::kSilentCrash:
        EXPECT_TRUE(space.silent_client_crashes);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_GE(f.duration, space.downtime_min);
        EXPECT_LE(f.duration, space.downtime_max);
        break;
      case FaultKind::kOutage:
        EXPECT_TRUE(space.outages);
        EXPECT_TRUE(contains(space.services, f.target)) << f.target;
        EXPECT_TRUE(f.fail_fast || space.outage_timeouts);
        EXPECT_GE(f.duration, space.outage_min);
        EXPECT_LE(f.duration, space.outage_max);
        break;
      case FaultKind::kSlowNode:
        EXPECT_TRUE(space.slow_nodes);
        EXPECT_TRUE(contains(space.nodes, f.target)) << f.target;
        EXPECT_GT(f.amount, Duration::zero());
        EXPECT_LE(f.amount, space.slow_max);
        EXPECT_LE(f.duration, space.slow_for_max);
        break;
    }
  }
}

TEST(FaultPlan, GeneratedPlansStayWithinTheSpace) {
  const FaultSpace space = test_space();
  std::set<FaultKind> kinds;
  std::size_t max_count = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    expect_within(plan, space, seed);
    for (const Fault& f : plan.faults) kinds.insert(f.kind);
    max_count = std::max(max_count, plan.faults.size());
  }
  EXPECT_EQ(kinds.size(), 5u) << "every kind of fault should be drawn over 300 seeds";
  EXPECT_EQ(max_count, static_cast<std::size_t>(space.max_faults));
}

TEST(FaultPlan, RestrictedSpaceIsRespected) {
  FaultSpace space = test_space();
  space.pauses = false;
  space.clock_faults = false;
  space.client_crashes = false;
  space.node_crash_without_persistence = false;
  space.max_faults = 3;
  space.network_max = NetworkFaults{100, 0, 7, 0, milliseconds(300)};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    expect_within(plan, space, seed);
    EXPECT_EQ(plan.network.reply_loss_ppm, 0u);
    for (const Fault& f : plan.faults) {
      EXPECT_TRUE(f.kind == FaultKind::kCrash || f.kind == FaultKind::kPartition);
      if (f.kind == FaultKind::kCrash) {
        EXPECT_EQ(f.target, "redis");
        EXPECT_TRUE(f.persist);
      }
    }
  }
  space.max_faults = 0;
  Rng rng(1);
  EXPECT_TRUE(generate_plan(rng, space).faults.empty());
}

// "faults start within [0, horizon)": with a horizon of 1ns the only legal start is 0.
TEST(FaultPlan, StartTimesExcludeTheHorizon) {
  FaultSpace space = test_space();
  space.horizon = nanoseconds(1);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    for (const Fault& f : plan.faults) {
      ASSERT_EQ(f.at, Duration::zero()) << "seed " << seed << ": " << f.to_string();
    }
  }
}

TEST(FaultPlan, ToStringHasOneLinePerFault) {
  const FaultSpace space = test_space();
  bool saw_nonempty = false;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    std::vector<std::string> lines;
    std::istringstream in(plan.to_string());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].rfind("network:", 0), 0u) << lines[0];
    if (plan.faults.empty()) {
      ASSERT_EQ(lines.size(), 2u);
      EXPECT_EQ(lines[1], "no scheduled faults");
      continue;
    }
    saw_nonempty = true;
    ASSERT_EQ(lines.size(), plan.faults.size() + 1);
    for (std::size_t i = 0; i < plan.faults.size(); ++i) {
      EXPECT_EQ(lines[i + 1], plan.faults[i].to_string());
      EXPECT_NE(lines[i + 1].find(plan.faults[i].target), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_nonempty);
}

Fault make_fault(FaultKind kind, Duration when, std::string target, Duration duration) {
  Fault f;
  f.kind = kind;
  f.at = when;
  f.target = std::move(target);
  f.duration = duration;
  return f;
}

TEST(FaultPlan, FaultToStringReadsLikeThePolicy) {
  const Fault pause =
      make_fault(FaultKind::kPause, milliseconds(950), "client-2", milliseconds(1200));
  EXPECT_EQ(pause.to_string(), "at 0.950s pause client-2 for 1.200s");
  Fault crash = make_fault(FaultKind::kCrash, seconds(1), "redis", milliseconds(500));
  crash.persist = false;
  EXPECT_EQ(crash.to_string(), "at 1.000s crash redis (loses data) restart after 0.500s");
  Fault step = make_fault(FaultKind::kClockStep, seconds(2), "client-1", Duration::zero());
  step.amount = -milliseconds(150);
  EXPECT_EQ(step.to_string(), "at 2.000s step clock of client-1 by -0.150s");
  Fault part = make_fault(FaultKind::kPartition, seconds(3), "client-1", seconds(1));
  part.peer = "redis";
  part.one_way = true;
  EXPECT_EQ(part.to_string(), "at 3.000s partition client-1 -/-> redis for 1.000s");
}

TEST(FaultPlan, ApplySchedulesPauseAndPartition) {
  Mark mark;
  Inbox inbox;
  World world(31);
  Network net(world);
  History history(world);
  Process& a = world.add_process("a");
  Process& b = world.add_process("b");
  FaultPlan plan;
  plan.faults.push_back(make_fault(FaultKind::kPause, milliseconds(50), "a", milliseconds(200)));
  Fault part = make_fault(FaultKind::kPartition, milliseconds(10), "b", milliseconds(100));
  part.peer = "a";
  part.one_way = true;  // b -/-> a
  plan.faults.push_back(part);
  apply(world, net, history, plan);
  world.start();
  spawn_now(world, a, sleep_then_mark(a, milliseconds(100), mark));
  // A message b -> a during the partition is lost; one after it heals arrives.
  world.schedule(at(milliseconds(20)), kWorldProcess, 0,
                 [&] { send_one(world, net, b, a, inbox); });
  world.schedule(at(milliseconds(400)), kWorldProcess, 0,
                 [&] { send_one(world, net, b, a, inbox); });
  drain(world);
  ASSERT_TRUE(mark.done);
  EXPECT_EQ(mark.true_at, at(milliseconds(250))) << "the pause at 50ms held the 100ms wake-up";
  EXPECT_EQ(inbox.delivered, 1);
  ASSERT_EQ(history.notes().size(), 4u);  // partition, pause, heal, resume
  EXPECT_EQ(history.notes()[0].at, at(milliseconds(10)));
  EXPECT_EQ(history.notes()[1].at, at(milliseconds(50)));
  EXPECT_EQ(history.notes()[1].text, plan.faults[0].to_string());
}

TEST(NetworkFaults, LinkProfilesTakeThePlansFaults) {
  const LinkProfile base;
  const NetworkFaults faults{1000, 2000, 300, 40, seconds(2)};
  const LinkProfile req = request_link(base, faults);
  const LinkProfile rep = reply_link(base, faults);
  EXPECT_EQ(req.loss_ppm, 1000u);
  EXPECT_EQ(rep.loss_ppm, 2000u);
  EXPECT_EQ(req.duplicate_ppm, 300u);
  EXPECT_EQ(rep.duplicate_ppm, 300u);
  EXPECT_EQ(req.spike_ppm, 40u);
  EXPECT_EQ(req.spike_max, seconds(2));
  EXPECT_EQ(req.latency_min, base.latency_min);
  EXPECT_EQ(req.latency_max, base.latency_max);
}

// ---- History --------------------------------------------------------------------------------

TEST(History, RecordsInvokeAndCompleteWithTimes) {
  World world(41);
  Process& p = world.add_process("p");
  History history(world);
  std::size_t id = 0;
  world.schedule(at(milliseconds(10)), kWorldProcess, 0,
                 [&] { id = history.invoke(p.id(), "acquire", "key=x"); });
  world.schedule(at(milliseconds(30)), kWorldProcess, 0,
                 [&] { history.complete(id, OpStatus::kOk, "token=3"); });
  world.schedule(at(milliseconds(40)), kWorldProcess, 0, [&] {
    const std::size_t second = history.invoke(p.id(), "release");
    history.complete(second, OpStatus::kUnknown, "timeout");
    history.note(p.id(), "pause p");
  });
  drain(world);
  ASSERT_EQ(history.operations().size(), 2u);
  const Operation& op = history.operations()[0];
  EXPECT_EQ(op.id, 0u);
  EXPECT_EQ(op.process, p.id());
  EXPECT_EQ(op.name, "acquire");
  EXPECT_EQ(op.input, "key=x");
  EXPECT_EQ(op.output, "token=3");
  EXPECT_EQ(op.status, OpStatus::kOk);
  EXPECT_EQ(op.invoked, at(milliseconds(10)));
  EXPECT_EQ(op.completed, at(milliseconds(30)));
  EXPECT_LT(op.invoke_seq, op.complete_seq);
  const Operation& second = history.operations()[1];
  EXPECT_EQ(second.status, OpStatus::kUnknown);
  EXPECT_EQ(second.invoked, at(milliseconds(40)));
  EXPECT_GT(second.invoke_seq, op.complete_seq);
  ASSERT_EQ(history.notes().size(), 1u);
  EXPECT_EQ(history.notes()[0].at, at(milliseconds(40)));
  EXPECT_EQ(history.notes()[0].text, "pause p");
  EXPECT_GT(history.notes()[0].seq, second.complete_seq);
  EXPECT_STREQ(to_string(OpStatus::kUnknown), "unknown");
}

TEST(History, RecordsAreMixedIntoTheTrace) {
  World world(42);
  Process& p = world.add_process("p");
  History history(world);
  const std::uint64_t h0 = world.trace().hash();
  const std::size_t id = history.invoke(p.id(), "op");
  const std::uint64_t h1 = world.trace().hash();
  history.complete(id, OpStatus::kOk, "x");
  const std::uint64_t h2 = world.trace().hash();
  EXPECT_NE(h0, h1);
  EXPECT_NE(h1, h2);
}

// ---- Trace hash -----------------------------------------------------------------------------

struct LittleWorldState {
  Mark mark;
  Inbox inbox;
};

Task<void> little_client(Network& net, Process& self, Process& peer, Duration nap,
                         LittleWorldState& state) {
  for (int i = 0; i < 3; ++i) {
    co_await self.clock().sleep_for(nap);
    send_one(self.world(), net, self, peer, state.inbox);
  }
  state.mark.done = true;
}

// A two-process world with a sleeping, sending client and some history. `nap` and
// `extra_note` let a test change exactly one thing.
std::uint64_t little_world_hash(std::uint64_t seed, Duration nap, bool extra_note) {
  LittleWorldState state;
  World world(seed);
  Network net(world);
  History history(world);
  Process& c = world.add_process("c");
  Process& s = world.add_process("s");
  world.start();
  spawn_now(world, c, little_client(net, c, s, nap, state));
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] {
    const std::size_t id = history.invoke(c.id(), "op");
    history.complete(id, OpStatus::kOk);
    if (extra_note) history.note(c.id(), "extra");
  });
  drain(world);
  EXPECT_TRUE(state.mark.done);
  EXPECT_EQ(state.inbox.delivered, 3);
  return world.trace().hash();
}

TEST(Trace, IdenticalWorldsHashAlikeAndOneDifferenceChangesIt) {
  const std::uint64_t base = little_world_hash(7, milliseconds(10), false);
  EXPECT_EQ(base, little_world_hash(7, milliseconds(10), false));
  EXPECT_NE(base, little_world_hash(8, milliseconds(10), false)) << "seed";
  EXPECT_NE(base, little_world_hash(7, milliseconds(10) + nanoseconds(1), false))
      << "one event 1ns later";
  EXPECT_NE(base, little_world_hash(7, milliseconds(10), true)) << "one extra note";
}

TEST(Trace, FaultVerbsAreRecorded) {
  auto hash_with = [](bool pause) {
    World world(3);
    Process& p = world.add_process("p");
    if (pause) {
      world.pause(p);
      world.resume(p);
    }
    return world.trace().hash();
  };
  EXPECT_EQ(hash_with(false), hash_with(false));
  EXPECT_NE(hash_with(false), hash_with(true));
  Trace t1;
  Trace t2;
  t1.mix(std::string_view("ab"));
  t2.mix(std::string_view("ba"));
  EXPECT_NE(t1.hash(), t2.hash());
  EXPECT_EQ(t1.words(), 1u);
}

// The normal latency model (the AWS backoff study's |Normal(10, 2)|): right mean and spread,
// never negative, bounded at six deviations, and the same for the same bits.
TEST(NetworkLatency, NormalModelHasTheRequestedMeanAndDeviation) {
  Rng rng(3);
  const Duration mean = std::chrono::milliseconds(10);
  const Duration stddev = std::chrono::milliseconds(2);
  constexpr int kDraws = 200'000;
  double sum = 0;
  double sum_squares = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t bits = rng.next_u64();
    const Duration d = normal_latency(bits, mean, stddev);
    EXPECT_EQ(d, normal_latency(bits, mean, stddev));
    ASSERT_GE(d, mean - 6 * stddev);
    ASSERT_LE(d, mean + 6 * stddev);
    const double ms = static_cast<double>(d.count()) / 1e6;
    sum += ms;
    sum_squares += ms * ms;
  }
  const double m = sum / kDraws;
  const double sd = std::sqrt(sum_squares / kDraws - m * m);
  EXPECT_NEAR(m, 10.0, 0.02);
  EXPECT_NEAR(sd, 2.0, 0.02);
  // Folded at zero: a mean below the spread still gives non-negative latencies.
  for (int i = 0; i < 1000; ++i) EXPECT_GE(normal_latency(rng.next_u64(), Duration::zero(), stddev), Duration::zero());
}

}  // namespace
}  // namespace faultline::sim
