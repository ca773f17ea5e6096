// Connection and Pool against a real PostgreSQL server (scripts/postgres-server.sh starts it and
// sets FAULTLINE_PG_*; without it every test here skips).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/pool.h"
#include "tests/support/postgres_test_support.h"

namespace {

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Result;
using faultline::backends::postgres::Connection;
using faultline::backends::postgres::ConnectionOptions;
using faultline::backends::postgres::PgResult;
using faultline::backends::postgres::Pool;
using faultline::backends::postgres::PooledConnection;
using faultline::backends::postgres::PoolOptions;
using SteadyClock = std::chrono::steady_clock;

// A TCP port nothing listens on: bind an ephemeral port, note it, close it.
int unused_port(boost::asio::io_context& io) {
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class PostgresConnectionTest : public faultline::testing::PostgresTest {};

TEST_F(PostgresConnectionTest, QueryRoundTripWithParams) {
  Connection connection = connect();
  Result<PgResult> result =
      query(connection, "SELECT $1::int + $2::int AS sum, $3::text AS text, NULL::text AS nothing",
            {"2", "3", "it's \"quoted\" ; DROP TABLE x"});
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  ASSERT_FALSE(result->is_error()) << result->error_message();
  EXPECT_EQ(result->command_status(), "SELECT 1");
  EXPECT_EQ(result->columns(), (std::vector<std::string>{"sum", "text", "nothing"}));
  ASSERT_EQ(result->rows().size(), 1u);
  EXPECT_EQ(result->cell(0, 0), "5");
  EXPECT_EQ(result->cell(0, 1), "it's \"quoted\" ; DROP TABLE x");
  EXPECT_EQ(result->cell(0, 2), std::nullopt);

  Result<PgResult> many = query(connection, "SELECT g FROM generate_series(1, 1000) g");
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->rows().size(), 1000u);
  EXPECT_EQ(many->cell(999, 0), "1000");
  EXPECT_FALSE(connection.lost());
  EXPECT_GT(connection.backend_pid(), 0);
}

TEST_F(PostgresConnectionTest, KeepalivesAndUserTimeoutAreOnByDefaultOnBothEnds) {
  const ConnectionOptions defaults;
  EXPECT_TRUE(defaults.keepalives);
  EXPECT_EQ(defaults.keepalive_detection(), 25s);
  EXPECT_EQ(defaults.tcp_user_timeout, 25s) << "sent data is bounded like an idle connection";
  Connection connection = connect();
  // The client's socket, as libpq configured it.
  EXPECT_EQ(connection.connection_parameter("keepalives"), "1");
  EXPECT_EQ(connection.connection_parameter("keepalives_idle"), "10");
  EXPECT_EQ(connection.connection_parameter("keepalives_interval"), "5");
  EXPECT_EQ(connection.connection_parameter("keepalives_count"), "3");
  EXPECT_EQ(connection.connection_parameter("tcp_user_timeout"), "25000");
  EXPECT_EQ(connection.connection_parameter("password"), "");
  // The server's socket for this session: what frees a vanished client's advisory locks. Read
  // from pg_settings (raw units: seconds, and ms for tcp_user_timeout); over TCP only.
  Result<PgResult> settings = query(
      connection,
      "SELECT name, setting FROM pg_settings WHERE name IN ('tcp_keepalives_idle', "
      "'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout') ORDER BY name");
  ASSERT_TRUE(settings.ok()) << settings.error().to_string();
  ASSERT_FALSE(settings->is_error()) << settings->error_message();
  ASSERT_EQ(settings->rows().size(), 4u);
  EXPECT_EQ(settings->cell(0, 1), "3");      // tcp_keepalives_count
  EXPECT_EQ(settings->cell(1, 1), "10");     // tcp_keepalives_idle
  EXPECT_EQ(settings->cell(2, 1), "5");      // tcp_keepalives_interval
  EXPECT_EQ(settings->cell(3, 1), "25000");  // tcp_user_timeout
}

TEST_F(PostgresConnectionTest, KeepaliveOptionsAreValidatedAndCanBeTurnedOff) {
  const auto rejected = [&](ConnectionOptions options, std::string_view field) {
    Result<Connection> connection = run(Connection::connect(io_, options, 1s));
    ASSERT_FALSE(connection.ok()) << field;
    EXPECT_EQ(connection.error().code, ErrorCode::kInvalidArgument) << field;
    EXPECT_EQ(connection.error().message.rfind(field, 0), 0u) << connection.error().message;
  };
  ConnectionOptions o = options_;
  o.keepalive_idle = 0s;
  rejected(o, "keepalive_idle");
  o = options_;
  o.keepalive_interval = 2h;
  rejected(o, "keepalive_interval");
  o = options_;
  o.keepalive_count = 0;
  rejected(o, "keepalive_count");
  o = options_;
  o.tcp_user_timeout = -1ms;
  rejected(o, "tcp_user_timeout");

  o = options_;
  o.keepalives = false;
  Result<Connection> plain = run(Connection::connect(io_, o, 5s));
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(plain->connection_parameter("keepalives"), "0");
  EXPECT_EQ(plain->connection_parameter("options"), "");
}

TEST_F(PostgresConnectionTest, ServerErrorCarriesSqlstateAndKeepsTheConnection) {
  Connection connection = connect();
  Result<PgResult> result = query(connection, "SELECT 1 / $1::int", {"0"});
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  ASSERT_TRUE(result->is_error());
  EXPECT_EQ(result->sqlstate(), "22012");  // division_by_zero
  EXPECT_EQ(result->to_error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result->to_error().message.find("22012"), std::string::npos);

  Result<PgResult> after = query(connection, "SELECT 1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->cell(0, 0), "1");
}

TEST_F(PostgresConnectionTest, BadOptionsAreTypedErrorsNamingTheField) {
  const auto rejected = [&](ConnectionOptions options, Duration timeout, std::string_view field) {
    const auto started = SteadyClock::now();
    Result<Connection> connection = run(Connection::connect(io_, options, timeout));
    ASSERT_FALSE(connection.ok()) << field;
    EXPECT_EQ(connection.error().code, ErrorCode::kInvalidArgument) << field;
    EXPECT_EQ(connection.error().message.rfind(field, 0), 0u) << connection.error().message;
    EXPECT_LT(SteadyClock::now() - started, 100ms);
  };
  ConnectionOptions o = options_;
  o.port = 0;
  rejected(o, 1s, "port");
  o = options_;
  o.dbname.clear();
  rejected(o, 1s, "dbname");
  o = options_;
  o.user = std::string(64, 'u');
  rejected(o, 1s, "user");
  o = options_;
  o.host.clear();
  rejected(o, 1s, "host");
  o = options_;
  o.connect_timeout = 0s;
  rejected(o, 1s, "connect_timeout");
  o = options_;
  o.sslmode = "sometimes";
  rejected(o, 1s, "sslmode");
  o = options_;
  o.password = std::string("se\0cret", 7);
  rejected(o, 1s, "password");
  rejected(options_, 0s, "timeout");

  Connection connection = connect();
  Result<PgResult> too_big =
      query(connection, "SELECT $1", {std::string(options_.max_statement_bytes, 'x')});
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(too_big.error().message.find("max_statement_bytes"), std::string::npos);
  Result<PgResult> no_time = query(connection, "SELECT 1", {}, 0s);
  ASSERT_FALSE(no_time.ok());
  EXPECT_EQ(no_time.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(connection.lost());
}

TEST_F(PostgresConnectionTest, UnreachablePortIsUnavailableWithinTheDeadline) {
  ConnectionOptions options = options_;
  options.port = unused_port(io_);
  const auto started = SteadyClock::now();
  Result<Connection> connection = run(Connection::connect(io_, options, 500ms));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().code, ErrorCode::kUnavailable) << connection.error().message;
  EXPECT_LT(SteadyClock::now() - started, 600ms);

  // A black-holed address (TEST-NET-1, RFC 5737): no answer at all, so the deadline decides.
  options.host = "192.0.2.1";
  options.port = 5432;
  const auto started_blackhole = SteadyClock::now();
  Result<Connection> blackhole = run(Connection::connect(io_, options, 300ms));
  ASSERT_FALSE(blackhole.ok());
  EXPECT_EQ(blackhole.error().code, ErrorCode::kUnavailable) << blackhole.error().message;
  EXPECT_LT(SteadyClock::now() - started_blackhole, 500ms);
}

TEST_F(PostgresConnectionTest, WrongPasswordIsATypedErrorWithoutThePassword) {
  ConnectionOptions options = options_;
  options.password = "Wr0ng-S3cret-Passw0rd";
  Result<Connection> connection = run(Connection::connect(io_, options, 5s));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(connection.error().message.find("password authentication failed"), std::string::npos)
      << connection.error().message;
  EXPECT_EQ(connection.error().message.find(options.password), std::string::npos);
}

// Duration::max() is what a resilience CallContext without a deadline hands over: the deadline
// must saturate, not wrap into the past and abandon the statement at once.
TEST_F(PostgresConnectionTest, NoDeadlineIsNotAnOverflow) {
  Connection connection = connect();
  for (int i = 0; i < 3; ++i) {
    Result<PgResult> one = query(connection, "SELECT pg_sleep(0.01), 1", {}, Duration::max());
    ASSERT_TRUE(one.ok()) << one.error().to_string();
  }
  EXPECT_FALSE(connection.lost());
}

TEST_F(PostgresConnectionTest, TimeoutAfterSendIsOutcomeUnknownAndLosesTheConnection) {
  Connection connection = connect();
  const auto started = SteadyClock::now();
  Result<PgResult> slow = query(connection, "SELECT pg_sleep(2)", {}, 200ms);
  const auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kOutcomeUnknown) << slow.error().message;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 700ms);
  EXPECT_TRUE(connection.lost());
  Result<PgResult> after = query(connection, "SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
}

TEST_F(PostgresConnectionTest, OneStatementAtATime) {
  Connection connection = connect();
  auto first = spawn(connection.query("SELECT pg_sleep(0.2)", 5s));
  poll();  // let it send
  Result<PgResult> second = query(connection, "SELECT 1");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  run_until(first, 5s);
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->ok());
  EXPECT_FALSE(connection.lost());
}

