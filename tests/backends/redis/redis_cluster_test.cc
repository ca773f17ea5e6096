// The lock scripts on a Redis server in cluster mode (scripts/redis-servers.sh starts one, owning
// every slot, and sets FAULTLINE_REDIS_CLUSTER_PORT; without it every test here skips). A cluster
// refuses a script whose keys hash to different slots (CROSSSLOT), so this is where the lock key
// and its fencing counter must share a slot.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/lock_store.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::block_on;
using faultline::backends::SystemRandom;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLockStore;
using faultline::backends::redis::RedisReply;

std::optional<int> cluster_port() {
  const char* env = std::getenv("FAULTLINE_REDIS_CLUSTER_PORT");
  if (env == nullptr || *env == '\0') return std::nullopt;
  return std::atoi(env);
}

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<int> port = cluster_port();
    if (!port) {
      GTEST_SKIP() << "FAULTLINE_REDIS_CLUSTER_PORT is not set; run via scripts/redis-servers.sh";
    }
    ConnectionOptions options;
    options.port = *port;
    store_ = RedisLockStore::create(io_, options).value();
  }
  template <class T>
  T run(Task<T> task) {
    return block_on(io_, std::move(task));
  }

  boost::asio::io_context io_;
  SystemRandom random_;
  std::unique_ptr<RedisLockStore> store_;
};

// The server really is a cluster that checks slots: two keys of different slots in one script
// are refused. Without this, the test below would prove nothing.
TEST_F(RedisClusterTest, TheServerRefusesAScriptOverTwoSlots) {
  Result<RedisReply> refused = run(store_->connection().command(
      {"EVAL", "return redis.call('INCR', KEYS[2])", "2", "orders:42", "orders:42:fence"}, 1s));
  ASSERT_FALSE(refused.ok()) << "a cluster must refuse keys of two slots";
  EXPECT_NE(refused.error().message.find("CROSSSLOT"), std::string::npos)
      << refused.error().to_string();
}

TEST_F(RedisClusterTest, EveryLockOperationRunsOnAClusterForPlainAndTaggedKeys) {
  for (std::string key : {std::string("orders:") + faultline::random_token(random_),
                          "{orders}:" + faultline::random_token(random_)}) {
    const std::string owner = faultline::random_token(random_);
    Result<faultline::locks::AcquireReply> acquired = run(store_->acquire(key, owner, 10s, 1s));
    ASSERT_TRUE(acquired.ok()) << key << ": " << acquired.error().to_string();
    ASSERT_TRUE(acquired->acquired);
    Result<bool> extended = run(store_->extend(key, owner, 10s, 1s));
    ASSERT_TRUE(extended.ok() && *extended) << key;
    Result<faultline::locks::FencingToken> next = run(store_->next_fencing_token(key, 1s));
    ASSERT_TRUE(next.ok()) << key << ": " << next.error().to_string();
    EXPECT_EQ(*next, acquired->token + 1) << "acquire and next_fencing_token share one counter";
    Result<bool> released = run(store_->release(key, owner, 1s));
    ASSERT_TRUE(released.ok() && *released) << key;
  }
}

}  // namespace
