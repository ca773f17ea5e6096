// PgSessionLockStore and with_xact_lock against a real PostgreSQL server
// (scripts/postgres-server.sh starts it and sets FAULTLINE_PG_*; without it every test skips).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "faultline/backends/postgres/advisory_lock_store.h"
#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/xact_lock.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/advisory_lock_id.h"
#include "tests/support/postgres_test_support.h"

namespace {

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Result;
using faultline::Task;
using faultline::backends::SystemRandom;
using faultline::backends::postgres::Connection;
using faultline::backends::postgres::ConnectionOptions;
using faultline::backends::postgres::PgLockSession;
using faultline::backends::postgres::PgResult;
using faultline::backends::postgres::PgSessionLockStore;
using faultline::backends::postgres::with_xact_lock;
using faultline::backends::postgres::XactBody;
using faultline::locks::AdvisoryLockId;
using faultline::locks::FencingToken;
using faultline::locks::LockSession;
using SteadyClock = std::chrono::steady_clock;

class PostgresAdvisoryLockTest : public faultline::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    Result<std::unique_ptr<PgSessionLockStore>> store = PgSessionLockStore::create(io_, options_);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    store_ = std::move(store).value();
    // Ids unique to this run, so that runs against a shared server do not interfere.
    const std::string key = faultline::random_token(random_);
    Result<AdvisoryLockId> id = faultline::locks::advisory_lock_id("faultline-test", key);
    ASSERT_TRUE(id.ok());
    id_ = *id;
    key_ = "test:" + key;
  }

  std::unique_ptr<PgLockSession> session() {
    Result<std::unique_ptr<PgLockSession>> s = run(store_->open_pg_session(5s));
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return std::move(s).value();
  }

  bool try_lock(LockSession& s, AdvisoryLockId id) {
    Result<bool> taken = run(s.try_lock(id, 2s));
    EXPECT_TRUE(taken.ok()) << taken.error().to_string();
    return taken.ok() && *taken;
  }
  bool unlock(LockSession& s, AdvisoryLockId id) {
    Result<bool> released = run(s.unlock(id, 2s));
    EXPECT_TRUE(released.ok()) << released.error().to_string();
    return released.ok() && *released;
  }

  SystemRandom random_;
  std::unique_ptr<PgSessionLockStore> store_;
  AdvisoryLockId id_ = 0;
  std::string key_;
};

TEST_F(PostgresAdvisoryLockTest, TryLockIsExclusiveBetweenSessionsAndReentrantWithinOne) {
  auto a = session();
  auto b = session();
  EXPECT_TRUE(try_lock(*a, id_));
  EXPECT_TRUE(try_lock(*a, id_));  // re-entrant
  EXPECT_FALSE(try_lock(*b, id_));
  EXPECT_TRUE(unlock(*a, id_));
  EXPECT_FALSE(try_lock(*b, id_));  // still held once
  EXPECT_TRUE(unlock(*a, id_));
  EXPECT_FALSE(unlock(*a, id_));  // no holds left
  EXPECT_TRUE(try_lock(*b, id_));
  EXPECT_FALSE(try_lock(*a, id_));
}

TEST_F(PostgresAdvisoryLockTest, UnlockByANonHolderReturnsFalse) {
  auto a = session();
  auto b = session();
  EXPECT_TRUE(try_lock(*a, id_));
  EXPECT_FALSE(unlock(*b, id_));
  EXPECT_FALSE(try_lock(*b, id_));  // still a's
  EXPECT_FALSE(a->lost());
  EXPECT_FALSE(b->lost());
}

TEST_F(PostgresAdvisoryLockTest, LockWithDeadlineIsBusyWhileHeldAndSucceedsOnceReleased) {
  auto a = session();
  auto b = session();
  ASSERT_TRUE(try_lock(*a, id_));

  const auto started = SteadyClock::now();
  Result<void> busy = run(b->lock(id_, 400ms));
  const auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, ErrorCode::kBusy) << busy.error().message;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 400ms);
  EXPECT_FALSE(b->lost());  // the server gave up, not the client: the session survives

  auto waiting = spawn(b->lock(id_, 5s));
  pump_for(150ms);
  EXPECT_FALSE(waiting->has_value());
  auto released = spawn(a->unlock(id_, 2s));
  run_until(waiting, 3s);
  ASSERT_TRUE(waiting->has_value());
  EXPECT_TRUE((*waiting)->ok()) << (*waiting)->error().to_string();
  run_until(released, 1s);
  EXPECT_FALSE(try_lock(*a, id_));
  EXPECT_TRUE(unlock(*b, id_));
}

TEST_F(PostgresAdvisoryLockTest, SessionLossIsObservedAndReleasesTheLock) {
  auto holder = session();
  auto other = session();
  Connection admin = connect();
  ASSERT_TRUE(try_lock(*holder, id_));
  ASSERT_FALSE(try_lock(*other, id_));

  const std::array<std::string, 1> pid{std::to_string(holder->backend_pid())};
  Result<PgResult> killed =
      run(admin.query("SELECT pg_terminate_backend($1::int)", pid, 2s));
  ASSERT_TRUE(killed.ok());
  ASSERT_EQ(killed->cell(0, 0), "t");

  // Observed without a call (the probe sees the termination message or EOF) ...
  const auto until = SteadyClock::now() + 2s;
  while (!holder->lost() && SteadyClock::now() < until) step();
  EXPECT_TRUE(holder->lost());
  // ... and every call on the lost session fails as not done.
  Result<bool> after = run(holder->try_lock(id_, 1s));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(holder->lost());

  // The server released the lock with the session (the backend exits asynchronously).
  bool taken = false;
  for (int i = 0; i < 100 && !taken; ++i) {
    taken = try_lock(*other, id_);
    if (!taken) pump_for(20ms);
  }
  EXPECT_TRUE(taken);
}

