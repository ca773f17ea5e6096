// The simulated servers as any family uses them: the Redis keyspace's command semantics, two
// command modules sharing one Redis node through crashes, restarts and failover, process hooks
// that append, the PostgreSQL node's transactions and durable tables, and what both servers tell
// a lock observer (lock_events.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "faultline/sim/lock_events.h"
#include "faultline/sim/pg_node.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/redis_strings.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- RedisKeyspace: the commands' own semantics ---------------------------------------------

TEST(RedisKeyspace, AKeyExpiresOnlyOnceTheClockIsPastItsExpiry) {
  RedisKeyspace keys;
  keys.set_now(WallTime(seconds(10)));
  keys.set("k", "v");
  ASSERT_TRUE(keys.pexpire("k", milliseconds(100)));
  keys.set_now(WallTime(seconds(10) + milliseconds(100)));
  ASSERT_NE(keys.get("k"), nullptr) << "at exactly the expiry the key still lives (now > expiry)";
  EXPECT_EQ(keys.pttl("k"), Duration::zero());
  keys.set_now(WallTime(seconds(10) + milliseconds(101)));
  EXPECT_EQ(keys.get("k"), nullptr);
  EXPECT_FALSE(keys.pexpire("k", seconds(1))) << "PEXPIRE of a missing key does nothing";
}

TEST(RedisKeyspace, SetClearsTheExpiryWhileHsetAndIncrbyKeepIt) {
  RedisKeyspace keys;
  keys.set_now(WallTime(seconds(1)));
  keys.set("s", "1");
  keys.pexpire("s", seconds(5));
  keys.set("s", "2");
  EXPECT_EQ(keys.pttl("s"), std::nullopt) << "SET without KEEPTTL drops the expiry";
  keys.hset("h", "f", "x");
  keys.pexpire("h", seconds(5));
  keys.hset("h", "g", "y");
  EXPECT_EQ(keys.pttl("h"), seconds(5));
  EXPECT_EQ(keys.incrby("c", 2), 2) << "a missing counter counts from 0";
  keys.pexpire("c", seconds(3));
  EXPECT_EQ(keys.incrby("c", -5), -3);
  EXPECT_EQ(keys.pttl("c"), seconds(3));
}

TEST(RedisKeyspace, ExpiryCountsWholeMillisecondsAndOnlyWritesMarkTheStepDirty) {
  RedisKeyspace keys;
  keys.set_now(WallTime(seconds(1)));
  EXPECT_FALSE(keys.take_dirty());
  keys.set("k", "v");
  keys.pexpire("k", std::chrono::microseconds(1'999));  // PEXPIRE takes whole milliseconds
  EXPECT_TRUE(keys.take_dirty());
  EXPECT_EQ(keys.pttl("k"), milliseconds(1));
  ASSERT_NE(keys.get("k"), nullptr);
  EXPECT_EQ(*keys.get("k"), "v");
  EXPECT_EQ(keys.hget("nope", "f"), nullptr);
  EXPECT_FALSE(keys.del("nope"));
  EXPECT_FALSE(keys.take_dirty()) << "reads and no-op writes replicate nothing";
}

// ---- two command modules on one RedisNode ---------------------------------------------------

// A lock (RedisLocks) and a counter (RedisStrings) written through the same node, and what a
// crash does to both, judged by reading them back through the modules.
struct TwoModules {
  explicit TwoModules(std::uint64_t seed) : world(seed), host(world.add_process("redis")), node(host) {}
  void write_both() {
    ASSERT_TRUE(RedisLocks(node).acquire("lock", "alice", seconds(100)).acquired);
    ASSERT_EQ(RedisStrings(node).incrby("hits", 5), 5);
  }
  [[nodiscard]] bool both_present() {
    return RedisLocks(node).holder("lock") == "alice" && RedisStrings(node).get("hits") == "5";
  }
  [[nodiscard]] bool both_gone() {
    return RedisLocks(node).holder("lock").empty() && !RedisStrings(node).get("hits");
  }
  World world;
  Process& host;
  RedisNode node;
};

TEST(RedisNode, TwoCommandModulesBothSurviveACrashWithPersistence) {
  TwoModules t(21);
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    t.write_both();
    t.world.crash(t.host, /*persist=*/true);
    t.world.restart(t.host);
    EXPECT_TRUE(t.both_present()) << "appendfsync always keeps both modules' writes";
    EXPECT_EQ(RedisLocks(t.node).incr(locks::fence_key("lock")), 2u)
        << "the lock's fencing counter survived too";
  });
  drain(t.world);
}

