// A run's history and its trace hash.
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
