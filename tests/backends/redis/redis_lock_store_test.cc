// RedisLockStore against a real Redis server (scripts/redis-servers.sh starts it and sets
// FAULTLINE_REDIS_PORTS; without it every test here skips). The cross-backend property tests
// live in the conformance suite; these pin the Redis specifics.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tests/support/redis_env.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/gather.h"
#include "faultline/locks/lease_lock.h"

namespace {

using faultline::testing::first_redis_port;

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Result;
using faultline::Task;
using faultline::gather;
using faultline::backends::AsioClock;
using faultline::backends::block_on;
using faultline::backends::SystemRandom;
using faultline::backends::redis::Connection;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLockStore;
using faultline::backends::redis::RedisReply;
using faultline::locks::AcquireReply;
using faultline::locks::FencingToken;
using faultline::testing::durable_redis_port;


class RedisLockStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<int> port = first_redis_port();
    if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh";
    port_ = *port;
    store_ = make_store(port_);
    key_ = "test:lock:" + faultline::random_token(random_);
    alice_ = faultline::random_token(random_);
    bob_ = faultline::random_token(random_);
  }

  std::unique_ptr<RedisLockStore> make_store(int port) {
    ConnectionOptions options;
    options.port = port;
    Result<std::unique_ptr<RedisLockStore>> store = RedisLockStore::create(io_, options);
    EXPECT_TRUE(store.ok());
    return std::move(store).value();
  }

  template <class T>
  T run(Task<T> task) {
    return block_on(io_, std::move(task));
  }

  AcquireReply acquire(const std::string& owner, Duration ttl = 10s) {
    Result<AcquireReply> reply = run(store_->acquire(key_, owner, ttl, 1s));
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    return reply.ok() ? *reply : AcquireReply{};
  }
  bool release(const std::string& owner) {
    Result<bool> reply = run(store_->release(key_, owner, 1s));
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    return reply.ok() && *reply;
  }
  bool extend(const std::string& owner, Duration ttl) {
    Result<bool> reply = run(store_->extend(key_, owner, ttl, 1s));
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    return reply.ok() && *reply;
  }

  boost::asio::io_context io_;
  AsioClock clock_;
  SystemRandom random_;
  int port_ = 0;
  std::unique_ptr<RedisLockStore> store_;
  std::string key_;
  std::string alice_;
  std::string bob_;
};

TEST_F(RedisLockStoreTest, AcquireIsExclusiveAndReleaseFreesTheLock) {
  const AcquireReply first = acquire(alice_);
  EXPECT_TRUE(first.acquired);
  EXPECT_GT(first.token, 0u);
  EXPECT_FALSE(acquire(bob_).acquired);
  EXPECT_TRUE(release(alice_));
  const AcquireReply second = acquire(bob_);
  EXPECT_TRUE(second.acquired);
  EXPECT_GT(second.token, first.token);
  EXPECT_TRUE(release(bob_));
}

// Stores borrow their connection, so stores of several families share one pipelined
// Connection. Two stores here (a second family's would sit alike): their calls run at once on
// the one connection, each sees the other's writes, and destroying one leaves the other and
// the connection working.
TEST_F(RedisLockStoreTest, TwoStoresShareOneBorrowedConnection) {
  ConnectionOptions options;
  options.port = port_;
  Result<Connection> shared = Connection::create(io_, options);
  ASSERT_TRUE(shared.ok()) << shared.error().to_string();
  auto first = std::make_unique<RedisLockStore>(*shared);
  RedisLockStore second(*shared);
  EXPECT_EQ(&first->connection(), &*shared);
  EXPECT_EQ(&second.connection(), &*shared);

  const std::string other_key = key_ + ":other";
  auto both = [&]() -> Task<std::vector<Result<AcquireReply>>> {
    std::vector<Task<Result<AcquireReply>>> calls;
    calls.push_back(first->acquire(key_, alice_, 10s, 1s));
    calls.push_back(second.acquire(other_key, bob_, 10s, 1s));
    co_return co_await gather(std::move(calls));
  };
  const std::vector<Result<AcquireReply>> granted = run(both());
  ASSERT_EQ(granted.size(), 2u);
  for (const Result<AcquireReply>& g : granted) {
    ASSERT_TRUE(g.ok()) << g.error().to_string();
    EXPECT_TRUE(g->acquired);
  }

  // One server, one connection: the second store sees the first one's lock.
  Result<AcquireReply> contended = run(second.acquire(key_, bob_, 10s, 1s));
  ASSERT_TRUE(contended.ok()) << contended.error().to_string();
  EXPECT_FALSE(contended->acquired);

  // The stores never close what they borrow: destroying one while the other's call is in
  // flight on the shared connection leaves that call, and later raw commands, unharmed.
  auto drop_first = [&]() -> Task<Result<bool>> {
    first.reset();
    co_return true;
  };
  auto release_while_dropping = [&]() -> Task<Result<bool>> {
    std::vector<Task<Result<bool>>> calls;
    calls.push_back(second.release(key_, alice_, 1s));  // runs first, to its reply's wait
    calls.push_back(drop_first());
    std::vector<Result<bool>> done = co_await gather(std::move(calls));
    co_return std::move(done[0]);
  };
  Result<bool> released = run(release_while_dropping());
  EXPECT_EQ(first, nullptr);
  ASSERT_TRUE(released.ok()) << released.error().to_string();
  EXPECT_TRUE(*released);
  const std::array<std::string_view, 2> exists{"EXISTS", other_key};
  Result<RedisReply> still = run(shared->command(exists, 1s));
  ASSERT_TRUE(still.ok()) << still.error().to_string();
  EXPECT_EQ(still->as_integer(), 1);
  Result<bool> cleanup = run(second.release(other_key, bob_, 1s));
  EXPECT_TRUE(cleanup.ok() && *cleanup);
}

