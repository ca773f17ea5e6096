// faultline::locks::Redlock inside a simulated World with five RedisNodes (and a token node).
//
// Coroutines only refer to objects the Harness's Topology owns; it destroys the World first.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/locks/redlock.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;
using locks::Lease;
using locks::Redlock;
using locks::RedlockOptions;

constexpr const char* kKey = "resource-lock";

using testing::fixed_latency;

std::string node_name(int i) { return "redis-" + std::to_string(i + 1); }

// Five Redis nodes redis-1 .. redis-5, a token node, and `clients` clients.
TopologyBuilder redlock_topology(int clients, const LinkProfile& link) {
  TopologyBuilder spec(42);
  spec.link(link);
  for (int i = 0; i < 5; ++i) spec.redis(node_name(i));
  spec.redis("tokens").clients(clients);
  return spec;
}

class Harness {
 public:
  explicit Harness(int clients, LinkProfile link = {})
      : topology_(redlock_topology(clients, link)) {
    for (int i = 0; i < 5; ++i) nodes_.push_back(&topology_.redis(node_name(i)));
    topology_.start();
  }

  Result<Redlock> make(int client, RedlockOptions options = {}) {
    Process& p = this->client(client);
    std::vector<locks::LockStore*> stores;
    for (int i = 0; i < 5; ++i) stores.push_back(&topology_.lock_store(p.name(), node_name(i)));
    return Redlock::create(std::move(stores), &topology_.lock_store(p.name(), "tokens"), p.clock(),
                           p.rng(), kKey, options);
  }

  template <class T>
  T run(int client, Task<T> task) {
    return testing::run_on(world(), this->client(client), std::move(task));
  }

  World& world() { return topology_.world(); }
  Network& network() { return topology_.network(); }
  Faults faults() { return topology_.faults(); }
  Process& client(int i) { return topology_.client(static_cast<std::size_t>(i)); }
  // The host of node `i`, or of the token node.
  Process& node_host(int i) { return topology_.process(node_name(i)); }
  Process& tokens_host() { return topology_.process("tokens"); }
  RedisNode& node(int i) { return *nodes_.at(static_cast<std::size_t>(i)); }
  // Whoever holds the lock on node `i` ("" when free).
  std::string holder_on(int i) { return RedisLocks(node(i)).holder(kKey); }
  int holders(const std::string& owner) {
    int n = 0;
    for (auto& node : nodes_) n += RedisLocks(*node).holder(kKey) == owner ? 1 : 0;
    return n;
  }

 private:
  Topology topology_;
  std::vector<RedisNode*> nodes_;  // redis-1 .. redis-5
};

TEST(Redlock, AcquiresOnEveryNodeAndReleasesEverywhere) {
  Harness h(1);
  Redlock lock = h.make(0).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(h.holders(lease->owner), 5);
  EXPECT_GE(lease->token, 1u) << "the token source issues fencing tokens";
  ASSERT_TRUE(h.run(0, lock.release(*lease)).ok());
  EXPECT_EQ(h.holders(lease->owner), 0);
}

TEST(Redlock, AMinorityOfDeadNodesDoesNotStopIt) {
  Harness h(1);
  h.faults().crash(h.node_host(0), true);
  h.faults().crash(h.node_host(3), true);
  Redlock lock = h.make(0).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(h.holders(lease->owner), 3);
}

TEST(Redlock, AMajorityOfDeadNodesIsUnavailableAndLeavesNothingHeld) {
  Harness h(1);
  for (int i : {0, 2, 4}) h.faults().crash(h.node_host(i), true);
  Redlock lock = h.make(0).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
  EXPECT_NE(lease.error().message.find("unreachable"), std::string::npos);
  EXPECT_EQ(RedisLocks(h.node(1)).holder(kKey), "") << "a failed attempt must release what it got";
  EXPECT_EQ(RedisLocks(h.node(3)).holder(kKey), "");
}

TEST(Redlock, HeldByAnotherIsBusyAndNamesTheNodesThatRefused) {
  Harness h(2);
  Redlock a = h.make(0).value();
  RedlockOptions quick;
  quick.max_attempts = 2;
  Redlock b = h.make(1, quick).value();
  Result<Lease> held = h.run(0, a.acquire());
  ASSERT_TRUE(held.ok());
  Result<Lease> refused = h.run(1, b.acquire());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBusy);
  EXPECT_NE(refused.error().message.find("refused by nodes 0, 1, 2, 3, 4"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(h.holders(held->owner), 5) << "the loser must not disturb the holder";
}

TEST(Redlock, ValidityIsReducedByTheTimeAcquisitionTook) {
  Harness h(1, fixed_latency(20ms));
  RedlockOptions options;
  options.ttl = 10s;
  options.node_timeout = 100ms;
  Redlock lock = h.make(0, options).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok());
  // One round trip of 40ms to all five nodes at once, then one to the token source: 80ms
  // spent. The lease counts from before the first request, so what is left when acquire()
  // returns is the ttl less that time and the drift allowance (1% + 2ms).
  const TimePoint now = h.world().find_process("client-1")->clock().now();
  EXPECT_EQ(now - lease->acquired_at, 80ms);
  EXPECT_EQ(lease->valid_until - now, 10s - 80ms - 100ms - 2ms);
}

