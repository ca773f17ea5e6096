// Connection against a real Redis server (scripts/redis-servers.sh starts it and sets
// FAULTLINE_REDIS_PORTS; without it every test here skips).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/redis_env.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/system_random.h"

namespace {

using faultline::testing::first_redis_port;

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Result;
using faultline::Task;
using faultline::backends::AsioClock;
using faultline::backends::block_on;
using faultline::backends::SystemRandom;
using faultline::backends::redis::Connection;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisReply;
using SteadyClock = std::chrono::steady_clock;


// A TCP port nothing listens on: bind an ephemeral port, note it, close it.
int unused_port(boost::asio::io_context& io) {
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// A loopback TCP server standing in for a misbehaving Redis: it accepts every connection, reads
// once, then answers `reply` (or, when empty, nothing ever). Lives on the test's io_context.
class FakeServer {
 public:
  FakeServer(boost::asio::io_context& io, std::string reply)
      : acceptor_(io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                     0)),
        reply_(std::move(reply)) {
    accept();
  }
  [[nodiscard]] int port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::size_t accepted() const { return peers_.size(); }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec,
                                  boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      auto peer = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
      peers_.push_back(peer);
      peer->async_read_some(boost::asio::buffer(scratch_), [this, peer](auto read_ec, auto) {
        if (read_ec || reply_.empty()) return;
        boost::asio::async_write(*peer, boost::asio::buffer(reply_), [peer](auto, auto) {});
      });
      accept();
    });
  }

  boost::asio::ip::tcp::acceptor acceptor_;
  std::string reply_;
  std::array<char, 1024> scratch_{};
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> peers_;
};

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<int> port = first_redis_port();
    if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh";
    port_ = *port;
    prefix_ = "test:" + faultline::random_token(random_) + ":";
  }

  Connection connect(ConnectionOptions options = {}) {
    if (options.port == ConnectionOptions{}.port) options.port = port_;
    Result<Connection> connection = Connection::create(io_, std::move(options));
    EXPECT_TRUE(connection.ok()) << connection.error().to_string();
    return std::move(connection).value();
  }

  template <class T>
  T run(Task<T> task) {
    return block_on(io_, std::move(task));
  }

  // Starts `task` now; its result appears in the returned slot when it finishes.
  template <class T>
  std::shared_ptr<std::optional<T>> spawn(Task<T> task) {
    auto slot = std::make_shared<std::optional<T>>();
    boost::asio::co_spawn(
        io_,
        [](Task<T> t, std::shared_ptr<std::optional<T>> out) -> Task<void> {
          out->emplace(co_await std::move(t));
        }(std::move(task), slot),
        boost::asio::detached);
    return slot;
  }

  template <class Predicate>
  void run_until(Predicate done) {
    while (!done()) ASSERT_GT(io_.run_one(), 0u);
  }

  void sleep(Duration d) { run(Task<void>(clock_.sleep_for(d))); }

  boost::asio::io_context io_;
  AsioClock clock_;
  SystemRandom random_;
  int port_ = 0;
  std::string prefix_;
};

TEST_F(RedisConnectionTest, RoundTripsEveryReplyKind) {
  Connection connection = connect();
  const std::string key = prefix_ + "k";
  Result<RedisReply> set = run(connection.command({"SET", key, "v", "PX", "10000"}, 1s));
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  EXPECT_EQ(*set, RedisReply::status("OK"));
  EXPECT_EQ(*run(connection.command({"GET", key}, 1s)), RedisReply::string("v"));
  EXPECT_EQ(*run(connection.command({"GET", prefix_ + "missing"}, 1s)), RedisReply::nil());
  EXPECT_EQ(*run(connection.command({"INCR", prefix_ + "n"}, 1s)), RedisReply::integer(1));
  EXPECT_EQ(*run(connection.command({"PEXPIRE", prefix_ + "n", "10000"}, 1s)),
            RedisReply::integer(1));
  const std::vector<std::string> echo_argv = {"ECHO", std::string("bin\0ary\r\n", 9)};
  EXPECT_EQ(*run(connection.command(echo_argv, 1s)),
            RedisReply::string(std::string("bin\0ary\r\n", 9)));
  Result<RedisReply> array = run(connection.command({"HELLO", "2"}, 1s));
  ASSERT_TRUE(array.ok()) << array.error().to_string();
  EXPECT_TRUE(array->is_array());
}

