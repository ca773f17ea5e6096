// faultline::locks::Redlock over five real Redis servers (scripts/redis-servers.sh run 5 -- ...
// starts them and sets FAULTLINE_REDIS_PORTS; with fewer than five ports every test here skips).
//
// Each node is its own RedisLockStore (its own connection). Fencing tokens come from a separate
// RedisLockStore on the durable server (FAULTLINE_REDIS_DURABLE_PORT: AOF with appendfsync
// always): not a sixth vote, the durable, linearizable counter the fenced claims assume (in
// production: that, a database sequence, or a consensus store). The five nodes persist nothing.
//
// Faults are real: a node is "slow" when its process is stopped with SIGSTOP (the kernel still
// accepts connections and buffers requests, so the client sees a timeout, not a refusal). Every
// stopped process gets SIGCONT from a scope guard, also when an assertion fails, so the tests
// that follow find five live servers.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "tests/support/redis_env.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/redlock.h"

namespace {

using faultline::testing::redis_ports;
using faultline::testing::info_field;

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Result;
using faultline::Task;
using faultline::backends::AsioClock;
using faultline::backends::block_on;
using faultline::backends::SystemRandom;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLockStore;
using faultline::backends::redis::RedisReply;
using faultline::locks::Lease;
using faultline::locks::Redlock;
using faultline::locks::RedlockOptions;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kNodes = 5;



// Stops processes with SIGSTOP now and continues them with SIGCONT in resume() or, at the latest,
// in the destructor, so that a failing assertion never leaves a server stopped.
class Paused {
 public:
  explicit Paused(std::vector<pid_t> pids) : pids_(std::move(pids)) {
    for (pid_t pid : pids_) {
      // Never signal 0 or -1 (the process group, everyone) or init.
      if (pid > 1) {
        EXPECT_EQ(::kill(pid, SIGSTOP), 0) << "SIGSTOP " << pid;
      }
    }
  }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
  ~Paused() { resume(); }

  void resume() {
    for (pid_t pid : pids_) {
      if (pid > 1) ::kill(pid, SIGCONT);
    }
    pids_.clear();
  }