TEST_F(PostgresAdvisoryLockTest, LossDuringACallIsReportedByThatCall) {
  auto holder = session();
  auto blocker = session();
  Connection admin = connect();
  ASSERT_TRUE(try_lock(*blocker, id_));
  auto waiting = spawn(holder->lock(id_, 5s));  // blocks on the server
  poll();
  const std::array<std::string, 1> pid{std::to_string(holder->backend_pid())};
  pump_for(100ms);
  Result<PgResult> killed =
      run(admin.query("SELECT pg_terminate_backend($1::int)", pid, 2s));
  ASSERT_TRUE(killed.ok());
  run_until(waiting, 3s);
  ASSERT_TRUE(waiting->has_value());
  ASSERT_FALSE((*waiting)->ok());
  EXPECT_EQ((*waiting)->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_TRUE(holder->lost());
}

TEST_F(PostgresAdvisoryLockTest, CloseReleasesTheSessionsLocks) {
  auto a = session();
  auto b = session();
  ASSERT_TRUE(try_lock(*a, id_));
  run(a->close(1s));
  EXPECT_TRUE(a->lost());
  bool taken = false;
  for (int i = 0; i < 100 && !taken; ++i) {
    taken = try_lock(*b, id_);
    if (!taken) pump_for(20ms);
  }
  EXPECT_TRUE(taken);
}

TEST_F(PostgresAdvisoryLockTest, FencingTokensStrictlyIncreaseAcrossSessions) {
  auto a = session();
  auto b = session();
  FencingToken last = 0;
  for (int i = 0; i < 20; ++i) {
    LockSession& s = i % 2 == 0 ? static_cast<LockSession&>(*a) : *b;
    Result<FencingToken> token = run(s.next_fencing_token(key_, 2s));
    ASSERT_TRUE(token.ok()) << token.error().to_string();
    EXPECT_GT(*token, last);
    last = *token;
  }
  EXPECT_EQ(last, 20u);  // a fresh key starts at 1

  Result<FencingToken> bad = run(a->next_fencing_token("", 2s));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.rfind("key", 0), 0u);
  Result<bool> no_time = run(a->try_lock(id_, 0s));
  ASSERT_FALSE(no_time.ok());
  EXPECT_EQ(no_time.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PostgresAdvisoryLockTest, OpenSessionOnAnUnreachableServerIsUnavailable) {
  ConnectionOptions options = options_;
  options.password = "not-the-password";
  Result<std::unique_ptr<PgSessionLockStore>> store = PgSessionLockStore::create(io_, options);
  ASSERT_TRUE(store.ok());
  Result<std::unique_ptr<LockSession>> s = run((*store)->open_session(2s));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(s.error().message.find("not-the-password"), std::string::npos);
}

// ---- transaction-scoped locks -------------------------------------------------------------------

TEST_F(PostgresAdvisoryLockTest, XactLockIsHeldInTheTransactionAndReleasedAtCommit) {
  Connection connection = connect();
  auto observer = session();
  bool held_inside = false;
  bool ran = false;
  const XactBody body = [&](Connection& c, Duration remaining) -> Task<Result<void>> {
    ran = true;
    Result<bool> other = co_await observer->try_lock(id_, remaining);
    if (!other.ok()) co_return std::move(other).error();
    held_inside = !*other;
    Result<PgResult> inside = co_await c.query("SELECT 1", remaining);
    if (!inside.ok()) co_return std::move(inside).error();
    co_return faultline::Ok{};
  };
  Result<bool> done = run(with_xact_lock(connection, id_, body, 5s));
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_TRUE(*done);
  EXPECT_TRUE(ran);
  EXPECT_TRUE(held_inside);
  EXPECT_FALSE(connection.in_transaction());
  EXPECT_TRUE(try_lock(*observer, id_));  // released by COMMIT

  // Held by another session: false, body not run, nothing left open.
  ran = false;
  Result<bool> refused = run(with_xact_lock(connection, id_, body, 5s));
  ASSERT_TRUE(refused.ok()) << refused.error().to_string();
  EXPECT_FALSE(*refused);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(connection.in_transaction());
  EXPECT_TRUE(unlock(*observer, id_));
}

TEST_F(PostgresAdvisoryLockTest, XactLockBodyFailureRollsBack) {
  Connection connection = connect();
  const std::string table = "xact_test_" + std::to_string(static_cast<std::uint64_t>(id_) % 1000000);
  const std::string create = "CREATE TABLE IF NOT EXISTS " + table + " (v int)";
  ASSERT_TRUE(run(connection.query(create, 2s)).ok());
  const std::string insert = "INSERT INTO " + table + " VALUES (1)";
  const XactBody failing = [&](Connection& c, Duration remaining) -> Task<Result<void>> {
    Result<PgResult> inserted = co_await c.query(insert, remaining);
    if (!inserted.ok()) co_return std::move(inserted).error();
    co_return faultline::failed_precondition("body gave up");
  };
  Result<bool> done = run(with_xact_lock(connection, id_, failing, 5s));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().message, "body gave up");
  EXPECT_FALSE(connection.in_transaction());
  const std::string count = "SELECT count(*) FROM " + table;
  Result<PgResult> rows = run(connection.query(count, 2s));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->cell(0, 0), "0");
  auto observer = session();
  EXPECT_TRUE(try_lock(*observer, id_));  // released by ROLLBACK
  const std::string drop = "DROP TABLE " + table;
  EXPECT_TRUE(run(connection.query(drop, 2s)).ok());
}

}  // namespace
