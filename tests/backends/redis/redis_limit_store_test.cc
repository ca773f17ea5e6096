// RedisLimitStore without a server: the decoding of a script's reply (every malformed shape is
// kProtocol naming what was wrong, never an assertion), and where a key's state lives.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "faultline/backends/redis/limit_store.h"

namespace faultline::backends::redis {
namespace {

using ratelimit::Micros;

RedisReply reply_of(std::vector<std::int64_t> values) {
  std::vector<RedisReply> elements;
  for (std::int64_t v : values) elements.push_back(RedisReply::integer(v));
  return RedisReply::array(std::move(elements));
}

TEST(RedisLimitStoreReply, DecodesAnAllowedAndANeverDecision) {
  Result<TimedDecision> allowed = decode_decision_reply(reply_of({1, 3, 2, 0, 100000, 7}));
  ASSERT_TRUE(allowed.ok()) << allowed.error().to_string();
  EXPECT_TRUE(allowed->decision.allowed);
  EXPECT_EQ(allowed->decision.limit, 3);
  EXPECT_EQ(allowed->decision.remaining, 2);
  EXPECT_EQ(allowed->decision.retry_after, Micros::zero());
  EXPECT_EQ(allowed->decision.reset_after, Micros(100000));
  EXPECT_EQ(allowed->at.time_since_epoch(), Micros(7));
  Result<TimedDecision> never = decode_decision_reply(reply_of({0, 3, 3, -1, 0, 7}));
  ASSERT_TRUE(never.ok()) << never.error().to_string();
  EXPECT_FALSE(never->decision.allowed);
  EXPECT_EQ(never->decision.retry_after, std::nullopt);
}

TEST(RedisLimitStoreReply, MalformedRepliesAreProtocolErrors) {
  const std::vector<RedisReply> bad = {
      RedisReply::nil(),
      RedisReply::string("1"),
      reply_of({1, 3, 2, 0, 5}),
      reply_of({2, 3, 2, 0, 5, 7}),
      reply_of({1, 0, 2, 0, 5, 7}),
      reply_of({1, 3, -1, 0, 5, 7}),
      reply_of({0, 3, 2, -2, 5, 7}),
      reply_of({1, 3, 2, 0, -5, 7}),
      // Waits no Duration (nanoseconds) holds: a caller converting them would overflow.
      reply_of({0, 3, 0, std::numeric_limits<std::int64_t>::max(), 5, 7}),
      reply_of({0, 3, 0, 5, std::numeric_limits<std::int64_t>::max() / 999, 7}),
      RedisReply::array({RedisReply::integer(1), RedisReply::string("3"), RedisReply::integer(2),
                         RedisReply::integer(0), RedisReply::integer(5), RedisReply::integer(7)}),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    Result<TimedDecision> d = decode_decision_reply(bad[i]);
    ASSERT_FALSE(d.ok()) << i;
    EXPECT_EQ(d.error().code, ErrorCode::kProtocol) << i;
    EXPECT_NE(d.error().message.find("decide: unexpected reply"), std::string::npos) << i;
  }
}

TEST(RedisLimitStoreReply, DecodesATieredRefusalWithItsCombinedWait) {
  Result<TimedTieredDecision> d =
      decode_tiered_reply(reply_of({0, 7, 1, 3, 2, 0, 50, 0, 2, 0, 400, 90}), 2);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_FALSE(d->decision.allowed);
  EXPECT_EQ(d->at.time_since_epoch(), Micros(7));
  ASSERT_EQ(d->decision.tiers.size(), 2u);
  EXPECT_EQ(d->decision.violated(), (std::vector<std::size_t>{1}));
  EXPECT_EQ(d->decision.retry_after, Micros(400));
}

TEST(RedisLimitStoreReply, MalformedTieredRepliesAreProtocolErrors) {
  const std::vector<RedisReply> bad = {
      RedisReply::nil(),
      reply_of({1, 7, 1, 3, 2, 0, 50}),                 // one tier short
      reply_of({2, 7, 1, 3, 2, 0, 50, 1, 3, 2, 0, 5}),  // allowed not 0/1
      reply_of({1, 7, 1, 3, 2, 0, 50, 0, 3, 2, 9, 5}),  // allowed, but a tier refused
      reply_of({0, 7, 1, 3, 2, 0, 50, 1, 3, 2, 0, 5}),  // refused, but every tier allowed
      reply_of({1, 7, 1, 3, 2, 0, 50, 1, 3, -2, 0, 5}),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    Result<TimedTieredDecision> d = decode_tiered_reply(bad[i], 2);
    ASSERT_FALSE(d.ok()) << i;
    EXPECT_EQ(d.error().code, ErrorCode::kProtocol) << i;
  }
}

TEST(RedisLimitStoreKeys, NameTheAlgorithmAndTheKeyLength) {
  EXPECT_EQ(ratelimit::limit_key("api", ratelimit::GcraPolicy{}), "rl:gcra:3:api");
  EXPECT_EQ(ratelimit::limit_key("a:b", ratelimit::SlidingLogPolicy{}), "rl:sliding-log:3:a:b");
  EXPECT_NE(ratelimit::limit_key("k", ratelimit::FixedWindowPolicy{}),
            ratelimit::limit_key("k", ratelimit::SlidingCounterPolicy{}));
}

}  // namespace
}  // namespace faultline::backends::redis