 private:
  std::vector<pid_t> pids_;
};

class RedlockRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ports_ = redis_ports();
    if (ports_.size() < kNodes) {
      GTEST_SKIP() << "Redlock needs " << kNodes << " Redis servers, FAULTLINE_REDIS_PORTS has "
                   << ports_.size() << "; run via scripts/redis-servers.sh run 5 -- ...";
    }
    ports_.resize(kNodes);
    const std::optional<int> durable = faultline::testing::durable_redis_port();
    if (!durable) GTEST_SKIP() << faultline::testing::kDurableRedisMissing;
    nodes_ = make_nodes();
    tokens_ = make_store(*durable);
    key_ = "test:redlock:" + faultline::random_token(random_);
    for (std::size_t i = 0; i < kNodes; ++i) {
      Result<RedisReply> info = run(nodes_[i]->connection().command({"INFO", "server"}, 2s));
      ASSERT_TRUE(info.ok()) << "node " << i << ": " << info.error().to_string();
      const pid_t pid = static_cast<pid_t>(std::atoll(info_field(info->as_text(), "process_id").c_str()));
      ASSERT_GT(pid, 1) << "node " << i << " reported no process_id";
      pids_.push_back(pid);
    }
  }

  std::unique_ptr<RedisLockStore> make_store(int port) {
    ConnectionOptions options;
    options.port = port;
    options.connect_timeout = 500ms;
    Result<std::unique_ptr<RedisLockStore>> store = RedisLockStore::create(io_, options);
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return std::move(store).value();
  }

  std::vector<std::unique_ptr<RedisLockStore>> make_nodes() {
    std::vector<std::unique_ptr<RedisLockStore>> nodes;
    for (int port : ports_) nodes.push_back(make_store(port));
    return nodes;
  }

  static RedlockOptions options() {
    RedlockOptions o;
    o.ttl = 5s;
    o.node_timeout = 100ms;  // generous for a loaded 2-core machine; still ttl / 50
    o.max_attempts = 2;
    o.backoff = {faultline::resilience::BackoffStrategy::kUniform, 10ms, 20ms};
    return o;
  }

  Redlock make_lock(std::vector<std::unique_ptr<RedisLockStore>>& nodes,
                    RedlockOptions o = options()) {
    std::vector<faultline::locks::LockStore*> stores;
    for (auto& node : nodes) stores.push_back(node.get());
    Result<Redlock> lock = Redlock::create(std::move(stores), tokens_.get(), clock_, random_, key_, o);
    EXPECT_TRUE(lock.ok()) << lock.error().to_string();
    return std::move(lock).value();
  }

  // One acquire + release, so that every node has the scripts loaded and the next requests to
  // a stopped node are the lock operations themselves (not SCRIPT LOAD).
  void warm_up(Redlock& lock) {
    Result<Lease> lease = run(lock.acquire());
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    ASSERT_TRUE(run(lock.release(*lease)).ok());
  }

  template <class T>
  T run(Task<T> task) {
    return block_on(io_, std::move(task));
  }

  // Whether `key_` exists on node i; asks through the node's own connection, so the answer comes
  // after every request queued on it before (those sent while the node was stopped included).
  std::optional<bool> held_on(std::size_t i) {
    Result<RedisReply> reply = run(nodes_[i]->connection().command({"EXISTS", key_}, 2s));
    if (!reply.ok() || !reply->is_integer()) return std::nullopt;
    return reply->as_integer() == 1;
  }

  // The remaining ttl of `key_` on node i in ms (negative when absent), or nothing on error.
  std::optional<std::int64_t> pttl_on(std::size_t i) {
    Result<RedisReply> reply = run(nodes_[i]->connection().command({"PTTL", key_}, 2s));
    if (!reply.ok() || !reply->is_integer()) return std::nullopt;
    return reply->as_integer();
  }

  boost::asio::io_context io_;
  AsioClock clock_;
  SystemRandom random_;
  std::vector<int> ports_;
  std::vector<pid_t> pids_;
  std::vector<std::unique_ptr<RedisLockStore>> nodes_;
  std::unique_ptr<RedisLockStore> tokens_;
  std::string key_;
};

double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

TEST_F(RedlockRedisTest, AcquiresAndReleasesOnAllFiveNodes) {
  Redlock lock = make_lock(nodes_);
  EXPECT_EQ(lock.quorum(), 3u);
  Result<Lease> lease = run(lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_GT(lease->token, 0u);
  EXPECT_GT(lease->valid_until, clock_.now());
  EXPECT_LE(lease->valid_until - lease->acquired_at, options().ttl);
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), true) << "node " << i;

  Result<void> released = run(lock.release(*lease));
  EXPECT_TRUE(released.ok()) << released.error().to_string();
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), false) << "node " << i;

  Result<void> twice = run(lock.release(*lease));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(RedlockRedisTest, AcquiresWithTwoNodesStoppedWithinTheirTimeouts) {
  Redlock lock = make_lock(nodes_);
  warm_up(lock);
  if (HasFatalFailure()) return;
  // Not node 0: the token source lives there.
  Paused paused({pids_[2], pids_[4]});
  const auto started = SteadyClock::now();
  Result<Lease> lease = run(lock.acquire());
  const double elapsed_ms = ms_since(started);
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  // The nodes are asked at once, so the stopped ones cost one node_timeout together, and
  // nothing more: at least one timeout, well under two.
  const double timeout_ms = std::chrono::duration<double, std::milli>(options().node_timeout).count();
  EXPECT_GE(elapsed_ms, timeout_ms - 1);
  EXPECT_LT(elapsed_ms, 2 * timeout_ms + 100) << "acquire took " << elapsed_ms << " ms";
  // The validity left accounts for the time the stopped nodes cost.
  EXPECT_LE(lease->valid_until - clock_.now(), options().ttl - options().node_timeout);
  for (std::size_t i : {0u, 1u, 3u}) EXPECT_EQ(held_on(i), true) << "node " << i;

  Result<void> released = run(lock.release(*lease));
  EXPECT_TRUE(released.ok()) << released.error().to_string();  // three of five is a majority
  paused.resume();
  // The stopped nodes now run what was queued for them: the acquire, then the release.
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), false) << "node " << i;
}