TEST(RedisNode, TwoCommandModulesBothVanishInACrashWithoutPersistence) {
  TwoModules t(22);
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    t.write_both();
    t.world.crash(t.host, /*persist=*/false);
    t.world.restart(t.host);
    EXPECT_TRUE(t.both_gone());
  });
  drain(t.world);
}

TEST(RedisNode, TwoCommandModulesBothRollBackToTheLastAofFlush) {
  TwoModules t(23);
  t.node.enable_aof_everysec(seconds(1));
  t.world.schedule(at(milliseconds(500)), kWorldProcess, 0, [&] { t.write_both(); });
  t.world.schedule(at(milliseconds(1500)), kWorldProcess, 0, [&] {
    ASSERT_TRUE(RedisStrings(t.node).set("late", "x"));  // after the flush at 1s
    ASSERT_TRUE(RedisLocks(t.node).release("lock", "alice"));
    t.world.crash(t.host, /*persist=*/true);
    t.world.restart(t.host);
    EXPECT_TRUE(t.both_present()) << "the flush at 1s saved both modules' first writes";
    EXPECT_EQ(RedisStrings(t.node).get("late"), std::nullopt) << "the unflushed tail is lost";
  });
  drain(t.world);
}

TEST(RedisNode, AFailoverPromotesWhatReachedTheReplicaForEveryModule) {
  TwoModules t(24);
  t.node.enable_replica(milliseconds(50));
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] { t.write_both(); });
  t.world.schedule(at(seconds(2)), kWorldProcess, 0, [&] {
    ASSERT_TRUE(RedisStrings(t.node).set("late", "x"));  // not yet replicated at the crash
    t.world.crash(t.host, /*persist=*/true);
    t.world.restart(t.host);
    EXPECT_TRUE(t.both_present()) << "both modules' replicated writes survive the failover";
    EXPECT_EQ(RedisStrings(t.node).get("late"), std::nullopt);
  });
  drain(t.world);
}

TEST(RedisStrings, SetNxWritesOnlyAMissingKeyAndPxExpiresIt) {
  TwoModules t(25);
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    RedisStrings strings(t.node);
    EXPECT_TRUE(strings.set("k", "first", {.px = milliseconds(100), .nx = true}));
    EXPECT_FALSE(strings.set("k", "second", {.px = std::nullopt, .nx = true}));
    EXPECT_EQ(strings.get("k"), "first");
  });
  t.world.schedule(at(seconds(1) + milliseconds(101)), kWorldProcess, 0, [&] {
    EXPECT_EQ(RedisStrings(t.node).get("k"), std::nullopt) << "PX 100ms ran out";
    EXPECT_TRUE(RedisStrings(t.node).set("k", "third", {.px = std::nullopt, .nx = true}));
  });
  drain(t.world);
}

// ---- process hooks append ---------------------------------------------------------------------

TEST(Process, HooksAppendAndRunInRegistrationOrder) {
  TwoModules t(26);  // the node registered its crash hook first
  std::vector<std::string> calls;
  t.host.on_crash([&](Process&, bool) { calls.push_back("crash: second model"); });
  t.host.on_start([&](Process&) { calls.push_back("start: first"); });
  t.host.on_start([&](Process&) { calls.push_back("start: second"); });
  t.world.start();
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    t.write_both();
    t.world.crash(t.host, /*persist=*/false);
    EXPECT_TRUE(t.both_gone()) << "a later hook must not replace the node's crash behaviour";
    t.world.restart(t.host);
  });
  drain(t.world);
  EXPECT_EQ(calls, (std::vector<std::string>{"start: first", "start: second",
                                             "crash: second model", "start: first",
                                             "start: second"}));
}

// ---- PgNode: transactions over durable tables -------------------------------------------------

