// Redlock under real faults: the test itself; the harness is redlock_chaos_support.h.
#include <gtest/gtest.h>

#include "tests/backends/redis/redlock_chaos_support.h"

namespace {

TEST(RedlockChaosTest, FencedSectionsSurviveStoppedAndRestartedNodes) {
  std::vector<int> ports = redis_ports();
  if (ports.size() < kNodes) {
    GTEST_SKIP() << "Redlock needs " << kNodes << " Redis servers, FAULTLINE_REDIS_PORTS has "
                 << ports.size() << "; run via scripts/redis-servers.sh run 5 -- ...";
  }
  ports.resize(kNodes);
  const std::optional<int> durable = faultline::testing::durable_redis_port();
  if (!durable) GTEST_SKIP() << faultline::testing::kDurableRedisMissing;
  boost::asio::io_context io;
  AsioClock clock;
  SystemRandom random;

  std::vector<NodeProcess> nodes;
  for (int port : ports) {
    Result<NodeProcess> node = NodeProcess::inspect(io, port);
    ASSERT_TRUE(node.ok()) << "port " << port << ": " << node.error().to_string();
    nodes.push_back(std::move(node).value());
  }
  RestoreNodes restore(nodes);

  const std::string key = "test:redlock-chaos:" + faultline::random_token(random);
  // One token source for every client: the durable server (never faulted here).
  Result<std::unique_ptr<RedisLockStore>> tokens = RedisLockStore::create(io, options_for(*durable));
  ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();

  RedlockOptions options;
  options.ttl = kTtl;
  options.node_timeout = 50ms;
  options.max_attempts = 3;
  options.backoff = {faultline::resilience::BackoffStrategy::kUniform, 10ms, 40ms};

  // Each client its own five connections and its own Redlock, as separate processes would have.
  std::vector<std::unique_ptr<RedisLockStore>> stores;
  std::vector<Redlock> locks;
  for (int c = 0; c < kClients; ++c) {
    std::vector<faultline::locks::LockStore*> mine;
    for (int port : ports) {
      Result<std::unique_ptr<RedisLockStore>> store = RedisLockStore::create(io, options_for(port));
      ASSERT_TRUE(store.ok()) << store.error().to_string();
      stores.push_back(std::move(store).value());
      mine.push_back(stores.back().get());
    }
    Result<Redlock> lock = Redlock::create(std::move(mine), tokens->get(), clock, random, key, options);
    ASSERT_TRUE(lock.ok()) << lock.error().to_string();
    locks.push_back(std::move(lock).value());
  }

  const TimePoint t0 = clock.now();
  Shared s{io, clock, random, t0 + kRunFor, t0 + kStallAfter, {}, {}, {}, 0, 0, t0, {}};
  int running = 0;
  std::exception_ptr failure;
  const auto done = [&running, &failure](std::exception_ptr e) {
    --running;
    if (e && !failure) failure = e;
  };
  for (int c = 0; c < kClients; ++c) {
    ++running;
    boost::asio::co_spawn(io, client(s, locks[static_cast<std::size_t>(c)], c), done);
  }
  ++running;
  boost::asio::co_spawn(io, chaos(s, nodes, t0), done);
  const auto wall_start = std::chrono::steady_clock::now();
  while (running > 0) {
    if (io.run_one() == 0) break;
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (failure) std::rethrow_exception(failure);
  ASSERT_EQ(running, 0) << "the loop ran out of work";

  Result<void> restored = restore.restore();
  EXPECT_TRUE(restored.ok()) << restored.error().to_string();
  for (const std::string& e : s.stats.chaos_errors) ADD_FAILURE() << "chaos: " << e;

  // Report.
  const Stats& st = s.stats;
  const auto property = [](const char* name, std::uint64_t value) {
    ::testing::Test::RecordProperty(name, std::to_string(value));
  };
  property("sections", st.sections);
  property("succeeded", st.succeeded);
  property("refused_by_fencing", st.fenced);
  property("acquire_errors", st.acquire_errors);
  property("acquire_busy", st.acquire_busy);
  property("acquire_unavailable", st.acquire_unavailable);
  property("acquire_other", st.acquire_other);
  property("release_errors", st.release_errors);
  property("overlaps", st.overlaps);
  property("stalled_write_refused", st.stalled_write_refused ? 1 : 0);
  std::cout << "redlock chaos: " << wall_s << " s, " << st.sections << " sections, "
            << st.succeeded << " succeeded, " << st.fenced << " refused by fencing, "
            << st.acquire_errors << " acquire errors (" << st.acquire_busy << " busy, "
            << st.acquire_unavailable << " unavailable, " << st.acquire_other << " other), "
            << st.release_errors << " release errors, " << st.overlaps << " overlaps, "
            << "stalled holder's write " << (st.stalled_write_refused ? "refused" : "NOT refused")
            << "\n";

  // No stale write, no lost update: writes chain 1, 2, 3, ... under strictly newer tokens.
  const std::vector<AppliedWrite>& log = s.reg.log();
  FencingToken last_token = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].previous, static_cast<std::int64_t>(i)) << "write " << i;
    EXPECT_EQ(log[i].value, static_cast<std::int64_t>(i + 1)) << "write " << i;
    EXPECT_GT(log[i].token, last_token) << "write " << i << " by client " << log[i].client;
    last_token = log[i].token;
  }
  // Every section that reported success is in the log, and nothing else is.
  std::set<std::uint64_t> logged;
  for (const AppliedWrite& w : log) logged.insert(w.write_id);
  EXPECT_EQ(logged, s.succeeded_ids);
  EXPECT_EQ(st.succeeded, log.size());
  EXPECT_EQ(st.fenced, s.reg.refused());
  EXPECT_GT(st.succeeded, 0u);
  EXPECT_TRUE(st.stalled) << "client 0 never reached its stall";
  EXPECT_TRUE(st.stalled_write_refused)
      << "the write after a stall past the lease was not refused (nobody took the lock meanwhile?)";
  EXPECT_EQ(st.sections, st.succeeded + st.fenced + st.acquire_errors);
  expect_only_the_stalled_section_overlaps(s.records);

  // Five servers answer again for the tests after this one.
  for (int port : ports) {
    Result<Connection> connection = Connection::create(io, options_for(port));
    ASSERT_TRUE(connection.ok());
    Result<RedisReply> pong = block_on(io, connection->command({"PING"}, 1s));
    EXPECT_TRUE(pong.ok()) << "port " << port << ": " << pong.error().to_string();
  }
}

}  // namespace
