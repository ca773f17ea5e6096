// PostgreSQL advisory locks in the simulator: the PgNode model, SimLockSession, and the
// AdvisoryLock pattern in core. Also pins advisory_lock_id(), whose values users compute in SQL.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/locks/advisory_lock.h"
#include "faultline/locks/advisory_lock_id.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_node.h"
#include "faultline/sim/world.h"
#include "tests/sim_run.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;
using locks::AdvisoryLock;
using locks::AdvisoryLockOptions;
using locks::Lease;
using locks::LockSession;

class Harness {
 public:
  Harness() : network_(world_), pg_(world_.add_process("postgres")) {
    for (int i = 0; i < 2; ++i) {
      Process& p = world_.add_process("client-" + std::to_string(i + 1));
      clients_.push_back(&p);
      stores_.push_back(std::make_unique<SimSessionLockStore>(network_, p, pg_));
    }
    world_.start();
  }
  template <class T>
  T run(int client, Task<T> task) {
    return testing::run_on(world_, *clients_.at(static_cast<std::size_t>(client)), std::move(task));
  }
  std::unique_ptr<LockSession> session(int client) {
    auto s = run(client, stores_.at(static_cast<std::size_t>(client))->open_session(1s));
    return std::move(s).value();
  }
  AdvisoryLock lock(int client, AdvisoryLockOptions options = {}) {
    return AdvisoryLock::create(*stores_.at(static_cast<std::size_t>(client)), "orders:42",
                                options)
        .value();
  }
  World& world() { return world_; }
  PgNode& pg() { return pg_; }
  SimSessionLockStore& store(int i) { return *stores_.at(static_cast<std::size_t>(i)); }
  Process& client(int i) { return *clients_.at(static_cast<std::size_t>(i)); }

 private:
  World world_{3};
  Network network_;
  PgNode pg_;
  std::vector<Process*> clients_;
  std::vector<std::unique_ptr<SimSessionLockStore>> stores_;
};

TEST(AdvisoryLockId, IsTheDocumentedFnv1aOfNamespaceZeroKey) {
  // Computed independently: FNV-1a 64 over b"faultline\0orders:42", read as a signed bigint.
  EXPECT_EQ(*locks::advisory_lock_id("faultline", "orders:42"), 7354402888596147758);
  EXPECT_EQ(*locks::advisory_lock_id("app", "lock"), 4603102131116056331);
  EXPECT_NE(*locks::advisory_lock_id("ab", "c"), *locks::advisory_lock_id("a", "bc"));
  EXPECT_EQ(locks::advisory_lock_id("", "k").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(locks::advisory_lock_id("ns", "").error().message.rfind("key", 0), 0u);
}

TEST(PgSession, LocksAreExclusiveBetweenSessionsAndReentrantWithinOne) {
  Harness h;
  auto a = h.session(0);
  auto b = h.session(1);
  EXPECT_TRUE(*h.run(0, a->try_lock(7, 1s)));
  EXPECT_TRUE(*h.run(0, a->try_lock(7, 1s))) << "re-entrant within a session";
  EXPECT_FALSE(*h.run(1, b->try_lock(7, 1s)));
  EXPECT_FALSE(*h.run(1, b->unlock(7, 1s))) << "a non-holder cannot unlock";
  EXPECT_TRUE(*h.run(0, a->unlock(7, 1s)));
  EXPECT_FALSE(*h.run(1, b->try_lock(7, 1s))) << "still held once more";
  EXPECT_TRUE(*h.run(0, a->unlock(7, 1s)));
  EXPECT_TRUE(*h.run(1, b->try_lock(7, 1s)));
}

TEST(PgSession, BlockingLockWaitsThenTimesOutAsBusy) {
  Harness h;
  auto a = h.session(0);
  auto b = h.session(1);
  ASSERT_TRUE(*h.run(0, a->try_lock(9, 1s)));
  const SimTime before = h.world().now();
  Result<void> waited = h.run(1, b->lock(9, 300ms));
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().code, ErrorCode::kBusy);
  // Like the real backend's lock_timeout: it gives up a quarter (at most 500ms) before the
  // deadline, so that the refusal arrives in time. 300ms - 75ms, plus one round trip.
  EXPECT_GE(h.world().now() - before, 220ms);
  EXPECT_LE(h.world().now() - before, 300ms);
}