TEST(PgNode, ATransactionCommitsAllOrNothing) {
  World world(27);
  Process& host = world.add_process("pg");
  Process& client = world.add_process("client");
  PgNode node(host);
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    const SessionId s = node.open_session(client.id());
    auto two_rows = [](PgDatabase& db) -> Result<int> {
      if (!db.table("t").insert("a", {{"v", "1"}})) return Error{ErrorCode::kAlreadyExists, "a"};
      if (!db.table("t").insert("b", {{"v", "2"}})) return Error{ErrorCode::kAlreadyExists, "b"};
      return 2;
    };
    ASSERT_TRUE(node.transaction(s, [](PgDatabase& db) -> Result<int> {
                      db.table("t").insert("b", {{"v", "0"}});
                      return 1;
                    }).ok());
    Result<int> failed = node.transaction(s, two_rows);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::kAlreadyExists);
    EXPECT_EQ(node.database().find_table("t")->find("a"), nullptr)
        << "the failed transaction's first insert was rolled back";
    node.close_session(s);
    EXPECT_EQ(node.transaction(s, two_rows).error().code, ErrorCode::kUnavailable)
        << "a dead session runs nothing";
  });
  drain(world);
}

TEST(PgNode, CommittedRowsAndFencingCountersSurviveACrash) {
  World world(28);
  Process& host = world.add_process("pg");
  Process& client = world.add_process("client");
  PgNode node(host);
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    const SessionId s = node.open_session(client.id());
    ASSERT_EQ(*node.next_token(s, "k"), 1u);
    ASSERT_EQ(*node.next_token(s, "k"), 2u);
    ASSERT_TRUE(node.transaction(s, [](PgDatabase& db) -> Result<bool> {
                      return db.table("keys").insert("req-1", {{"state", "done"}});
                    }).ok());
    world.crash(host, /*persist=*/false);
    EXPECT_FALSE(node.alive(s)) << "a crash ends every session";
    world.restart(host);
    const SessionId again = node.open_session(client.id());
    EXPECT_EQ(*node.next_token(again, "k"), 3u) << "fencing counters are durable rows";
    ASSERT_NE(node.database().find_table("keys"), nullptr);
    EXPECT_EQ(node.database().find_table("keys")->find("req-1")->at("state"), "done");
  });
  drain(world);
}

// ---- lock observers: what the servers tell, and that telling changes nothing ------------------

// A copy of a LockEvent (whose views live only during the call).
struct Told {
  LockEvent::Kind kind;
  std::string key;
  std::string owner;
  locks::FencingToken token;
  WallTime at;
  std::optional<WallTime> expires_at;
};

LockObserver recorder(std::vector<Told>& told) {
  return [&told](const LockEvent& e) {
    told.push_back({e.kind, std::string(e.key), std::string(e.owner), e.token, e.at, e.expires_at});
  };
}

// Grants, a refusal, a re-acquire and an extension, a release by a stranger and by the owner, a
// DEL and a crash without persistence, on a node whose wall clock is 2.5s ahead; returns the
// trace hash.
std::uint64_t lock_steps(std::vector<Told>* told) {
  TwoModules t(29);
  t.host.clock().step_wall(milliseconds(2500) + std::chrono::microseconds(700));
  if (told != nullptr) t.node.set_lock_observer(recorder(*told));
  t.world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    RedisLocks locks(t.node);
    EXPECT_TRUE(locks.acquire("lock", "alice", milliseconds(1500)).acquired);
    EXPECT_FALSE(locks.acquire("lock", "bob", milliseconds(1500)).acquired);  // not an event
    EXPECT_TRUE(locks.acquire("lock", "alice", milliseconds(2000)).acquired);  // extends
    EXPECT_FALSE(locks.release("lock", "bob"));                                // not an event
    EXPECT_TRUE(locks.extend("lock", "alice", milliseconds(3000)));
    EXPECT_TRUE(locks.release("lock", "alice"));
    EXPECT_TRUE(locks.acquire("other", "carol", seconds(10)).acquired);
    EXPECT_TRUE(locks.remove("other"));
    EXPECT_TRUE(locks.acquire("lock", "dave", seconds(10)).acquired);
    t.world.crash(t.host, /*persist=*/false);
  });
  drain(t.world);
  return t.world.trace().hash();
}