TEST_F(RedisLockStoreTest, OnlyTheOwnerCanReleaseOrExtend) {
  ASSERT_TRUE(acquire(alice_).acquired);
  EXPECT_FALSE(release(bob_));
  EXPECT_FALSE(extend(bob_, 10s));
  EXPECT_TRUE(extend(alice_, 10s));
  EXPECT_FALSE(acquire(bob_).acquired);  // still alice's
  EXPECT_TRUE(release(alice_));
  EXPECT_FALSE(release(alice_));  // already free
  EXPECT_FALSE(extend(alice_, 10s));
}

TEST_F(RedisLockStoreTest, ReacquireByTheOwnerIsIdempotent) {
  const AcquireReply first = acquire(alice_, 10s);
  ASSERT_TRUE(first.acquired);
  const AcquireReply again = acquire(alice_, 20s);
  EXPECT_TRUE(again.acquired);
  EXPECT_EQ(again.token, first.token);
  // The re-acquire refreshed the ttl to 20 s.
  Result<RedisReply> pttl = run(store_->connection().command({"PTTL", key_}, 1s));
  ASSERT_TRUE(pttl.ok());
  EXPECT_GT(pttl->as_integer(), 10'000);
  EXPECT_TRUE(release(alice_));
}

TEST_F(RedisLockStoreTest, LockExpiresAfterItsTtl) {
  ASSERT_TRUE(acquire(alice_, 50ms).acquired);
  EXPECT_FALSE(acquire(bob_).acquired);
  run(Task<void>(clock_.sleep_for(100ms)));
  EXPECT_TRUE(acquire(bob_).acquired);
  EXPECT_FALSE(release(alice_));  // the expired holder cannot free bob's lock
  EXPECT_TRUE(release(bob_));
}

TEST_F(RedisLockStoreTest, ExtendKeepsTheLockPastItsOriginalTtl) {
  ASSERT_TRUE(acquire(alice_, 100ms).acquired);
  EXPECT_TRUE(extend(alice_, 2s));
  run(Task<void>(clock_.sleep_for(200ms)));
  EXPECT_FALSE(acquire(bob_).acquired);
  EXPECT_TRUE(release(alice_));
}

// Fencing tokens are only as good as their counter: these tests run on the durable server.
class DurableRedisLockStoreTest : public RedisLockStoreTest {
 protected:
  void SetUp() override {
    RedisLockStoreTest::SetUp();
    if (IsSkipped()) return;
    const std::optional<int> durable = durable_redis_port();
    if (!durable) GTEST_SKIP() << faultline::testing::kDurableRedisMissing;
    port_ = *durable;
    store_ = make_store(port_);
    // The assumption, checked rather than trusted.
    EXPECT_EQ(config("appendonly"), "yes");
    EXPECT_EQ(config("appendfsync"), "always");
  }

  std::string config(const std::string& name) {
    Result<RedisReply> reply = run(store_->connection().command({"CONFIG", "GET", name}, 2s));
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    if (!reply.ok() || !reply->is_array() || reply->as_array().size() != 2) return {};
    return reply->as_array()[1].as_text();
  }
};

TEST_F(DurableRedisLockStoreTest, CounterSurvivesReloadingTheAof) {
  const AcquireReply first = acquire(alice_);
  ASSERT_TRUE(first.acquired);
  Result<FencingToken> issued = run(store_->next_fencing_token(key_, 1s));
  ASSERT_TRUE(issued.ok()) << issued.error().to_string();
  // DEBUG LOADAOF empties the dataset and rebuilds it from the AOF alone: what a restart after a
  // crash finds. Every acknowledged INCR must be there (appendfsync always).
  Result<RedisReply> reloaded = run(store_->connection().command({"DEBUG", "LOADAOF"}, 5s));
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().to_string();
  ASSERT_FALSE(reloaded->is_error()) << reloaded->as_text();
  Result<FencingToken> next = run(store_->next_fencing_token(key_, 1s));
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(*next, *issued + 1) << "the counter rolled back across the reload";
  EXPECT_FALSE(acquire(bob_).acquired) << "the lock survives too";
}

TEST_F(DurableRedisLockStoreTest, TokensStrictlyIncreaseAndShareTheCounter) {
  FencingToken last = 0;
  for (int i = 0; i < 10; ++i) {
    const AcquireReply reply = acquire(i % 2 == 0 ? alice_ : bob_);
    ASSERT_TRUE(reply.acquired);
    EXPECT_GT(reply.token, last);
    last = reply.token;
    ASSERT_TRUE(release(i % 2 == 0 ? alice_ : bob_));
    Result<FencingToken> next = run(store_->next_fencing_token(key_, 1s));
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    EXPECT_EQ(*next, last + 1);
    last = *next;
  }
}

TEST_F(RedisLockStoreTest, ScriptsAreReloadedAfterScriptFlush) {
  ASSERT_TRUE(acquire(alice_).acquired);
  Result<RedisReply> flushed = run(store_->connection().command({"SCRIPT", "FLUSH"}, 1s));
  ASSERT_TRUE(flushed.ok()) << flushed.error().to_string();
  EXPECT_TRUE(extend(alice_, 10s));  // EVALSHA -> NOSCRIPT -> SCRIPT LOAD -> EVALSHA
  EXPECT_FALSE(acquire(bob_).acquired);
  EXPECT_TRUE(release(alice_));
}

TEST_F(RedisLockStoreTest, BadArgumentsAreRejectedBeforeAnythingIsSent) {
  // A store whose server does not exist: a typed kInvalidArgument (rather than kUnavailable)
  // proves the arguments were checked before any attempt to connect.
  boost::asio::ip::tcp::acceptor acceptor(
      io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const int dead_port = acceptor.local_endpoint().port();
  acceptor.close();
  std::unique_ptr<RedisLockStore> nowhere = make_store(dead_port);

  const auto expect_invalid = [](const auto& result, std::string_view field) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << result.error().to_string();
    EXPECT_TRUE(result.error().message.starts_with(field)) << result.error().message;
  };
  const std::string long_key(faultline::locks::kMaxKeyBytes + 1, 'k');
  const std::string long_owner(faultline::locks::kMaxOwnerBytes + 1, 'o');
  expect_invalid(run(nowhere->acquire("", alice_, 1s, 1s)), "key");
  expect_invalid(run(nowhere->acquire(long_key, alice_, 1s, 1s)), "key");
  expect_invalid(run(nowhere->acquire(key_, "", 1s, 1s)), "owner");
  expect_invalid(run(nowhere->acquire(key_, long_owner, 1s, 1s)), "owner");
  expect_invalid(run(nowhere->acquire(key_, alice_, 0s, 1s)), "ttl");
  expect_invalid(run(nowhere->acquire(key_, alice_, 1500us, 1s)), "ttl");
  expect_invalid(run(nowhere->acquire(key_, alice_, 1s, 0s)), "timeout");
  expect_invalid(run(nowhere->release(key_, "", 1s)), "owner");
  expect_invalid(run(nowhere->extend(key_, alice_, 25h, 1s)), "ttl");
  expect_invalid(run(nowhere->next_fencing_token("", 1s)), "key");
  EXPECT_EQ(nowhere->connection().in_flight(), 0u);

  Result<AcquireReply> unreachable = run(nowhere->acquire(key_, alice_, 1s, 1s));
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
}

TEST_F(RedisLockStoreTest, AKeyOfTheWrongTypeIsAnError) {
  ASSERT_TRUE(run(store_->connection().command({"SET", key_, "x", "PX", "10000"}, 1s)).ok());
  Result<AcquireReply> reply = run(store_->acquire(key_, alice_, 1s, 1s));
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("WRONGTYPE"), std::string::npos) << reply.error().message;
}

TEST_F(RedisLockStoreTest, LeaseLockRunsOnTheRedisStore) {
  faultline::locks::LeaseLockOptions options;
  options.ttl = 5s;
  Result<faultline::locks::LeaseLock> lock =
      faultline::locks::LeaseLock::create(*store_, clock_, random_, key_, options);
  ASSERT_TRUE(lock.ok()) << lock.error().to_string();
  Result<faultline::locks::Lease> lease = run(lock->acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_GT(lease->token, 0u);
  EXPECT_GT(lease->valid_until, clock_.now());
  Result<faultline::locks::Lease> extended = run(lock->extend(*lease));
  ASSERT_TRUE(extended.ok()) << extended.error().to_string();
  Result<void> released = run(lock->release(*extended));
  EXPECT_TRUE(released.ok());
  Result<void> twice = run(lock->release(*extended));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
