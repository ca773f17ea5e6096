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
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;
using locks::AdvisoryLock;
using locks::AdvisoryLockOptions;
using locks::Lease;
using locks::LockSession;

// A PostgreSQL node "postgres" (not watching partitions unless a test says so) and two clients.
class Harness {
 public:
  Harness()
      : topology_(TopologyBuilder(3).postgres("postgres", {.watch_partitions = false}).clients(2)) {
    topology_.start();
  }
  template <class T>
  T run(int client, Task<T> task) {
    return testing::run_on(world(), this->client(client), std::move(task));
  }
  std::unique_ptr<LockSession> session(int client) {
    auto s = run(client, store(client).open_session(1s));
    return std::move(s).value();
  }
  AdvisoryLock lock(int client, AdvisoryLockOptions options = {}) {
    return AdvisoryLock::create(store(client), "orders:42", options).value();
  }
  World& world() { return topology_.world(); }
  Network& network() { return topology_.network(); }
  Faults faults() { return topology_.faults(); }
  PgNode& pg() { return topology_.postgres("postgres"); }
  Process& pg_host() { return topology_.process("postgres"); }
  // Every message on the link from -> to is lost (loss) or delivered twice (duplicate).
  void set_link(Process& from, Process& to, std::uint32_t loss_ppm, std::uint32_t duplicate_ppm) {
    LinkProfile link;
    link.loss_ppm = loss_ppm;
    link.duplicate_ppm = duplicate_ppm;
    network().set_link(from.id(), to.id(), link);
  }
  SimSessionLockStore& store(int i) {
    return topology_.session_store(client(i).name(), "postgres");
  }
  Process& client(int i) { return topology_.client(static_cast<std::size_t>(i)); }

 private:
  Topology topology_;
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
  h.faults().disconnect(h.client(0), h.pg_host());
  EXPECT_EQ(h.pg().holder(5), 0u) << "the server ends the session and its locks at once";
  EXPECT_FALSE(a->lost()) << "the client cannot know before its next call";
  EXPECT_TRUE(*h.run(1, b->try_lock(5, 1s)));
  Result<bool> next = h.run(0, a->try_lock(5, 1s));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(a->lost());
}

// disconnect() names the two ends of the connections that drop, in either order: with the
// node first it is still one client's connections, not the node going down.
TEST(PgSession, DisconnectingNodeFromClientEndsOnlyThatClientsSessions) {
  Harness h;
  auto a = h.session(0);
  auto b = h.session(1);
  ASSERT_TRUE(*h.run(0, a->try_lock(5, 1s)));
  ASSERT_TRUE(*h.run(1, b->try_lock(6, 1s)));
  h.faults().disconnect(h.pg_host(), h.client(0));
  EXPECT_EQ(h.pg().holder(5), 0u) << "client-1's connection dropped: its lock must go";
  EXPECT_NE(h.pg().holder(6), 0u) << "client-2's connection did not drop: its lock must stay";
}

// A partition is silence too: the server's keepalive probes go unanswered, and once the last
// one gives up the connection, its session and its locks are gone. A shorter partition, or one
// that heals and comes back, costs nothing.
TEST(PgSession, APartitionOutlastingTheKeepaliveEndsTheSessionAndAShorterOneDoesNot) {
  Harness h;
  h.pg().set_keepalive({.idle = 2s, .interval = 1s, .count = 3});  // detection after 5s
  h.pg().watch(h.network());
  auto a = h.session(0);
  ASSERT_TRUE(*h.run(0, a->try_lock(5, 1s)));
  Process& client = h.client(0);
  Process& node = h.pg_host();

  h.faults().partition(client, node, /*one_way=*/false);  // 4.9s: shorter than detection
  h.world().run_until(h.world().now() + 4900ms);
  h.faults().heal(client, node, /*one_way=*/false);
  h.faults().partition(node, client, /*one_way=*/true);  // again, one way: its own 5s
  h.world().run_until(h.world().now() + 200ms);
  EXPECT_NE(h.pg().holder(5), 0u) << "two cuts of under 5s each, yet the session ended";

  h.world().run_until(h.world().now() + 4700ms);  // the second cut reaches 4.9s
  EXPECT_NE(h.pg().holder(5), 0u) << "ended before the keepalive's detection time";
  h.world().run_until(h.world().now() + 200ms);  // and 5.1s
  EXPECT_EQ(h.pg().holder(5), 0u) << "a partition outlasting the keepalive kept the lock";
  h.faults().heal(node, client, /*one_way=*/true);
  Result<bool> next = h.run(0, a->try_lock(5, 1s));
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(a->lost()) << "the client learns at its next call";
}

TEST(PgSession, ACrashedClientsSessionsEnd) {
  Harness h;
  auto a = h.session(0);
  ASSERT_TRUE(*h.run(0, a->try_lock(5, 1s)));
  h.faults().crash(h.client(0), true);
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
  h.faults().disconnect(h.client(0), h.pg_host());
  Result<void> released = h.run(0, a.release(*lease));
  ASSERT_FALSE(released.ok()) << "the session, and the lock with it, is gone";
  EXPECT_FALSE(a.held());
  Result<Lease> again = h.run(0, a.acquire());
  ASSERT_TRUE(again.ok()) << "a new session replaces the lost one";
  EXPECT_GT(again->token, lease->token);
  EXPECT_TRUE(a.held());
}