TEST(LockObserver, RedisTellsGrantsWithTheirExpiryOnTheNodesWallClock) {
  std::vector<Told> told;
  lock_steps(&told);
  using K = LockEvent::Kind;
  ASSERT_EQ(told.size(), 8u);
  // The node's wall clock at 1s of true time: 3.5007s, which Redis keeps in whole ms.
  const WallTime now(milliseconds(3500));
  EXPECT_EQ(told[0].kind, K::kGranted);
  EXPECT_EQ(told[0].key, "lock");
  EXPECT_EQ(told[0].owner, "alice");
  EXPECT_EQ(told[0].token, 1u);
  EXPECT_EQ(told[0].at, now);
  EXPECT_EQ(told[0].expires_at, now + milliseconds(1500));
  EXPECT_EQ(told[1].kind, K::kExtended) << "a re-acquire by the owner extends";
  EXPECT_EQ(told[1].token, 1u);
  EXPECT_EQ(told[1].expires_at, now + milliseconds(2000));
  EXPECT_EQ(told[2].kind, K::kExtended);
  EXPECT_EQ(told[2].expires_at, now + milliseconds(3000));
  EXPECT_EQ(told[3].kind, K::kReleased);
  EXPECT_EQ(told[3].owner, "alice");
  EXPECT_EQ(told[3].expires_at, std::nullopt);
  EXPECT_EQ(told[4].kind, K::kGranted);
  EXPECT_EQ(told[5].kind, K::kReleased) << "a DEL ends carol's hold";
  EXPECT_EQ(told[5].owner, "carol");
  EXPECT_EQ(told[6].kind, K::kGranted);
  EXPECT_EQ(told[6].owner, "dave");
  EXPECT_EQ(told[6].token, 2u) << "the key's fencing counter survived the release";
  EXPECT_EQ(told[7].kind, K::kDataReplaced) << "a restart without persistence";
}

TEST(LockObserver, ObservingChangesNoTraceHash) {
  std::vector<Told> told;
  EXPECT_EQ(lock_steps(&told), lock_steps(nullptr));
  EXPECT_FALSE(told.empty());
}

TEST(LockObserver, PostgresTellsFirstGrantsAndLastReleasesOfEachSession) {
  World world(30);
  Process& host = world.add_process("pg");
  Process& client = world.add_process("client-2");
  PgNode node(host);
  std::vector<Told> told;
  node.set_lock_observer(recorder(told));
  world.schedule(at(seconds(1)), kWorldProcess, 0, [&] {
    const SessionId s = node.open_session(client.id());
    const SessionId other = node.open_session(client.id());
    ASSERT_TRUE(*node.try_lock(s, 42));
    ASSERT_TRUE(*node.try_lock(s, 42));       // re-entrant: not an event
    ASSERT_FALSE(*node.try_lock(other, 42));  // refused: not an event
    ASSERT_TRUE(*node.unlock(s, 42));         // still held once
    ASSERT_TRUE(*node.unlock(s, 42));
    ASSERT_TRUE(*node.try_lock(s, 7));
    node.close_session(s);  // ends the hold on 7
  });
  drain(world);
  using K = LockEvent::Kind;
  ASSERT_EQ(told.size(), 4u);
  EXPECT_EQ(told[0].kind, K::kGranted);
  EXPECT_EQ(told[0].key, "42");
  EXPECT_EQ(told[0].owner, "client-2");
  EXPECT_EQ(told[0].expires_at, std::nullopt) << "an advisory lock has no expiry";
  EXPECT_EQ(told[1].kind, K::kReleased);
  EXPECT_EQ(told[1].key, "42");
  EXPECT_EQ(told[2].kind, K::kGranted);
  EXPECT_EQ(told[3].kind, K::kReleased) << "the session's end releases its lock";
  EXPECT_EQ(told[3].key, "7");
  EXPECT_EQ(told[3].token, told[2].token) << "the token is the session";
}

}  // namespace
}  // namespace faultline::sim