TEST_F(PostgresConnectionTest, TerminatedBackendIsDetectedWithoutACall) {
  Connection victim = connect();
  Connection killer = connect();
  const std::string pid = std::to_string(victim.backend_pid());
  Result<PgResult> killed = query(killer, "SELECT pg_terminate_backend($1::int)", {pid});
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->cell(0, 0), "t");
  const auto until = SteadyClock::now() + 2s;
  while (!victim.lost() && SteadyClock::now() < until) step();
  EXPECT_TRUE(victim.lost());
  Result<PgResult> after = query(victim, "SELECT 1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
}

TEST_F(PostgresConnectionTest, TerminatedBackendDuringAStatementIsOutcomeUnknown) {
  Connection victim = connect();
  Connection killer = connect();
  auto slow = spawn(victim.query("SELECT pg_sleep(5)", 10s));
  poll();
  const std::string pid = std::to_string(victim.backend_pid());
  Result<PgResult> killed = query(killer, "SELECT pg_terminate_backend($1::int)", {pid});
  ASSERT_TRUE(killed.ok());
  run_until(slow, 3s);
  ASSERT_TRUE(slow->has_value());
  ASSERT_FALSE((*slow)->ok());
  EXPECT_EQ((*slow)->error().code, ErrorCode::kOutcomeUnknown) << (*slow)->error().message;
  EXPECT_TRUE(victim.lost());
}