TEST(Redlock, ExtendKeepsItAndFailsOnceLapsed) {
  Harness h(2);
  RedlockOptions options;
  options.ttl = 1s;
  Redlock a = h.make(0, options).value();
  Redlock b = h.make(1, options).value();
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok());
  h.world().run_until(h.world().now() + 700ms);
  Result<Lease> extended = h.run(0, a.extend(*lease));
  ASSERT_TRUE(extended.ok()) << extended.error().to_string();
  EXPECT_GT(extended->valid_until, lease->valid_until);
  h.world().run_until(h.world().now() + 700ms);  // past the first ttl, within the extension
  EXPECT_EQ(h.holders(lease->owner), 5);
  h.world().run_until(h.world().now() + 2s);
  Result<Lease> late = h.run(0, a.extend(*extended));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(h.run(1, b.acquire()).ok()) << "an expired lock must be free for others";
}

TEST(Redlock, ExtendValidityCountsFromBeforeTheRequestsLeft) {
  Harness h(1, fixed_latency(20ms));
  RedlockOptions options;
  options.ttl = 10s;
  options.node_timeout = 100ms;
  Redlock lock = h.make(0, options).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok());
  h.world().run_until(h.world().now() + 1s);
  const TimePoint before = h.client(0).clock().now();
  Result<Lease> extended = h.run(0, lock.extend(*lease));
  ASSERT_TRUE(extended.ok()) << extended.error().to_string();
  EXPECT_EQ(h.client(0).clock().now() - before, 40ms) << "one round trip to all five";
  // ttl less the drift allowance (1% + 2ms), from before the requests left, not from the replies.
  EXPECT_EQ(extended->valid_until, before + 10s - 100ms - 2ms);
}

TEST(Redlock, ExtendWithoutAMajorityFails) {
  Harness h(1);
  Redlock lock = h.make(0).value();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok());
  for (int i = 0; i < 3; ++i) h.faults().crash(h.node_host(i), /*persist=*/false);
  Result<Lease> extended = h.run(0, lock.extend(*lease));
  ASSERT_FALSE(extended.ok()) << "extended on 2 of 5 nodes is not a lock";
  EXPECT_EQ(extended.error().code, ErrorCode::kFailedPrecondition);
}

// The holder pauses while its fencing token is on the way: by the time the token arrives the
// lease has run out, and a lease must never be handed out already expired.
TEST(Redlock, ALeaseThatRanOutWhileItsTokenWasFetchedIsNotReturned) {
  Harness h(2);
  const LinkProfile slow = fixed_latency(40ms);
  h.network().set_link(h.client(0).id(), h.tokens_host().id(), slow);
  h.network().set_link(h.tokens_host().id(), h.client(0).id(), slow);
  RedlockOptions options;
  options.ttl = 1s;
  options.node_timeout = 100ms;
  options.max_attempts = 1;
  Redlock lock = h.make(0, options).value();
  World& world = h.world();
  const Faults faults = h.faults();
  Process& holder = h.client(0);
  // The quorum round takes at most 4ms; the token request is in flight from then until 84ms.
  world.schedule(world.now() + 20ms, kWorldProcess, 0, [faults, &holder] { faults.pause(holder); });
  world.schedule(world.now() + 2s, kWorldProcess, 0, [faults, &holder] { faults.resume(holder); });
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_FALSE(lease.ok()) << "returned a lease valid until " << lease->valid_until.time_since_epoch().count()
                           << "ns at " << holder.clock().now().time_since_epoch().count() << "ns";
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
}

TEST(Redlock, AFailedTokenFetchReturnsTheErrorAndReleasesEveryNode) {
  Harness h(2);
  RedlockOptions options;
  options.max_attempts = 1;
  Redlock lock = h.make(0, options).value();
  h.faults().crash(h.tokens_host(), /*persist=*/true);
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.holder_on(i), "") << "node " << i << " still held";
}

TEST(Redlock, FencingTokensIncreaseAcrossHolders) {
  Harness h(2);
  Redlock a = h.make(0).value();
  Redlock b = h.make(1).value();
  locks::FencingToken last = 0;
  for (int round = 0; round < 6; ++round) {
    Redlock& lock = round % 2 == 0 ? a : b;
    Result<Lease> lease = h.run(round % 2, lock.acquire());
    ASSERT_TRUE(lease.ok());
    EXPECT_GT(lease->token, last);
    last = lease->token;
    ASSERT_TRUE(h.run(round % 2, lock.release(*lease)).ok());
  }
}

TEST(Redlock, BadConfigurationNamesTheField) {
  Harness h(1);
  RedlockOptions options;
  options.node_timeout = options.ttl / 5;
  auto r = h.make(0, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message.rfind("node_timeout", 0), 0u) << r.error().message;
  options = {};
  options.max_attempts = 0;
  EXPECT_EQ(h.make(0, options).error().message.rfind("max_attempts", 0), 0u);
  options = {};
  options.backoff.cap = options.backoff.base - 1ms;
  EXPECT_EQ(h.make(0, options).error().message.rfind("backoff.cap", 0), 0u);
  options = {};
  options.ttl = 0ms;
  EXPECT_EQ(h.make(0, options).error().message.rfind("ttl", 0), 0u);

  auto none = Redlock::create({}, nullptr, h.world().process(1).clock(),
                              h.world().process(1).rng(), kKey, RedlockOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message.rfind("nodes", 0), 0u);
}

}  // namespace
}  // namespace faultline::sim