// Duration::max() is what a resilience CallContext without a deadline hands over: the deadline
// must saturate, not wrap into the past and expire (or declare the link stuck) at once.
TEST_F(RedisConnectionTest, NoDeadlineIsNotAnOverflow) {
  Connection connection = connect();
  for (int i = 0; i < 3; ++i) {
    Result<RedisReply> pong = run(connection.command({"PING"}, Duration::max()));
    ASSERT_TRUE(pong.ok()) << pong.error().to_string();
    EXPECT_EQ(*pong, RedisReply::status("PONG"));
  }
  Result<RedisReply> bounded = run(connection.command({"PING"}, 1s));  // after one without
  ASSERT_TRUE(bounded.ok()) << bounded.error().to_string();
}

TEST_F(RedisConnectionTest, ErrorRepliesAreTypedAndNameWhatTheServerSaid) {
  Connection connection = connect();
  const std::string key = prefix_ + "string";
  ASSERT_TRUE(run(connection.command({"SET", key, "v", "PX", "10000"}, 1s)).ok());
  Result<RedisReply> wrong = run(connection.command({"LPUSH", key, "x"}, 1s));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(faultline::backends::redis::is_server_error(wrong.error(), "WRONGTYPE"));
  EXPECT_NE(wrong.error().message.find("WRONGTYPE"), std::string::npos);
  // The connection stays usable after an error reply.
  EXPECT_EQ(*run(connection.command({"PING"}, 1s)), RedisReply::status("PONG"));
}

TEST_F(RedisConnectionTest, PipelinedConcurrentCallsGetTheirOwnReplies) {
  Connection connection = connect();
  constexpr int kCalls = 500;
  std::vector<std::shared_ptr<std::optional<Result<RedisReply>>>> slots;
  for (int i = 0; i < kCalls; ++i) {
    slots.push_back(spawn(connection.command({"ECHO", std::to_string(i)}, 5s)));
  }
  // All calls queue while the connection is being made, then go out as one pipelined batch.
  std::size_t most_in_flight = 0;
  run_until([&] {
    most_in_flight = std::max(most_in_flight, connection.in_flight());
    for (const auto& slot : slots) if (!slot->has_value()) return false;
    return true;
  });
  EXPECT_GT(most_in_flight, 1u);
  for (int i = 0; i < kCalls; ++i) {
    const Result<RedisReply>& reply = **slots[static_cast<std::size_t>(i)];
    ASSERT_TRUE(reply.ok()) << reply.error().to_string();
    EXPECT_EQ(*reply, RedisReply::string(std::to_string(i)));
  }
  EXPECT_EQ(connection.in_flight(), 0u);
}

TEST_F(RedisConnectionTest, ClosedPortIsUnavailableWithinTheDeadline) {
  ConnectionOptions options;
  options.port = unused_port(io_);
  Connection connection = connect(options);
  const auto started = SteadyClock::now();
  Result<RedisReply> reply = run(connection.command({"PING"}, 2s));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable) << reply.error().to_string();
  EXPECT_LT(SteadyClock::now() - started, 1s);
  // And again: each call tries to connect anew, and fails the same way.
  Result<RedisReply> again = run(connection.command({"PING"}, 2s));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kUnavailable);
}

TEST_F(RedisConnectionTest, AStuckLinkIsReplacedNotWaitedOnForEver) {
  FakeServer silent(io_, "");
  ConnectionOptions options;
  options.port = silent.port();
  Connection connection = connect(options);
  for (int call = 0; call < 3; ++call) {
    Result<RedisReply> reply = run(connection.command({"PING"}, 100ms));
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().code, ErrorCode::kOutcomeUnknown);
  }
  // Each timed-out call on a link that never answered anything ended that link: every call went
  // out on a fresh connection, and nothing abandoned piles up towards max_in_flight.
  EXPECT_EQ(silent.accepted(), 3u);
  EXPECT_EQ(connection.in_flight(), 0u);
}

