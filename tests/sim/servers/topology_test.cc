// sim::Topology (the builder) and sim::Faults (the fault facade), judged from what the clients
// observe: their calls' results, their clocks, and how long their round trips take.
//
// Locals that coroutines refer to are declared before the Topology, so that they outlive its
// World. No non-trivially destructible temporary appears inside a co_await operand (g++ 12).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/locks/lock_store.h"
#include "faultline/locks/session_lock_store.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/topology.h"
#include "tests/support/sim_run.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "k";

using testing::fixed_latency;

// Counts every `period` of its clock, for ever: a process that runs shows it in `ticks`.
Task<void> tick(Process& self, Duration period, int& ticks) {
  for (;;) {
    co_await self.clock().sleep_for(period);
    ++ticks;
  }
}

// What a call answered: "true", "false", or its error code's name.
std::string answer(const Result<bool>& r) {
  if (!r) return std::string(faultline::to_string(r.error().code));
  return *r ? "true" : "false";
}

// `client` asks `node` for kKey as `owner` (ttl 10s, 100ms deadline): acquired or not.
Result<bool> acquire(Topology& t, const std::string& client, const std::string& node,
                     const std::string& owner) {
  auto asking = t.lock_store(client, node).acquire(kKey, owner, 10s, 100ms);
  Result<locks::AcquireReply> reply =
      testing::run_on(t.world(), t.process(client), std::move(asking));
  if (!reply) return std::move(reply).error();
  return reply->acquired;
}

// How long one call from `client` to `server` takes (an op that answers at once), with `timeout`.
std::pair<Result<int>, Duration> round_trip(Topology& t, const std::string& client,
                                            const std::string& server, Duration timeout = 1s) {
  Network* network = &t.network();
  Process* host = &t.process(server);
  auto op = [network, host]() -> Result<int> {
    if (network->outage(host->id())) return unavailable("503: in an outage");
    return 1;
  };
  const SimTime start = t.world().now();
  Task<Result<int>> calling = call<int>(t.network(), t.process(client), *host, timeout, op);
  Result<int> result = testing::run_on(t.world(), t.process(client), std::move(calling));
  return {std::move(result), t.world().now() - start};
}

// A session of `client` on PostgreSQL node `node` (it must open).
std::unique_ptr<locks::LockSession> session(Topology& t, const std::string& client,
                                            const std::string& node) {
  auto opening = t.session_store(client, node).open_session(1s);
  auto opened = testing::run_on(t.world(), t.process(client), std::move(opening));
  return std::move(opened).value();
}

Result<bool> try_lock(Topology& t, const std::string& client, locks::LockSession& s) {
  auto trying = s.try_lock(7, 1s);
  return testing::run_on(t.world(), t.process(client), std::move(trying));
}

void run_for(Topology& t, Duration d) { t.world().run_until(t.world().now() + d); }

// ---- the builder ----------------------------------------------------------------------------

