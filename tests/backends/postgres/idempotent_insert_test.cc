// IdempotentTable on a real PostgreSQL server: insert_once says honestly who wrote the row
// (also under concurrency), where a naive ON CONFLICT DO NOTHING reports a success it did not
// have; reap deletes in bounded batches; bad input is refused naming the field.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/idempotent_insert.h"
#include "faultline/backends/system_random.h"
#include "faultline/gather.h"
#include "faultline/random.h"
#include "tests/support/postgres_env.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using backends::block_on;
using backends::postgres::kMaxInsertKeyBytes;
using backends::postgres::IdempotentTable;
using backends::postgres::InsertOnce;
using backends::postgres::InsertOutcome;
using backends::postgres::PgResult;
using backends::postgres::Pool;
using backends::postgres::PoolOptions;

class IdempotentInsertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto options = options_from_env();
    if (!options) GTEST_SKIP() << kPgEnvMissing;
    PoolOptions pool_options;
    pool_options.connection = *options;
    pool_options.max_connections = 8;
    pool_ = std::move(Pool::create(io_, pool_options)).value();
    backends::SystemRandom random;
    std::string name = "faultline_test_once_" + random_token(random).substr(0, 10);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : name) c = (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    auto table = IdempotentTable::create(name);
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    table_.emplace(std::move(table).value());
    Result<void> schema = block_on(io_, table_->ensure_schema(*pool_, 10s));
    ASSERT_TRUE(schema.ok()) << schema.error().to_string();
  }
  void TearDown() override {
    if (table_) (void)sql("DROP TABLE IF EXISTS " + table_->name());
  }

  Result<InsertOnce> insert(const std::string& key, const std::string& payload) {
    return block_on(io_, table_->insert_once(*pool_, key, payload, 5s));
  }
  Result<PgResult> sql(const std::string& statement) {
    return block_on(io_, [&]() -> Task<Result<PgResult>> {
      Result<backends::postgres::PooledConnection> lease = co_await pool_->acquire(5s);
      if (!lease.ok()) co_return std::move(lease).error();
      co_return co_await (*lease)->query(statement, 5s);
    }());
  }

  boost::asio::io_context io_;
  std::unique_ptr<Pool> pool_;
  std::optional<IdempotentTable> table_;
};

TEST_F(IdempotentInsertTest, InsertedThenExistingThenConflictWithTheStoredPayload) {
  Result<InsertOnce> first = insert("order-1", std::string("pay\0load", 8));
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->outcome, InsertOutcome::kInserted);
  Result<InsertOnce> again = insert("order-1", std::string("pay\0load", 8));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, InsertOutcome::kExisting);
  Result<InsertOnce> other = insert("order-1", "another payload");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->outcome, InsertOutcome::kConflict);
  EXPECT_EQ(other->payload, std::string("pay\0load", 8)) << "the stored payload, untouched";
}

// The naive form answers an existing key with no error and no row: a caller that reads "no
// error" as "written" claims a write it did not make. insert_once tells the two apart.
TEST_F(IdempotentInsertTest, TheNaiveDoNothingClaimsASuccessInsertOnceDoesNot) {
  ASSERT_EQ(insert("order-2", "mine")->outcome, InsertOutcome::kInserted);
  Result<PgResult> naive = sql("INSERT INTO " + table_->name() +
                               " (key, payload, created) VALUES ('order-2', 'theirs', now()) "
                               "ON CONFLICT DO NOTHING");
  ASSERT_TRUE(naive.ok());
  EXPECT_FALSE(naive->is_error()) << "no error: looks like a success";
  EXPECT_EQ(naive->command_status(), "INSERT 0 0") << "but nothing was written";
  EXPECT_EQ(insert("order-2", "theirs")->outcome, InsertOutcome::kConflict);
}

TEST_F(IdempotentInsertTest, ConcurrentInsertsOfOneKeyExactlyOneInserted) {
  constexpr int kCallers = 16;
  std::vector<Result<InsertOnce>> replies = block_on(io_, [&]() -> Task<std::vector<Result<InsertOnce>>> {
    std::vector<Task<Result<InsertOnce>>> calls;
    for (int i = 0; i < kCallers; ++i) {
      calls.push_back(table_->insert_once(*pool_, "hot-key", "same", 10s));
    }
    co_return co_await gather(std::move(calls));
  }());
  int inserted = 0;
  for (const Result<InsertOnce>& reply : replies) {
    ASSERT_TRUE(reply.ok()) << reply.error().to_string();
    EXPECT_NE(reply->outcome, InsertOutcome::kConflict);
    inserted += reply->outcome == InsertOutcome::kInserted ? 1 : 0;
  }
  EXPECT_EQ(inserted, 1);
}

TEST_F(IdempotentInsertTest, ReapDeletesOldRowsInBoundedBatches) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(insert("old-" + std::to_string(i), "x").ok());
  std::this_thread::sleep_for(20ms);
  auto reap = [&](Duration older_than) {
    return block_on(io_, table_->reap(*pool_, older_than, 2, 5s));
  };
  EXPECT_EQ(*reap(1h), 0u) << "nothing is an hour old";
  EXPECT_EQ(*reap(10ms), 2u);
  EXPECT_EQ(*reap(10ms), 2u);
  EXPECT_EQ(*reap(10ms), 1u);
  EXPECT_EQ(*reap(10ms), 0u);
  EXPECT_EQ(insert("old-0", "x")->outcome, InsertOutcome::kInserted) << "the key is free again";
}

TEST_F(IdempotentInsertTest, BadInputIsRefusedNamingTheField) {
  auto field_of = [](const Error& e) { return e.message.substr(0, e.message.find(':')); };
  EXPECT_EQ(field_of(IdempotentTable::create("Orders; DROP").error()), "table");
  EXPECT_EQ(field_of(insert("", "x").error()), "key");
  EXPECT_EQ(field_of(insert(std::string(kMaxInsertKeyBytes + 1, 'k'), "x").error()), "key");
  EXPECT_EQ(field_of(insert("k", std::string(256 * 1024 + 1, 'p')).error()), "payload");
  EXPECT_EQ(field_of(block_on(io_, table_->reap(*pool_, 1s, 0, 5s)).error()), "limit");
  EXPECT_EQ(field_of(block_on(io_, table_->reap(*pool_, 0s, 1, 5s)).error()), "older_than");
  EXPECT_EQ(insert("", "x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(insert("k", "x")->outcome, InsertOutcome::kInserted) << "nothing was written before";
}

}  // namespace
}  // namespace faultline::testing