TEST_F(RedisConnectionTest, SilentServerGivesOutcomeUnknownByTheDeadline) {
  FakeServer silent(io_, "");
  ConnectionOptions options;
  options.port = silent.port();
  Connection connection = connect(options);
  const auto started = SteadyClock::now();
  Result<RedisReply> reply = run(connection.command({"PING"}, 150ms));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kOutcomeUnknown) << reply.error().to_string();
  EXPECT_LT(SteadyClock::now() - started, 1s);
}

TEST_F(RedisConnectionTest, ConnectTimeoutBoundsAStuckHandshake) {
  FakeServer silent(io_, "");  // accepts, reads AUTH, never answers
  ConnectionOptions options;
  options.port = silent.port();
  options.password = "irrelevant";
  options.connect_timeout = 200ms;
  Connection connection = connect(options);
  const auto started = SteadyClock::now();
  Result<RedisReply> reply = run(connection.command({"PING"}, 5s));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable) << reply.error().to_string();
  EXPECT_NE(reply.error().message.find("timed out"), std::string::npos);
  EXPECT_LT(SteadyClock::now() - started, 1s);
}

TEST_F(RedisConnectionTest, DeadlineWhileConnectingIsUnavailable) {
  FakeServer silent(io_, "");
  ConnectionOptions options;
  options.port = silent.port();
  options.password = "irrelevant";
  options.connect_timeout = 5s;
  Connection connection = connect(options);
  const auto started = SteadyClock::now();
  Result<RedisReply> reply = run(connection.command({"PING"}, 150ms));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable) << reply.error().to_string();
  EXPECT_NE(reply.error().message.find("not sent"), std::string::npos);
  EXPECT_LT(SteadyClock::now() - started, 1s);
}

TEST_F(RedisConnectionTest, BytesThatAreNotRespAreAProtocolError) {
  FakeServer http(io_, "HTTP/1.1 400 Bad Request\r\n\r\n");
  ConnectionOptions options;
  options.port = http.port();
  Connection connection = connect(options);
  Result<RedisReply> reply = run(connection.command({"PING"}, 1s));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kProtocol) << reply.error().to_string();
  EXPECT_TRUE(reply.error().may_have_happened());
}

TEST_F(RedisConnectionTest, TimeoutAfterSendingIsOutcomeUnknownAndLaterRepliesStayMatched) {
  Connection slow = connect();
  Connection connection = connect();
  ASSERT_TRUE(run(connection.command({"PING"}, 1s)).ok());  // connected before the server sleeps
  auto sleeping = spawn(slow.command({"DEBUG", "SLEEP", "0.5"}, 5s));
  sleep(50ms);  // the server is now busy for ~0.45 s

  const auto started = SteadyClock::now();
  Result<RedisReply> late = run(connection.command({"ECHO", "first"}, 100ms));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kOutcomeUnknown) << late.error().to_string();
  EXPECT_TRUE(late.error().may_have_happened());
  EXPECT_LT(SteadyClock::now() - started, 400ms);

  // The abandoned reply to "first" arrives first and is dropped; "second" gets its own.
  Result<RedisReply> next = run(connection.command({"ECHO", "second"}, 5s));
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(*next, RedisReply::string("second"));
  run_until([&] { return sleeping->has_value(); });
  EXPECT_TRUE(sleeping->value().ok());
}

TEST_F(RedisConnectionTest, RejectsCallsBeyondMaxInFlight) {
  Connection slow = connect();
  ConnectionOptions options;
  options.max_in_flight = 4;
  Connection connection = connect(options);
  ASSERT_TRUE(run(connection.command({"PING"}, 1s)).ok());
  auto sleeping = spawn(slow.command({"DEBUG", "SLEEP", "0.3"}, 5s));
  sleep(50ms);
  std::vector<std::shared_ptr<std::optional<Result<RedisReply>>>> slots;
  for (int i = 0; i < 4; ++i) slots.push_back(spawn(connection.command({"PING"}, 5s)));
  Result<RedisReply> rejected = run(connection.command({"PING"}, 5s));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(rejected.error().message.find("max_in_flight"), std::string::npos);
  run_until([&] {
    for (const auto& slot : slots) if (!slot->has_value()) return false;
    return sleeping->has_value();
  });
  for (const auto& slot : slots) EXPECT_TRUE(slot->value().ok());
}