TEST(PgSession, ADroppedConnectionReleasesOnTheServerAndTheClientLearnsLater) {
  Harness h;
  auto a = h.session(0);
  auto b = h.session(1);
  ASSERT_TRUE(*h.run(0, a->try_lock(5, 1s)));
  h.world().disconnect(h.client(0), h.pg().host());
  EXPECT_EQ(h.pg().holder(5), 0u) << "the server ends the session and its locks at once";
  EXPECT_FALSE(a->lost()) << "the client cannot know before its next call";
  EXPECT_TRUE(*h.run(1, b->try_lock(5, 1s)));
  Result<bool> next = h.run(0, a->try_lock(5, 1s));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(a->lost());
}

TEST(PgSession, ACrashedClientsSessionsEnd) {
  Harness h;
  auto a = h.session(0);
  ASSERT_TRUE(*h.run(0, a->try_lock(5, 1s)));
  h.world().crash(h.client(0), true);
  EXPECT_EQ(h.pg().holder(5), 0u);
}

TEST(AdvisoryLockPattern, AcquireReleaseWithIncreasingTokens) {
  Harness h;
  AdvisoryLock a = h.lock(0);
  AdvisoryLock b = h.lock(1);
  locks::FencingToken last = 0;
  for (int round = 0; round < 4; ++round) {
    AdvisoryLock& lock = round % 2 == 0 ? a : b;
    Result<Lease> lease = h.run(round % 2, lock.acquire());
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    EXPECT_GT(lease->token, last);
    last = lease->token;
    EXPECT_TRUE(lock.held());
    ASSERT_TRUE(h.run(round % 2, lock.release(*lease)).ok());
    EXPECT_FALSE(lock.held());
  }
}

TEST(AdvisoryLockPattern, TryFormIsBusyWhileAnotherSessionHolds) {
  Harness h;
  AdvisoryLockOptions try_once;
  try_once.wait = 0ms;
  AdvisoryLock a = h.lock(0);
  AdvisoryLock b = h.lock(1, try_once);
  ASSERT_TRUE(h.run(0, a.acquire()).ok());
  Result<Lease> refused = h.run(1, b.acquire());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBusy);
}

TEST(AdvisoryLockPattern, HeldTurnsFalseOnceTheLostSessionIsNoticedAndAcquireReconnects) {
  Harness h;
  AdvisoryLock a = h.lock(0);
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok());
  h.world().disconnect(h.client(0), h.pg().host());
  Result<void> released = h.run(0, a.release(*lease));
  ASSERT_FALSE(released.ok()) << "the session, and the lock with it, is gone";
  EXPECT_FALSE(a.held());
  Result<Lease> again = h.run(0, a.acquire());
  ASSERT_TRUE(again.ok()) << "a new session replaces the lost one";
  EXPECT_GT(again->token, lease->token);
  EXPECT_TRUE(a.held());
}

TEST(AdvisoryLockPattern, BadOptionsNameTheField) {
  Harness h;
  AdvisoryLockOptions options;
  options.name_space = "";
  EXPECT_EQ(AdvisoryLock::create(h.store(0), "k", options).error().message.rfind("name_space", 0),
            0u);
  options = {};
  options.wait = -1ms;
  EXPECT_EQ(AdvisoryLock::create(h.store(0), "k", options).error().message.rfind("wait", 0), 0u);
  options = {};
  options.call_timeout = 0ms;
  EXPECT_EQ(AdvisoryLock::create(h.store(0), "k", options).error().message.rfind("call_timeout", 0),
            0u);
  EXPECT_EQ(AdvisoryLock::create(h.store(0), "", {}).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace faultline::sim
