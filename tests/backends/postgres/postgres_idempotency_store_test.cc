// PgIdempotencyStore beyond the conformance suite: what only a real server with several
// connections can show (begins of one key racing on two connections), binary-safe values, the
// schema call, and the deadline covering the wait for a pooled connection.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "faultline/backends/postgres/idempotency_store.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/support/postgres_test_support.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using backends::postgres::PgIdempotencyStore;
using backends::postgres::Pool;
using backends::postgres::PooledConnection;
using backends::postgres::PoolOptions;
using idempotency::BeginOutcome;
using idempotency::BeginReply;
using idempotency::RequestId;

constexpr int kRaces = 50;

class PgIdempotencyStoreTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    for (auto& pool : pools_) pool = make_pool(1);
    a_ = std::make_unique<PgIdempotencyStore>(*pools_[0]);
    b_ = std::make_unique<PgIdempotencyStore>(*pools_[1]);
    Result<void> schema = run(a_->ensure_schema(10s));
    ASSERT_TRUE(schema.ok()) << schema.error().to_string();
    backends::SystemRandom random;
    prefix_ = "pg-idempotency:" + random_token(random).substr(0, 12) + ":";
  }

  std::unique_ptr<Pool> make_pool(std::size_t max_connections) {
    PoolOptions options;
    options.connection = options_;
    options.max_connections = max_connections;
    Result<std::unique_ptr<Pool>> pool = Pool::create(io_, options);
    EXPECT_TRUE(pool.ok()) << pool.error().to_string();
    return std::move(pool).value();
  }

  // Both stores' begins of `key`, started together, each on its own connection.
  std::pair<Result<BeginReply>, Result<BeginReply>> race(const std::string& key,
                                                         const std::string& owner_a,
                                                         const std::string& owner_b) {
    const RequestId id{"acct", key};
    auto first = spawn(a_->begin(id, "fp", owner_a, 30s, 1h, 5s));
    auto second = spawn(b_->begin(id, "fp", owner_b, 30s, 1h, 5s));
    run_until(first, 10s);
    run_until(second, 10s);
    EXPECT_TRUE(first->has_value() && second->has_value());
    return {std::move(**first), std::move(**second)};
  }

  std::unique_ptr<Pool> pools_[2];
  std::unique_ptr<PgIdempotencyStore> a_;
  std::unique_ptr<PgIdempotencyStore> b_;
  std::string prefix_;
};

int count(BeginOutcome wanted, const Result<BeginReply>& x, const Result<BeginReply>& y) {
  return (x.ok() && x->outcome == wanted ? 1 : 0) + (y.ok() && y->outcome == wanted ? 1 : 0);
}

TEST_F(PgIdempotencyStoreTest, ConcurrentBeginsOfOneKeyStartItExactlyOnce) {
  // Connect both pools first, so that the begins themselves race.
  ASSERT_TRUE(run(a_->reap(1, 5s)).ok());
  ASSERT_TRUE(run(b_->reap(1, 5s)).ok());
  for (int i = 0; i < kRaces; ++i) {
    const std::string key = prefix_ + "race-" + std::to_string(i);
    auto [x, y] = race(key, "owner-a", "owner-b");
    ASSERT_TRUE(x.ok()) << x.error().to_string();
    ASSERT_TRUE(y.ok()) << y.error().to_string();
    EXPECT_EQ(count(BeginOutcome::kStarted, x, y), 1) << "race " << i;
    EXPECT_EQ(count(BeginOutcome::kInFlight, x, y), 1) << "race " << i;
  }
}

TEST_F(PgIdempotencyStoreTest, ConcurrentBeginsByOneOwnerStartOnceAndResumeOnce) {
  ASSERT_TRUE(run(a_->reap(1, 5s)).ok());
  ASSERT_TRUE(run(b_->reap(1, 5s)).ok());
  for (int i = 0; i < kRaces; ++i) {
    const std::string key = prefix_ + "same-owner-" + std::to_string(i);
    auto [x, y] = race(key, "owner", "owner");
    ASSERT_TRUE(x.ok()) << x.error().to_string();
    ASSERT_TRUE(y.ok()) << y.error().to_string();
    EXPECT_EQ(count(BeginOutcome::kStarted, x, y), 1) << "race " << i;
    EXPECT_EQ(count(BeginOutcome::kResumed, x, y), 1) << "race " << i;
  }
}

TEST_F(PgIdempotencyStoreTest, DataAndOwnersAreBinarySafe) {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes.push_back(static_cast<char>(c));
  const std::string owner("\xff\x00owner\x80\x00", 9);  // not UTF-8, with NULs
  const std::string key = prefix_ + "binary";
  const RequestId id{"acct", key};
  Result<BeginReply> begun = run(a_->begin(id, "fp", owner, 30s, 1h, 5s));
  ASSERT_TRUE(begun.ok()) << begun.error().to_string();
  EXPECT_EQ(begun->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(*run(a_->checkpoint(id, owner, "charged", bytes, 30s, 5s)));
  Result<BeginReply> resumed = run(a_->begin(id, "fp", owner, 30s, 1h, 5s));
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  EXPECT_EQ(resumed->outcome, BeginOutcome::kResumed);
  EXPECT_EQ(resumed->data, bytes);
  EXPECT_FALSE(*run(a_->complete(id, owner.substr(0, 8), bytes, 5s)));
  ASSERT_TRUE(*run(a_->complete(id, owner, bytes, 5s)));
  Result<BeginReply> replay = run(b_->begin(id, "fp", "other", 30s, 1h, 5s));
  ASSERT_TRUE(replay.ok()) << replay.error().to_string();
  EXPECT_EQ(replay->outcome, BeginOutcome::kCompleted);
  EXPECT_EQ(replay->response, bytes);
}

TEST_F(PgIdempotencyStoreTest, EnsureSchemaIsIdempotent) {
  Result<void> again = run(b_->ensure_schema(10s));
  EXPECT_TRUE(again.ok()) << again.error().to_string();
}

TEST_F(PgIdempotencyStoreTest, TheTimeoutCoversTheWaitForAConnection) {
  Result<PooledConnection> held = run(pools_[0]->acquire(5s));
  ASSERT_TRUE(held.ok()) << held.error().to_string();
  const std::string key = prefix_ + "no-connection";
  const RequestId id{"acct", key};
  const auto started = std::chrono::steady_clock::now();
  Result<BeginReply> begun = run(a_->begin(id, "fp", "owner", 30s, 1h, 200ms));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  ASSERT_FALSE(begun.ok());
  EXPECT_EQ(begun.error().code, ErrorCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace faultline::testing