TEST_F(RedlockRedisTest, FailsFastWithThreeNodesStoppedAndHoldsNothing) {
  RedlockOptions o = options();
  Redlock lock = make_lock(nodes_, o);
  warm_up(lock);
  if (HasFatalFailure()) return;
  Paused paused({pids_[1], pids_[2], pids_[3]});
  const auto started = SteadyClock::now();
  Result<Lease> lease = run(lock.acquire());
  const double elapsed_ms = ms_since(started);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
  // Per attempt: three acquires and three releases time out; plus the retry delays.
  const double bound_ms =
      std::chrono::duration<double, std::milli>(o.max_attempts * 6 * o.node_timeout +
                                                o.max_attempts * o.backoff.cap)
          .count() +
      500;
  EXPECT_LT(elapsed_ms, bound_ms) << "acquire took " << elapsed_ms << " ms";
  // The two live nodes granted and were released again: nothing stays held there.
  EXPECT_EQ(held_on(0), false);
  EXPECT_EQ(held_on(4), false);

  paused.resume();
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), false) << "node " << i;
  // Recovered: all five grant again.
  Result<Lease> again = run(lock.acquire());
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), true) << "node " << i;
  EXPECT_TRUE(run(lock.release(*again)).ok());
}

TEST_F(RedlockRedisTest, IsBusyWhileAnotherRedlockHoldsIt) {
  Redlock alice = make_lock(nodes_);
  std::vector<std::unique_ptr<RedisLockStore>> bob_nodes = make_nodes();  // another client
  Redlock bob = make_lock(bob_nodes);

  Result<Lease> held = run(alice.acquire());
  ASSERT_TRUE(held.ok()) << held.error().to_string();
  Result<Lease> refused = run(bob.acquire());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBusy) << refused.error().to_string();
  // bob's failed attempts released their own owner only: alice still holds every node.
  for (std::size_t i = 0; i < kNodes; ++i) EXPECT_EQ(held_on(i), true) << "node " << i;

  ASSERT_TRUE(run(alice.release(*held)).ok());
  Result<Lease> bobs = run(bob.acquire());
  ASSERT_TRUE(bobs.ok()) << bobs.error().to_string();
  EXPECT_GT(bobs->token, held->token);
  EXPECT_TRUE(run(bob.release(*bobs)).ok());
}

TEST_F(RedlockRedisTest, ExtendRefreshesTheTtlOnEveryNode) {
  Redlock lock = make_lock(nodes_);
  Result<Lease> lease = run(lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  run(Task<void>(clock_.sleep_for(1s)));
  for (std::size_t i = 0; i < kNodes; ++i) {
    const std::optional<std::int64_t> pttl = pttl_on(i);
    ASSERT_TRUE(pttl.has_value());
    EXPECT_LT(*pttl, 4'500) << "node " << i;  // 5 s ttl, 1 s spent
  }
  Result<Lease> extended = run(lock.extend(*lease));
  ASSERT_TRUE(extended.ok()) << extended.error().to_string();
  EXPECT_GT(extended->valid_until, lease->valid_until);
  EXPECT_EQ(extended->token, lease->token);
  for (std::size_t i = 0; i < kNodes; ++i) {
    const std::optional<std::int64_t> pttl = pttl_on(i);
    ASSERT_TRUE(pttl.has_value());
    EXPECT_GT(*pttl, 4'500) << "node " << i;  // back to about 5 s
  }
  ASSERT_TRUE(run(lock.release(*extended)).ok());
  Result<Lease> gone = run(lock.extend(*extended));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(RedlockRedisTest, FencingTokensIncrease) {
  Redlock lock = make_lock(nodes_);
  faultline::locks::FencingToken last = 0;
  for (int i = 0; i < 10; ++i) {
    Result<Lease> lease = run(lock.acquire());
    ASSERT_TRUE(lease.ok()) << lease.error().to_string();
    EXPECT_GT(lease->token, last);
    last = lease->token;
    ASSERT_TRUE(run(lock.release(*lease)).ok());
  }
}

}  // namespace