TEST_F(PostgresConnectionTest, ClosingWakesAStatementInProgress) {
  Connection connection = connect();
  auto slow = spawn(connection.query("SELECT pg_sleep(5)", 10s));
  poll();
  connection.close();
  run_until(slow, 1s);
  ASSERT_TRUE(slow->has_value());
  ASSERT_FALSE((*slow)->ok());
  EXPECT_EQ((*slow)->error().code, ErrorCode::kOutcomeUnknown);
}

// ---- Pool --------------------------------------------------------------------------------------

class PostgresPoolTest : public PostgresConnectionTest {
 protected:
  std::unique_ptr<Pool> make_pool(std::size_t max_connections) {
    PoolOptions options;
    options.connection = options_;
    options.max_connections = max_connections;
    Result<std::unique_ptr<Pool>> pool = Pool::create(io_, options);
    EXPECT_TRUE(pool.ok()) << pool.error().to_string();
    return std::move(pool).value();
  }
};

TEST_F(PostgresPoolTest, BadOptionsNameTheField) {
  PoolOptions options;
  options.connection = options_;
  options.max_connections = 0;
  Result<std::unique_ptr<Pool>> pool = Pool::create(io_, options);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().message.rfind("max_connections", 0), 0u);
  options.max_connections = 2;
  options.connection.port = 70000;
  pool = Pool::create(io_, options);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().message.rfind("connection.port", 0), 0u);
}