// A try_lock whose reply is lost may have taken the lock. Keeping that session would keep the
// hold: the next acquire() re-enters it (count 2), release() drops one, and everyone else is
// refused for as long as the session lives. The lock must end the session instead.
TEST(AdvisoryLockPattern, AnUnknownLockOutcomeEndsTheSessionSoNothingStaysHeld) {
  Harness h;
  AdvisoryLockOptions try_once;
  try_once.wait = 0ms;
  try_once.call_timeout = 100ms;
  AdvisoryLock a = h.lock(0, try_once);
  AdvisoryLock b = h.lock(1, try_once);
  Result<Lease> opened = h.run(0, a.acquire());  // opens the session
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(h.run(0, a.release(*opened)).ok());

  h.set_link(h.pg().host(), h.client(0), 1'000'000, 0);  // every reply to client-1 is lost
  Result<Lease> unknown = h.run(0, a.acquire());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_FALSE(a.held());
  h.set_link(h.pg().host(), h.client(0), 0, 0);
  h.world().run_until(h.world().now() + 1s);
  EXPECT_EQ(h.pg().holder(a.id()), 0u) << "the session that may hold the lock was kept";

  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  ASSERT_TRUE(h.run(0, a.release(*lease)).ok());
  EXPECT_EQ(h.pg().holder(a.id()), 0u) << "released, yet still held on the server";
  EXPECT_TRUE(h.run(1, b.acquire()).ok()) << "another session is refused a released lock";
}

// A session is one connection: a request the network duplicates is applied once.
TEST(AdvisoryLockPattern, DuplicatedRequestsDoNotLeaveTheLockHeld) {
  Harness h;
  AdvisoryLockOptions try_once;
  try_once.wait = 0ms;
  AdvisoryLock a = h.lock(0, try_once);
  AdvisoryLock b = h.lock(1, try_once);
  h.set_link(h.client(0), h.pg().host(), 0, 1'000'000);  // every request arrives twice
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  ASSERT_TRUE(h.run(0, a.release(*lease)).ok());
  h.world().run_until(h.world().now() + 1s);
  EXPECT_EQ(h.pg().holder(a.id()), 0u) << "a duplicated try_lock left a second hold";
  Result<Lease> second = h.run(0, a.acquire());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->token, lease->token + 1) << "a duplicated token request skipped a token";
  ASSERT_TRUE(h.run(0, a.release(*second)).ok());
  EXPECT_TRUE(h.run(1, b.acquire()).ok());
}

// Forwards to a simulated session, except that the fencing token request fails (kUnavailable:
// certainly not applied) and lost() can be forced: the faults no network fault isolates.
class FaultySession final : public LockSession {
 public:
  FaultySession(std::unique_ptr<LockSession> inner, const bool* fail_tokens, const bool* lost)
      : inner_(std::move(inner)), fail_tokens_(fail_tokens), lost_(lost) {}
  Task<Result<bool>> try_lock(locks::AdvisoryLockId id, Duration timeout) override {
    return inner_->try_lock(id, timeout);
  }
  Task<Result<void>> lock(locks::AdvisoryLockId id, Duration timeout) override {
    return inner_->lock(id, timeout);
  }
  Task<Result<bool>> unlock(locks::AdvisoryLockId id, Duration timeout) override {
    return inner_->unlock(id, timeout);
  }
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override {
    if (*fail_tokens_) return fail_token();
    return inner_->next_fencing_token(key, timeout);
  }
  [[nodiscard]] bool lost() const override { return *lost_ || inner_->lost(); }
  Task<void> close(Duration timeout) override { return inner_->close(timeout); }

 private:
  static Task<Result<locks::FencingToken>> fail_token() {
    co_return unavailable("token table unavailable (injected)");
  }
  std::unique_ptr<LockSession> inner_;
  const bool* fail_tokens_;
  const bool* lost_;
};

class FaultyStore final : public locks::SessionLockStore {
 public:
  explicit FaultyStore(locks::SessionLockStore& inner) : inner_(inner) {}
  Task<Result<std::unique_ptr<LockSession>>> open_session(Duration timeout) override {
    auto pending = inner_.open_session(timeout);
    Result<std::unique_ptr<LockSession>> opened = co_await std::move(pending);
    if (!opened) co_return std::move(opened).error();
    co_return std::unique_ptr<LockSession>(
        std::make_unique<FaultySession>(std::move(opened).value(), &fail_tokens, &lost));
  }
  bool fail_tokens = false;
  bool lost = false;

 private:
  locks::SessionLockStore& inner_;
};

TEST(AdvisoryLockPattern, AFailedTokenFetchLeavesTheLockFree) {
  Harness h;
  FaultyStore faulty(h.store(0));
  faulty.fail_tokens = true;
  AdvisoryLock a = AdvisoryLock::create(faulty, "orders:42", {}).value();
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(a.held());
  EXPECT_EQ(h.pg().holder(a.id()), 0u) << "the lock stayed held after its token failed";
}

TEST(AdvisoryLockPattern, HeldIsFalseAsSoonAsTheSessionIsKnownLost) {
  Harness h;
  FaultyStore faulty(h.store(0));
  AdvisoryLock a = AdvisoryLock::create(faulty, "orders:42", {}).value();
  ASSERT_TRUE(h.run(0, a.acquire()).ok());
  EXPECT_TRUE(a.held());
  faulty.lost = true;  // as a real session's socket reports a dropped connection, unasked
  EXPECT_FALSE(a.held());
}

// Fencing counters live in a table: a crash of the server, however abrupt, keeps them.
TEST(PgSession, FencingCountersSurviveAServerCrash) {
  Harness h;
  AdvisoryLock a = h.lock(0);
  Result<Lease> before = h.run(0, a.acquire());
  ASSERT_TRUE(before.ok());
  h.faults().crash(h.pg_host(), /*persist=*/false);
  h.faults().restart(h.pg_host());
  EXPECT_FALSE(h.run(0, a.release(*before)).ok()) << "the crash ended the session";
  Result<Lease> after = h.run(0, a.acquire());
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_GT(after->token, before->token) << "the counter went back after a crash";
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