TEST_F(RedisConnectionTest, BrokenConnectionFailsOutstandingCallsAndNextCallReconnects) {
  Connection killer = connect();
  Connection connection = connect();
  Result<RedisReply> id = run(connection.command({"CLIENT", "ID"}, 1s));
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  ASSERT_TRUE(id->is_integer());

  // A blocking call is outstanding when the server kills the connection: it must fail at once
  // (outcome unknown: it was sent), not after its own 5 s deadline.
  auto blocked = spawn(connection.command({"BLPOP", prefix_ + "never", "4"}, 5s));
  sleep(50ms);
  const auto started = SteadyClock::now();
  Result<RedisReply> killed = run(killer.command(
      {"CLIENT", "KILL", "ID", std::to_string(id->as_integer())}, 1s));
  ASSERT_TRUE(killed.ok()) << killed.error().to_string();
  EXPECT_EQ(*killed, RedisReply::integer(1));
  run_until([&] { return blocked->has_value(); });
  EXPECT_LT(SteadyClock::now() - started, 1s);
  ASSERT_FALSE(blocked->value().ok());
  EXPECT_EQ(blocked->value().error().code, ErrorCode::kOutcomeUnknown);

  Result<RedisReply> new_id = run(connection.command({"CLIENT", "ID"}, 1s));
  ASSERT_TRUE(new_id.ok()) << new_id.error().to_string();
  EXPECT_NE(new_id->as_integer(), id->as_integer());
}

TEST_F(RedisConnectionTest, DestroyingTheConnectionFailsOutstandingCalls) {
  std::optional<Connection> connection = connect();
  ASSERT_TRUE(run(connection->command({"PING"}, 1s)).ok());
  auto blocked = spawn(connection->command({"BLPOP", prefix_ + "never", "4"}, 5s));
  sleep(50ms);
  connection.reset();
  run_until([&] { return blocked->has_value(); });
  ASSERT_FALSE(blocked->value().ok());
  EXPECT_EQ(blocked->value().error().code, ErrorCode::kOutcomeUnknown);
}

TEST_F(RedisConnectionTest, ExplicitCloseThenReconnect) {
  Connection connection = connect();
  ASSERT_TRUE(run(connection.command({"PING"}, 1s)).ok());
  connection.close();
  EXPECT_EQ(*run(connection.command({"PING"}, 1s)), RedisReply::status("PONG"));
}

TEST_F(RedisConnectionTest, PasswordNeverAppearsInErrors) {
  const std::string secret = "pw-" + faultline::random_token(random_);
  {  // AUTH against a server without a password: rejected, and the message does not quote it.
    ConnectionOptions options;
    options.password = secret;
    Connection connection = connect(options);
    Result<RedisReply> reply = run(connection.command({"PING"}, 1s));
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(reply.error().message.find("AUTH"), std::string::npos);
    EXPECT_EQ(reply.error().message.find(secret), std::string::npos) << reply.error().message;
  }
  const std::string user = prefix_ + "user";
  Connection admin = connect();
  ASSERT_TRUE(run(admin.command({"ACL", "SETUSER", user, "on", ">" + secret, "~*", "&*", "+@all"},
                                1s)).ok());
  {  // The right credentials work; a server error that echoes the password is redacted.
    ConnectionOptions options;
    options.username = user;
    options.password = secret;
    Connection connection = connect(options);
    EXPECT_EQ(*run(connection.command({"PING"}, 1s)), RedisReply::status("PONG"));
    Result<RedisReply> echoed = run(connection.command({"NOSUCHCOMMAND", secret}, 1s));
    ASSERT_FALSE(echoed.ok());
    EXPECT_EQ(echoed.error().message.find(secret), std::string::npos) << echoed.error().message;
    EXPECT_EQ(echoed.error().message.find(secret.substr(0, 12)), std::string::npos);
    EXPECT_NE(echoed.error().message.find("<redacted>"), std::string::npos);
  }
  {  // A wrong password: WRONGPASS, named, without either password.
    ConnectionOptions options;
    options.username = user;
    options.password = secret + "x";
    Connection connection = connect(options);
    Result<RedisReply> reply = run(connection.command({"PING"}, 1s));
    ASSERT_FALSE(reply.ok());
    EXPECT_NE(reply.error().message.find("WRONGPASS"), std::string::npos);
    EXPECT_EQ(reply.error().message.find(secret), std::string::npos) << reply.error().message;
  }
  ASSERT_TRUE(run(admin.command({"ACL", "DELUSER", user}, 1s)).ok());
}

