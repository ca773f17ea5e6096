// The simulated PostgreSQL server: sessions, half-open connections.
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

// ---- PgNode: lock() waits on the server --------------------------------------------------------

struct Outcome {
  std::optional<Result<void>> result;
  SimTime at{};
};

Task<void> lock_into(SimLockSession& session, locks::AdvisoryLockId id, Duration timeout,
                     World& world, Outcome& out) {
  Result<void> r = co_await session.lock(id, timeout);
  out.at = world.now();
  out.result.emplace(std::move(r));
}

// A waiter whose connection drops stops waiting: it is told at once, and the lock passes over
// it to the next waiter when freed. (The conformance suite checks the order of grants, and
// kBusy at the timeout, against the real server as well.)
TEST(PgNode, AWaiterWhoseConnectionDropsIsToldAndPassedOver) {
  Outcome b_out;
  Outcome c_out;
  World world(13);
  Network network(world);
  Process& host = world.add_process("postgres");
  Process& a = world.add_process("client-a");
  Process& b = world.add_process("client-b");
  Process& c = world.add_process("client-c");
  PgNode node(host);
  const SessionId sa = node.open_session(a.id());
  const SessionId sb = node.open_session(b.id());
  const SessionId sc = node.open_session(c.id());
  SimLockSession b_session(network, b, node, sb);
  SimLockSession c_session(network, c, node, sc);
  ASSERT_TRUE(*node.try_lock(sa, 9));
  spawn_now(world, b, lock_into(b_session, 9, seconds(5), world, b_out));
  world.schedule(at(milliseconds(50)), kWorldProcess, 0,
                 [&] { c.spawn(lock_into(c_session, 9, seconds(5), world, c_out)); });
  world.schedule(at(milliseconds(100)), kWorldProcess, 0, [&] { world.disconnect(b, host); });
  world.schedule(at(milliseconds(200)), kWorldProcess, 0, [&] {
    EXPECT_FALSE(b_out.result.has_value() && b_out.result->ok());
    EXPECT_FALSE(c_out.result.has_value()) << "c waits while a holds the lock";
    EXPECT_TRUE(*node.unlock(sa, 9));
    EXPECT_EQ(node.holder(9), sc) << "granted to the next waiter still connected";
  });
  drain(world);
  ASSERT_TRUE(b_out.result.has_value());
  ASSERT_FALSE(b_out.result->ok());
  EXPECT_EQ(b_out.result->error().code, ErrorCode::kUnavailable)
      << b_out.result->error().to_string();
  EXPECT_LT(b_out.at, at(milliseconds(200))) << "told when its session ended, not at its deadline";
  EXPECT_TRUE(b_session.lost());
  ASSERT_TRUE(c_out.result.has_value());
  EXPECT_TRUE(c_out.result->ok()) << c_out.result->error().to_string();
  EXPECT_GE(c_out.at, at(milliseconds(200)));
  EXPECT_LT(c_out.at, at(milliseconds(300)));
}

// A node crash ends every session at once: the lock its holder had is not handed to a waiter
// whose own session is ending with it (the crashed node would answer "granted").
TEST(PgNode, ANodeCrashGrantsNothingToItsWaiters) {
  Outcome b_out;
  World world(14);
  Network network(world);
  Process& host = world.add_process("postgres");
  Process& a = world.add_process("client-a");
  Process& b = world.add_process("client-b");
  PgNode node(host);
  const SessionId sa = node.open_session(a.id());
  const SessionId sb = node.open_session(b.id());
  SimLockSession b_session(network, b, node, sb);
  ASSERT_TRUE(*node.try_lock(sa, 9));
  spawn_now(world, b, lock_into(b_session, 9, seconds(5), world, b_out));
  world.schedule(at(milliseconds(100)), kWorldProcess, 0, [&] {
    world.crash(host, /*persist=*/true);
    EXPECT_EQ(node.holder(9), 0u);
  });
  drain(world);
  ASSERT_TRUE(b_out.result.has_value());
  ASSERT_FALSE(b_out.result->ok()) << "granted by a crashed node";
  EXPECT_EQ(b_out.result->error().code, ErrorCode::kUnavailable)
      << b_out.result->error().to_string();
}

// A connection runs one statement at a time: a second lock() on a session that is still
// waiting (its client gave up on the first) is refused, and the first wait is unchanged.
TEST(PgNode, ASecondLockOnAWaitingSessionIsRefused) {
  World world(15);
  Process& host = world.add_process("postgres");
  Process& a = world.add_process("client-a");
  Process& b = world.add_process("client-b");
  PgNode node(host);
  const SessionId sa = node.open_session(a.id());
  const SessionId sb = node.open_session(b.id());
  ASSERT_TRUE(*node.try_lock(sa, 9));
  std::vector<Result<bool>> answers;
  const auto keep = [&answers](Result<bool> r) { answers.push_back(std::move(r)); };
  world.schedule(at(milliseconds(1)), kWorldProcess, 0, [&] {
    node.lock(sb, 9, seconds(1), Reply<bool>(keep));
    node.lock(sb, 9, seconds(1), Reply<bool>(keep));
  });
  world.schedule(at(milliseconds(10)), kWorldProcess, 0, [&] { EXPECT_TRUE(*node.unlock(sa, 9)); });
  drain(world);
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_FALSE(answers[0].ok());
  EXPECT_EQ(answers[0].error().code, ErrorCode::kProtocol) << answers[0].error().to_string();
  EXPECT_TRUE(answers[1].ok() && *answers[1]) << "the first wait is granted";
  EXPECT_EQ(node.holder(9), sb);
}

}  // namespace
}  // namespace faultline::sim
