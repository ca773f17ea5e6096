// RedisIdempotencyStore specifics. The cross-backend properties live in the conformance suite
// (tests/idempotency/idempotency_store_conformance_test.cc); these pin what is Redis's own: the
// decoding of the begin script's reply (no server needed), and, against a real server
// (FAULTLINE_REDIS_PORTS, set by scripts/redis-servers.sh; skipped without it), the record
// layout the simulated twin mirrors, the retention TTL, and recovery from a flushed script cache.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/idempotency_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/support/redis_env.h"

namespace {

using namespace std::chrono_literals;
using faultline::ErrorCode;
using faultline::Result;
using faultline::Task;
using faultline::backends::block_on;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::decode_begin_reply;
using faultline::backends::redis::RedisIdempotencyStore;
using faultline::backends::redis::RedisReply;
using faultline::idempotency::BeginOutcome;
using faultline::idempotency::BeginReply;
using faultline::idempotency::RequestId;

RedisReply begin_reply(std::int64_t code, std::string point, std::string data, std::string response,
                       std::int64_t left_ms) {
  return RedisReply::array({RedisReply::integer(code), RedisReply::string(std::move(point)),
                            RedisReply::string(std::move(data)),
                            RedisReply::string(std::move(response)), RedisReply::integer(left_ms)});
}

void expect_protocol(const RedisReply& reply, const std::string& what) {
  Result<BeginReply> decoded = decode_begin_reply(reply);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::kProtocol);
  EXPECT_NE(decoded.error().message.find(what), std::string::npos) << decoded.error().message;
}

TEST(RedisIdempotencyReply, DecodesEachOutcome) {
  Result<BeginReply> resumed = decode_begin_reply(begin_reply(1, "charged", "ch_1", "", 0));
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  EXPECT_EQ(resumed->outcome, BeginOutcome::kResumed);
  EXPECT_EQ(resumed->point, "charged");
  EXPECT_EQ(resumed->data, "ch_1");
  Result<BeginReply> in_flight = decode_begin_reply(begin_reply(2, "", "", "", 1500));
  ASSERT_TRUE(in_flight.ok());
  EXPECT_EQ(in_flight->outcome, BeginOutcome::kInFlight);
  EXPECT_EQ(in_flight->lease_left, 1500ms);
  const std::string binary("201\0tail", 8);
  Result<BeginReply> completed = decode_begin_reply(begin_reply(3, "", "", binary, 0));
  ASSERT_TRUE(completed.ok());
  EXPECT_EQ(completed->outcome, BeginOutcome::kCompleted);
  EXPECT_EQ(completed->response, binary);
  EXPECT_EQ(decode_begin_reply(begin_reply(4, "", "", "", 0))->outcome, BeginOutcome::kMismatch);
}

TEST(RedisIdempotencyReply, ALeaseLeftPastAnyLeaseReadsAsTheLongestLease) {
  // No client sets more than kMaxLease; a server whose clock stepped back can report more. The
  // largest would overflow converted to nanoseconds (the fuzzer's first find).
  for (const std::int64_t ms :
       {std::int64_t{3'600'001}, std::numeric_limits<std::int64_t>::max()}) {
    Result<BeginReply> decoded = decode_begin_reply(begin_reply(2, "", "", "", ms));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->lease_left, faultline::idempotency::kMaxLease) << ms;
  }
}

TEST(RedisIdempotencyReply, AMalformedReplyIsAProtocolErrorNamingWhatWasWrong) {
  expect_protocol(RedisReply::integer(1), "expected an array of 5");
  expect_protocol(RedisReply::nil(), "expected an array of 5");
  expect_protocol(RedisReply::array({RedisReply::integer(0)}), "1 elements, expected 5");
  expect_protocol(begin_reply(5, "", "", "", 0), "outcome code");
  expect_protocol(begin_reply(-1, "", "", "", 0), "outcome code");
  expect_protocol(begin_reply(2, "", "", "", 0), "no lease left");
  expect_protocol(begin_reply(1, "", "", "", -3), "lease_left_ms");
  std::vector<RedisReply> wrong = begin_reply(1, "p", "d", "", 0).as_array();
  wrong[2] = RedisReply::nil();
  expect_protocol(RedisReply::array(wrong), "data is a nil");
  wrong = begin_reply(1, "p", "d", "", 0).as_array();
  wrong[0] = RedisReply::string("1");
  expect_protocol(RedisReply::array(wrong), "outcome code");
}

class RedisIdempotencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<int> port = faultline::testing::first_redis_port();
    if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh";
    ConnectionOptions options;
    options.port = *port;
    auto store = RedisIdempotencyStore::create(io_, options);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    store_ = std::move(store).value();
    faultline::backends::SystemRandom random;
    key_ = "test:idem:" + faultline::random_token(random);
  }

  template <class T>
  T run(Task<T> task) {
    return block_on(io_, std::move(task));
  }
  RedisReply command(std::initializer_list<std::string_view> argv) {
    Result<RedisReply> reply = run(store_->connection().command(argv, 1s));
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    return reply.ok() ? *reply : RedisReply::nil();
  }
  // The record's hash, field -> value.
  std::map<std::string, std::string> record() {
    const RedisReply all = command({"HGETALL", faultline::idempotency::record_key(id())});
    std::map<std::string, std::string> fields;
    for (std::size_t i = 0; i + 1 < all.as_array().size(); i += 2) {
      fields[all.as_array()[i].as_text()] = all.as_array()[i + 1].as_text();
    }
    return fields;
  }
  RequestId id() const { return {"acct_1", key_}; }

  boost::asio::io_context io_;
  std::unique_ptr<RedisIdempotencyStore> store_;
  std::string key_;
};

TEST_F(RedisIdempotencyStoreTest, TheRecordHasTheSimulatedTwinsLayout) {
  auto started = run(store_->begin(id(), "fp1", "alice", 30s, 1h, 1s));
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  auto fields = record();
  const std::vector<std::string> names{"created",     "data",  "expires", "fp",
                                       "lease_until", "owner", "point",   "state"};
  std::vector<std::string> seen;
  for (const auto& [name, value] : fields) seen.push_back(name);
  EXPECT_EQ(seen, names);
  EXPECT_EQ(fields["state"], "in_progress");
  EXPECT_EQ(fields["point"], "started");
  // Whole milliseconds as decimal integers, retention and lease measured from creation.
  const long long created = std::stoll(fields["created"]);
  EXPECT_EQ(std::to_string(created), fields["created"]);
  EXPECT_EQ(std::stoll(fields["expires"]) - created, 3'600'000);
  EXPECT_EQ(std::stoll(fields["lease_until"]) - created, 30'000);
  const RedisReply pttl = command({"PTTL", faultline::idempotency::record_key(id())});
  ASSERT_TRUE(pttl.is_integer());
  EXPECT_GT(pttl.as_integer(), 3'590'000);
  EXPECT_LE(pttl.as_integer(), 3'600'000);
  ASSERT_TRUE(*run(store_->complete(id(), "alice", "201", 1s)));
  fields = record();
  EXPECT_EQ(fields["state"], "completed");
  EXPECT_EQ(fields["response"], "201");
  EXPECT_EQ(fields["owner"], "");
}

TEST_F(RedisIdempotencyStoreTest, AFlushedScriptCacheIsReloaded) {
  ASSERT_TRUE(run(store_->begin(id(), "fp1", "alice", 30s, 1h, 1s)).ok());
  command({"SCRIPT", "FLUSH"});
  auto again = run(store_->begin(id(), "fp1", "alice", 30s, 1h, 1s));
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->outcome, BeginOutcome::kResumed);
}

}  // namespace
