// LeaseKeeper (the lease-extension watchdog) driven in the simulator over a LeaseLock on one
// simulated Redis node.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/locks/lease_keeper.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;
using locks::Lease;
using locks::LeaseKeeper;
using locks::LeaseKeeperOptions;
using locks::LeaseLock;
using locks::LeaseLockOptions;

// A Redis node "redis" and two clients, each with a LeaseLock on "job".
class Harness {
 public:
  Harness() : topology_(TopologyBuilder(11).redis("redis").clients(2)) {
    for (Process* p : topology_.clients()) {
      LeaseLockOptions options;
      options.ttl = 1s;
      options.call_timeout = 100ms;
      options.max_attempts = 1;
      SimLockStore& store = topology_.lock_store(p->name(), "redis");
      locks_.push_back(LeaseLock::create(store, p->clock(), p->rng(), "job", options).value());
    }
    topology_.start();
  }
  template <class T>
  T run(int client, Task<T> task) {
    return testing::run_on(world(), this->client(client), std::move(task));
  }
  std::shared_ptr<LeaseKeeper> keep(int client, const Lease& lease, LeaseKeeperOptions options) {
    LeaseLock* lock = &locks_.at(static_cast<std::size_t>(client));
    LeaseKeeper::Extend extend = [lock](const Lease& l) { return lock->extend(l); };
    Process& p = this->client(client);
    auto started = run(client, LeaseKeeper::start(p.clock(), lease, extend, std::move(options)));
    return std::move(started).value();
  }
  void advance(Duration d) { world().run_until(world().now() + d); }
  World& world() { return topology_.world(); }
  Faults faults() { return topology_.faults(); }
  RedisNode& redis() { return topology_.redis("redis"); }
  Process& redis_host() { return topology_.process("redis"); }
  LeaseLock& lock(int i) { return locks_.at(static_cast<std::size_t>(i)); }
  Process& client(int i) { return topology_.client(static_cast<std::size_t>(i)); }

 private:
  Topology topology_;
  std::vector<LeaseLock> locks_;
};

TEST(LeaseKeeper, KeepsTheLockWellPastItsTtl) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  auto keeper = h.keep(0, lease, {.renew_every = 300ms, .on_lost = {}});
  h.advance(3500ms);  // three and a half ttls
  EXPECT_FALSE(keeper->lost()) << keeper->why();
  EXPECT_GE(keeper->extensions(), 10);
  EXPECT_EQ(RedisLocks(h.redis()).holder("job"), lease.owner);
  EXPECT_FALSE(h.run(1, h.lock(1).acquire()).ok()) << "another client got a kept lock";
  keeper->stop();
}

TEST(LeaseKeeper, TellsTheHolderAtOnceWhenTheLeaseRunsOut) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  int told = 0;
  std::optional<SimTime> told_at;
  bool cancelled = false;
  LeaseKeeperOptions options;
  options.renew_every = 300ms;
  options.on_lost = [&](const Error&) {
    ++told;
    told_at = h.world().now();
  };
  auto keeper = h.keep(0, lease, options);
  keeper->slot().assign([&](boost::asio::cancellation_type) { cancelled = true; });
  // Cut the holder off from Redis: extensions now time out.
  h.faults().partition(h.client(0), h.redis_host(), /*one_way=*/false);
  const SimTime cut = h.world().now();
  h.advance(3s);
  ASSERT_TRUE(keeper->lost());
  EXPECT_EQ(told, 1) << "told exactly once";
  EXPECT_TRUE(cancelled) << "the cancellation signal fired";
  ASSERT_TRUE(told_at.has_value());
  // No later than the validity the holder last had (a lease ends 1s - 1% after it started).
  EXPECT_LE(*told_at - cut, 1s);
  EXPECT_FALSE(keeper->why().empty());
}

TEST(LeaseKeeper, NeverExtendsALockItNoLongerOwns) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  auto keeper = h.keep(0, lease, {.renew_every = 300ms, .on_lost = {}});
  // The holder pauses past its ttl; another client takes the lock meanwhile.
  h.faults().pause(h.client(0));
  h.advance(1200ms);
  Lease other = h.run(1, h.lock(1).acquire()).value();
  h.faults().resume(h.client(0));
  h.advance(500ms);  // within the other client's ttl
  EXPECT_TRUE(keeper->lost());
  EXPECT_EQ(RedisLocks(h.redis()).holder("job"), other.owner) << "the resumed keeper took the lock back";
}

// The holder pauses past its validity (990ms: ttl 1s less 1% drift) but not past the server's
// expiry (1s), and nobody takes the lock meanwhile: the server would still accept an extension.
// The keeper must not send one: the holder already has to assume the lock is gone, so reviving
// it would let two holders believe in it.
TEST(LeaseKeeper, AKeeperPausedIntoTheDriftWindowDoesNotExtend) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  auto keeper = h.keep(0, lease, {.renew_every = 300ms, .on_lost = {}});
  h.faults().pause(h.client(0));
  h.advance(lease.valid_until - h.client(0).clock().now() + 3ms);  // into (990ms, 1s)
  h.faults().resume(h.client(0));
  h.advance(50ms);
  EXPECT_TRUE(keeper->lost());
  EXPECT_EQ(keeper->extensions(), 0);
  EXPECT_EQ(RedisLocks(h.redis()).holder("job"), "") << "the server's lease was extended after it had run out "
                                            "on the holder's clock";
  EXPECT_TRUE(h.run(1, h.lock(1).acquire()).ok()) << "the lock should be free for others";
}

// An extension that never answers: the validity watch alone must report the loss, exactly when
// the validity ends, not when (or whether) the extension returns.
TEST(LeaseKeeper, AHungExtensionIsReportedLostExactlyWhenTheValidityEnds) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  Process& p = h.client(0);
  Clock* clock = &p.clock();
  LeaseKeeper::Extend hang = [clock](const Lease&) -> Task<Result<Lease>> {
    co_await clock->sleep_for(std::chrono::hours(1));
    co_return failed_precondition("gave up after an hour");
  };
  auto started = h.run(0, LeaseKeeper::start(p.clock(), lease, hang,
                                             {.renew_every = 300ms, .on_lost = {}}));
  auto keeper = std::move(started).value();
  h.advance(lease.valid_until - p.clock().now() - 1ms);
  EXPECT_FALSE(keeper->lost()) << "reported lost before the validity ended";
  h.advance(2ms);
  EXPECT_TRUE(keeper->lost()) << "a hung extension hid the end of the validity";
}

TEST(LeaseKeeper, StopEndsExtensionsWithoutReportingALoss) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  auto keeper = h.keep(0, lease, {.renew_every = 300ms, .on_lost = {}});
  h.advance(700ms);
  keeper->stop();
  const int extensions = keeper->extensions();
  h.advance(3s);
  EXPECT_EQ(keeper->extensions(), extensions);
  EXPECT_FALSE(keeper->lost());
  EXPECT_EQ(RedisLocks(h.redis()).holder("job"), "") << "without extensions the lease expires";
}

TEST(LeaseKeeper, RejectsARenewalPeriodLongerThanTheLease) {
  Harness h;
  Lease lease = h.run(0, h.lock(0).acquire()).value();
  LeaseLock* lock = &h.lock(0);
  LeaseKeeper::Extend extend = [lock](const Lease& l) { return lock->extend(l); };
  auto started = h.run(0, LeaseKeeper::start(h.client(0).clock(), lease, extend,
                                             {.renew_every = 5s, .on_lost = {}}));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message.rfind("renew_every", 0), 0u);
}

}  // namespace
}  // namespace faultline::sim