TEST_F(PostgresPoolTest, BoundIsRespectedAndWaitersGetReturnedConnections) {
  std::unique_ptr<Pool> pool = make_pool(2);
  Result<PooledConnection> a = run(pool->acquire(2s));
  Result<PooledConnection> b = run(pool->acquire(2s));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(pool->size(), 2u);

  const auto started = SteadyClock::now();
  Result<PooledConnection> c = run(pool->acquire(200ms));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_LT(SteadyClock::now() - started, 500ms);
  EXPECT_EQ(pool->size(), 2u);

  // A waiter gets the next returned connection.
  const int pid_a = (*a)->backend_pid();
  auto waiter = spawn(pool->acquire(2s));
  poll();
  EXPECT_EQ(pool->waiting(), 1u);
  a->release();
  run_until(waiter, 2s);
  ASSERT_TRUE(waiter->has_value() && (*waiter)->ok());
  EXPECT_EQ((**waiter).value()->backend_pid(), pid_a);
  EXPECT_EQ(pool->size(), 2u);
}

TEST_F(PostgresPoolTest, DeadConnectionsAreReplaced) {
  std::unique_ptr<Pool> pool = make_pool(1);
  Connection killer = connect();
  int first_pid = 0;
  {
    Result<PooledConnection> lease = run(pool->acquire(2s));
    ASSERT_TRUE(lease.ok());
    first_pid = (*lease)->backend_pid();
  }
  EXPECT_EQ(pool->idle(), 1u);
  const std::string pid = std::to_string(first_pid);
  Result<PgResult> killed = query(killer, "SELECT pg_terminate_backend($1::int)", {pid});
  ASSERT_TRUE(killed.ok());
  // Let the termination message and EOF arrive, then the idle connection is found dead.
  pump_for(200ms);

  Result<PooledConnection> lease = run(pool->acquire(2s));
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_NE((*lease)->backend_pid(), first_pid);
  Result<PgResult> works = query(**lease, "SELECT 1");
  ASSERT_TRUE(works.ok());
  EXPECT_EQ(pool->size(), 1u);

  // A connection returned inside a transaction, or lost while leased, is not reused either.
  Result<PgResult> begun = query(**lease, "BEGIN");
  ASSERT_TRUE(begun.ok());
  const int second_pid = (*lease)->backend_pid();
  lease->release();
  EXPECT_EQ(pool->size(), 0u);
  Result<PooledConnection> fresh = run(pool->acquire(2s));
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE((*fresh)->backend_pid(), second_pid);
  Result<PgResult> slow = query(**fresh, "SELECT pg_sleep(1)", {}, 50ms);
  EXPECT_FALSE(slow.ok());
  fresh->release();
  EXPECT_EQ(pool->size(), 0u);
}

TEST_F(PostgresPoolTest, WaitersBeyondTheBoundFailAtOnce) {
  PoolOptions options;
  options.connection = options_;
  options.max_connections = 1;
  options.max_waiters = 0;
  Result<std::unique_ptr<Pool>> pool = Pool::create(io_, options);
  ASSERT_TRUE(pool.ok());
  Result<PooledConnection> held = run((*pool)->acquire(2s));
  ASSERT_TRUE(held.ok());
  Result<PooledConnection> refused = run((*pool)->acquire(2s));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

TEST_F(PostgresPoolTest, UnreachableServerFreesTheSlot) {
  PoolOptions options;
  options.connection = options_;
  options.connection.port = unused_port(io_);
  options.max_connections = 1;
  Result<std::unique_ptr<Pool>> pool = Pool::create(io_, options);
  ASSERT_TRUE(pool.ok());
  for (int i = 0; i < 3; ++i) {
    Result<PooledConnection> lease = run((*pool)->acquire(500ms));
    ASSERT_FALSE(lease.ok());
    EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ((*pool)->size(), 0u);
  }
}

}  // namespace