TEST(Topology, HostsAreProcessesInDeclarationOrder) {
  Topology t(TopologyBuilder(1)
                 .service("storage")
                 .redis("redis-1")
                 .postgres("postgres")
                 .clients(2)
                 .redis("late"));
  const std::vector<std::string> names = {"storage",  "redis-1",  "postgres",
                                          "client-1", "client-2", "late"};
  ASSERT_EQ(t.world().process_count(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(t.world().process(static_cast<ProcessId>(i + 1)).name(), names[i]);
  }
  ASSERT_EQ(t.clients().size(), 2u);
  EXPECT_EQ(t.client(0).name(), "client-1");
  EXPECT_EQ(t.client(1).name(), "client-2");
  EXPECT_EQ(&t.redis("late").host(), &t.process("late"));
}

// What a hand-wired World with the same seed and the same processes in the same order draws:
// the builder takes nothing more from the seed, so code moved onto it keeps its runs.
TEST(Topology, DrawsFromTheSeedExactlyAsHandWiringDoes) {
  Topology t(TopologyBuilder(99).redis("redis").postgres("postgres").clients(2));
  World hand(99);
  for (const char* name : {"redis", "postgres", "client-1", "client-2"}) hand.add_process(name);
  for (ProcessId id = 1; id <= 4; ++id) {
    EXPECT_EQ(t.world().process(id).rng().next_u64(), hand.process(id).rng().next_u64());
  }
  EXPECT_EQ(t.world().rng().next_u64(), hand.rng().next_u64());
  EXPECT_EQ(t.world().trace().hash(), hand.trace().hash());
}

TEST(Topology, OneDescriptionBuildsTheSameRunEveryTime) {
  TopologyBuilder spec(5);
  spec.redis("redis").clients(3);
  auto run = [&spec] {
    const std::unique_ptr<Topology> t = spec.build();
    t->start();
    for (int i = 1; i <= 3; ++i) {
      const std::string client = "client-" + std::to_string(i);
      EXPECT_TRUE(acquire(*t, client, "redis", client).ok());
    }
    return t->world().trace().hash();
  };
  EXPECT_EQ(run(), run());
}

TEST(Topology, ClientLinksAreTheClientsOwnAndTheDefaultCoversTheRest) {
  Topology t(TopologyBuilder(1)
                 .link(fixed_latency(1ms))
                 .client_links(fixed_latency(5ms), fixed_latency(7ms))
                 .service("server")
                 .clients(2));
  t.start();
  EXPECT_EQ(round_trip(t, "client-1", "server").second, 12ms) << "request 5ms, reply 7ms";
  EXPECT_EQ(round_trip(t, "client-1", "client-2").second, 2ms) << "no client link: the default";
}

TEST(Topology, EachClientHasAStoreOnEachNode) {
  Topology t(TopologyBuilder(1).redis("a").redis("b").clients(2));
  t.start();
  EXPECT_EQ(answer(acquire(t, "client-1", "a", "one")), "true");
  EXPECT_EQ(answer(acquire(t, "client-2", "a", "two")), "false") << "a is held by one";
  EXPECT_EQ(answer(acquire(t, "client-2", "b", "two")), "true") << "b is another node";
}

TEST(Topology, ABootHookRunsAtStartAndAgainAfterEveryRestart) {
  int boots = 0;
  int ticks = 0;
  Topology t(TopologyBuilder(1).client("worker", [&boots, &ticks](Process& self) {
    ++boots;
    self.spawn(tick(self, 10ms, ticks));
  }));
  Process& worker = t.process("worker");
  t.start();
  t.world().run_until(SimTime(105ms));
  EXPECT_EQ(boots, 1);
  EXPECT_EQ(ticks, 10);
  t.faults().crash(worker, /*persist=*/true);
  t.world().run_until(SimTime(1s));
  EXPECT_EQ(ticks, 10) << "a crashed process runs nothing";
  t.faults().restart(worker);
  t.world().run_until(SimTime(1055ms));
  EXPECT_EQ(boots, 2);
  EXPECT_EQ(ticks, 15) << "the restarted process runs its boot hook's coroutines afresh";
}

TEST(Topology, ARedisNodeWithAReplicaFailsOverAndLosesItsNewestWrites) {
  Topology t(TopologyBuilder(1).redis("plain").redis("replicated", {.replica_lag = 1s}).clients(2));
  t.start();
  for (const char* node : {"plain", "replicated"}) {
    ASSERT_EQ(answer(acquire(t, "client-1", node, "one")), "true");
    t.faults().crash(t.process(node), /*persist=*/true);
    t.faults().restart(t.process(node));
  }
  EXPECT_EQ(answer(acquire(t, "client-2", "plain", "two")), "false") << "kept on disk";
  EXPECT_EQ(answer(acquire(t, "client-2", "replicated", "two")), "true")
      << "the replica, 1s behind, never had the lock";
}

// A partition outlasting the keepalive (1s idle + one 1s probe) ends the cut-off client's
// session on a node that watches the network, and not on one told not to.
TEST(Topology, APostgresNodeWatchesPartitionsUnlessToldNot) {
  const Keepalive quick{.idle = 1s, .interval = 1s, .count = 1};
  Topology t(TopologyBuilder(1)
                 .postgres("watching", {.keepalive = quick})
                 .postgres("blind", {.keepalive = quick, .watch_partitions = false})
                 .clients(2));
  t.start();
  for (const char* node : {"watching", "blind"}) {
    auto held = session(t, "client-1", node);
    ASSERT_EQ(answer(try_lock(t, "client-1", *held)), "true");
    t.faults().partition(t.client(0), t.process(node));
    run_for(t, 3s);
    t.faults().heal(t.client(0), t.process(node));
    auto other = session(t, "client-2", node);
    EXPECT_EQ(answer(try_lock(t, "client-2", *other)),
              node == std::string("watching") ? "true" : "false")
        << node;
  }
}

// ---- the fault facade -----------------------------------------------------------------------

TEST(Faults, APausedProcessRunsNothingUntilItResumes) {
  int ticks = 0;
  Topology t(TopologyBuilder(1).client(
      "worker", [&ticks](Process& self) { self.spawn(tick(self, 10ms, ticks)); }));
  t.start();
  t.world().run_until(SimTime(55ms));
  ASSERT_EQ(ticks, 5);
  t.faults().pause(t.process("worker"));
  t.world().run_until(SimTime(1s));
  EXPECT_EQ(ticks, 5) << "paused";
  t.faults().resume(t.process("worker"));
  t.world().run_until(SimTime(1s + 25ms));
  EXPECT_EQ(ticks, 8) << "the held tick runs at the resume, then one every 10ms";
}

TEST(Faults, ACrashWithoutPersistenceEmptiesARedisNodeAndOneWithItDoesNot) {
  Topology t(TopologyBuilder(1).redis("kept").redis("lost").clients(2));
  t.start();
  for (const char* node : {"kept", "lost"}) {
    ASSERT_EQ(answer(acquire(t, "client-1", node, "one")), "true");
    t.faults().crash(t.process(node), /*persist=*/node == std::string("kept"));
  }
  EXPECT_EQ(answer(acquire(t, "client-2", "lost", "two")), "unavailable")
      << "a crashed node refuses connections";
  for (const char* node : {"kept", "lost"}) t.faults().restart(t.process(node));
  EXPECT_EQ(answer(acquire(t, "client-2", "kept", "two")), "false");
  EXPECT_EQ(answer(acquire(t, "client-2", "lost", "two")), "true") << "it forgot the lock";
}

// A crash resets the client's connections: the server frees its locks at once. A silent crash
// leaves them half-open until the server's keepalive gives up on them.
TEST(Faults, ASilentCrashKeepsTheSessionUntilKeepaliveAndACrashDoesNot) {
  const Keepalive quick{.idle = 1s, .interval = 1s, .count = 1};
  Topology t(TopologyBuilder(1).postgres("postgres", {.keepalive = quick}).clients(3));
  t.start();
  auto loud = session(t, "client-1", "postgres");
  ASSERT_EQ(answer(try_lock(t, "client-1", *loud)), "true");
  t.faults().crash(t.client(0), /*persist=*/true);
  auto second = session(t, "client-2", "postgres");
  ASSERT_EQ(answer(try_lock(t, "client-2", *second)), "true") << "freed at once";

  t.faults().silent_crash(t.client(1));
  auto third = session(t, "client-3", "postgres");
  EXPECT_EQ(answer(try_lock(t, "client-3", *third)), "false") << "half-open: still held";
  run_for(t, 2500ms);
  EXPECT_EQ(answer(try_lock(t, "client-3", *third)), "true") << "keepalive gave up";
}

Task<void> wait_for_lock(locks::LockSession& s, std::optional<Result<void>>& out) {
  Result<void> r = co_await s.lock(7, 10s);
  out.emplace(std::move(r));
}

// A run may end while a client waits at the server for a lock (its call holds the client's
// coroutine): the topology's teardown must destroy that coroutine with the World, not after it
// (which ASan, or valgrind, reports as a use after free).
TEST(Faults, ARunThatEndsWithALockWaiterTearsDownCleanly) {
  std::unique_ptr<locks::LockSession> holder;
  std::unique_ptr<locks::LockSession> waiter;
  std::optional<Result<void>> answered;
  {
    Topology t(TopologyBuilder(1).postgres("postgres").clients(2));
    t.start();
    holder = session(t, "client-1", "postgres");
    waiter = session(t, "client-2", "postgres");
    ASSERT_EQ(answer(try_lock(t, "client-1", *holder)), "true");
    t.client(1).spawn(wait_for_lock(*waiter, answered));
    run_for(t, 1s);
    EXPECT_FALSE(answered.has_value()) << "still waiting at the server";
  }
  EXPECT_FALSE(answered.has_value()) << "a torn-down run answers nothing";
}

TEST(Faults, AClockStepForwardOnANodeExpiresItsKeysEarly) {
  Topology t(TopologyBuilder(1).redis("redis").clients(2));
  t.start();
  ASSERT_EQ(answer(acquire(t, "client-1", "redis", "one")), "true");  // ttl 10s
  t.faults().clock_step(t.process("redis"), 11s);
  EXPECT_EQ(answer(acquire(t, "client-2", "redis", "two")), "true");
}

TEST(Faults, AClockStepBackMovesTheWallClockAndNeverTheSteadyOne) {
  Topology t(TopologyBuilder(1).clients(1));
  ProcessClock& clock = t.client(0).clock();
  const TimePoint steady = clock.now();
  const WallTime wall = clock.wall_now();
  t.faults().clock_step(t.client(0), -5s);
  EXPECT_EQ(clock.now(), steady);
  EXPECT_EQ(clock.wall_now(), wall - 5s);
  t.faults().clock_step(t.client(0), 1s);
  EXPECT_EQ(clock.now(), steady + 1s);
}

TEST(Faults, ADriftingClockSleepsFastOrSlowInTrueTime) {
  Topology t(TopologyBuilder(1).clients(2));
  t.start();
  t.faults().clock_drift(t.client(0), 100'000);  // 10% fast
  t.faults().clock_drift(t.client(1), -100'000);
  for (std::size_t i = 0; i < 2; ++i) {
    const SimTime before = t.world().now();
    testing::run_on(t.world(), t.client(i), [](Process& self) -> Task<bool> {
      co_await self.clock().sleep_for(1100ms);
      co_return true;
    }(t.client(i)));
    EXPECT_EQ(t.world().now() - before, i == 0 ? 1000ms : Duration(1222222223)) << i;
  }
}

// Both ways: the request never arrives (another client gets the lock). One way (node -> client
// only): the request arrives and is applied, but the reply never comes back. Then it heals.
TEST(Faults, APartitionStopsMessagesBothWaysOrOneWayUntilItHeals) {
  Topology t(TopologyBuilder(1).redis("a").redis("b").clients(2));
  t.start();
  Process& client = t.client(0);
  t.faults().partition(t.process("a"), client);  // named from the node: cuts both ways
  t.faults().partition(t.process("b"), client, /*one_way=*/true);
  for (const char* node : {"a", "b"}) {
    EXPECT_EQ(answer(acquire(t, "client-1", node, "one")), "outcome_unknown") << node;
  }
  EXPECT_EQ(answer(acquire(t, "client-2", "a", "two")), "true") << "never reached a";
  EXPECT_EQ(answer(acquire(t, "client-2", "b", "two")), "false") << "b applied it";
  t.faults().heal(t.process("a"), client);
  t.faults().heal(t.process("b"), client, /*one_way=*/true);
  EXPECT_TRUE(acquire(t, "client-1", "a", "one").ok()) << "healed";
  EXPECT_TRUE(acquire(t, "client-1", "b", "one").ok()) << "healed";
}

TEST(Faults, ADisconnectEndsTheClientsSessionsAndItLearnsAtItsNextCall) {
  Topology t(TopologyBuilder(1).postgres("postgres").clients(2));
  t.start();
  auto first = session(t, "client-1", "postgres");
  ASSERT_EQ(answer(try_lock(t, "client-1", *first)), "true");
  t.faults().disconnect(t.client(0), t.process("postgres"));
  auto second = session(t, "client-2", "postgres");
  EXPECT_EQ(answer(try_lock(t, "client-2", *second)), "true") << "released on the server";
  EXPECT_EQ(answer(try_lock(t, "client-1", *first)), "unavailable");
  EXPECT_TRUE(first->lost());
}

TEST(Faults, AnOutageFailsFastOrHangsUntilItEnds) {
  Topology t(TopologyBuilder(1).link(fixed_latency(1ms)).service("dep").clients(1));
  t.start();
  Process& dep = t.process("dep");
  t.faults().outage(dep, Network::OutageMode::kFailFast);
  auto [refused, fast] = round_trip(t, "client-1", "dep", 100ms);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(fast, 2ms);
  t.faults().outage(dep, Network::OutageMode::kTimeout);
  auto [hung, slow] = round_trip(t, "client-1", "dep", 100ms);
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(slow, 100ms);
  t.faults().end_outage(dep, Network::OutageMode::kTimeout);
  t.faults().end_outage(dep, Network::OutageMode::kFailFast);
  EXPECT_TRUE(round_trip(t, "client-1", "dep").first.ok());
}

TEST(Faults, ASlowNodeAddsLatencyBothWaysUntilItEnds) {
  Topology t(TopologyBuilder(1).link(fixed_latency(1ms)).service("node").clients(1));
  t.start();
  t.faults().slow_node(t.process("node"), 20ms);
  EXPECT_EQ(round_trip(t, "client-1", "node").second, 42ms);
  t.faults().end_slow_node(t.process("node"), 20ms);
  EXPECT_EQ(round_trip(t, "client-1", "node").second, 2ms);
}

}  // namespace
}  // namespace faultline::sim