TEST_F(RedisConnectionTest, BadArgumentsAreInvalidAndNothingIsSent) {
  ConnectionOptions options;
  options.max_request_bytes = 64;
  Connection connection = connect(options);
  std::vector<std::string_view> none;
  Result<RedisReply> empty = run(connection.command(none, 1s));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  Result<RedisReply> big = run(connection.command({"SET", "k", std::string(100, 'x')}, 1s));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(big.error().message.find("max_request_bytes"), std::string::npos);
  Result<RedisReply> no_deadline = run(connection.command({"PING"}, 0s));
  ASSERT_FALSE(no_deadline.ok());
  EXPECT_EQ(no_deadline.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(connection.in_flight(), 0u);
}

struct BadOption {
  const char* field;
  void (*spoil)(ConnectionOptions&);
};

TEST(RedisConnectionOptionsTest, BadOptionsAreRejectedNamingTheField) {
  const BadOption cases[] = {
      {"host", [](ConnectionOptions& o) { o.host.clear(); }},
      {"port", [](ConnectionOptions& o) { o.port = 0; }},
      {"port", [](ConnectionOptions& o) { o.port = 65536; }},
      {"connect_timeout", [](ConnectionOptions& o) { o.connect_timeout = Duration::zero(); }},
      {"connect_timeout", [](ConnectionOptions& o) { o.connect_timeout = std::chrono::hours(1); }},
      {"max_in_flight", [](ConnectionOptions& o) { o.max_in_flight = 0; }},
      {"max_request_bytes", [](ConnectionOptions& o) { o.max_request_bytes = 1; }},
      {"max_reply_bytes", [](ConnectionOptions& o) { o.max_reply_bytes = 1; }},
      {"password", [](ConnectionOptions& o) { o.username = "someone"; }},
  };
  boost::asio::io_context io;
  for (const BadOption& bad : cases) {
    ConnectionOptions options;
    bad.spoil(options);
    Result<Connection> connection = Connection::create(io, options);
    ASSERT_FALSE(connection.ok()) << bad.field;
    EXPECT_EQ(connection.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(connection.error().message.starts_with(bad.field)) << connection.error().message;
  }
  EXPECT_TRUE(Connection::create(io, ConnectionOptions{}).ok());
}

TEST(RuntimeTest, SystemRandomDrawsDistinctTokens) {
  SystemRandom random;
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.insert(faultline::random_token(random));
  EXPECT_EQ(tokens.size(), 1000u);
  // Two sources must not share a stream, as two seeded generators with one seed would: each
  // process's owner tokens must be unguessable from another's.
  SystemRandom other;
  EXPECT_FALSE(tokens.contains(faultline::random_token(other)));
  SystemRandom third;
  EXPECT_NE(faultline::random_token(other), faultline::random_token(third));
}

TEST(RuntimeTest, AsioClockSleepsAtLeastTheDuration) {
  boost::asio::io_context io;
  AsioClock clock;
  const faultline::TimePoint before = clock.now();
  block_on(io, Task<void>(clock.sleep_for(20ms)));
  EXPECT_GE(clock.now() - before, 20ms);
  const faultline::TimePoint again = clock.now();
  block_on(io, Task<void>(clock.sleep_for(-5ms)));  // completes at once
  EXPECT_LT(clock.now() - again, 20ms);
}

}  // namespace
