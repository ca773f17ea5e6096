// The simulated Redis keyspace (sim::RedisKeyspace, what every command module runs on) against a
// real redis-server: RapidCheck generates command sequences over a few string, counter and hash
// keys, runs each on both, and every reply must agree. Keys get expiries long enough not to
// lapse during a case (the model's clock stands still; the server's does not), so what is
// compared is the commands' own semantics: SET [NX] [PX] clearing or setting the TTL, INCRBY
// from a missing key, HSET keeping a TTL, DEL and PEXPIRE on missing keys, and the TTL's presence.
// Strings, counters and hashes use separate keys: a WRONGTYPE reply is a model bug (an invariant),
// never a case.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <boost/asio/io_context.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "faultline/sim/redis_keyspace.h"
#include "tests/support/redis_env.h"

namespace faultline::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

enum class Op { kSet, kSetNx, kSetPx, kGet, kIncrBy, kDel, kHset, kHget, kPexpire, kHasTtl };

struct Command {
  Op op = Op::kGet;
  int key = 0;  // 0..2 within the op's key family
  std::string value;
  std::int64_t by = 0;
};

std::string show(const Command& c) {
  return fmt::format("op {} key {} value '{}' by {}", static_cast<int>(c.op), c.key, c.value, c.by);
}

rc::Gen<Command> command_gen() {
  return rc::gen::build<Command>(
      rc::gen::set(&Command::op, rc::gen::element(Op::kSet, Op::kSetNx, Op::kSetPx, Op::kGet,
                                                  Op::kIncrBy, Op::kDel, Op::kHset, Op::kHget,
                                                  Op::kPexpire, Op::kHasTtl)),
      rc::gen::set(&Command::key, rc::gen::inRange(0, 3)),
      rc::gen::set(&Command::value, rc::gen::element<std::string>("a", "b", "")),
      rc::gen::set(&Command::by, rc::gen::inRange<std::int64_t>(-3, 4)));
}

// One reply, the same shape for both sides: nil, an integer, or text.
struct Reply {
  std::optional<std::string> text;
  std::optional<std::int64_t> integer;
  bool operator==(const Reply&) const = default;
};

Reply nil() { return {}; }
Reply integer(std::int64_t v) { return {std::nullopt, v}; }
Reply text(std::string v) { return {std::move(v), std::nullopt}; }
Reply from_pointer(const std::string* v) { return v == nullptr ? nil() : text(*v); }

// The key families: SET/GET on strings, INCRBY on counters, HSET/HGET on hashes; DEL, PEXPIRE
// and the TTL check on any of them (by the command's key index, cycling through the families).
std::string string_key(int k) { return fmt::format("s{}", k); }
std::string counter_key(int k) { return fmt::format("c{}", k); }
std::string hash_key(int k) { return fmt::format("h{}", k); }
std::string any_key(const Command& c) {
  const int family = static_cast<int>(c.by + 3) % 3;
  return family == 0 ? string_key(c.key) : family == 1 ? counter_key(c.key) : hash_key(c.key);
}

constexpr auto kLongTtl = seconds(600);

Reply on_model(sim::RedisKeyspace& keys, const Command& c) {
  switch (c.op) {
    case Op::kSet: keys.set(string_key(c.key), c.value); return text("OK");
    case Op::kSetNx:
      if (keys.exists(string_key(c.key))) return nil();
      keys.set(string_key(c.key), c.value);
      return text("OK");
    case Op::kSetPx:
      keys.set(string_key(c.key), c.value);
      keys.pexpire(string_key(c.key), kLongTtl);
      return text("OK");
    case Op::kGet: return from_pointer(keys.get(string_key(c.key)));
    case Op::kIncrBy: return integer(keys.incrby(counter_key(c.key), c.by));
    case Op::kDel: return integer(keys.del(any_key(c)) ? 1 : 0);
    case Op::kHset: {
      const bool fresh = keys.hget(hash_key(c.key), c.value) == nullptr;
      keys.hset(hash_key(c.key), c.value, "v" + c.value);
      return integer(fresh ? 1 : 0);
    }
    case Op::kHget: return from_pointer(keys.hget(hash_key(c.key), c.value));
    case Op::kPexpire: return integer(keys.pexpire(any_key(c), kLongTtl) ? 1 : 0);
    case Op::kHasTtl: {
      // PTTL: -2 missing, -1 no expiry, else the time left (compared as "has one").
      if (!keys.exists(any_key(c))) return integer(-2);
      return integer(keys.pttl(any_key(c)) ? 1 : -1);
    }
  }
  return nil();
}

std::vector<std::string> server_argv(const Command& c, const std::string& prefix) {
  const std::string ms = std::to_string(milliseconds(kLongTtl).count());
  switch (c.op) {
    case Op::kSet: return {"SET", prefix + string_key(c.key), c.value};
    case Op::kSetNx: return {"SET", prefix + string_key(c.key), c.value, "NX"};
    case Op::kSetPx: return {"SET", prefix + string_key(c.key), c.value, "PX", ms};
    case Op::kGet: return {"GET", prefix + string_key(c.key)};
    case Op::kIncrBy: return {"INCRBY", prefix + counter_key(c.key), std::to_string(c.by)};
    case Op::kDel: return {"DEL", prefix + any_key(c)};
    case Op::kHset: return {"HSET", prefix + hash_key(c.key), c.value, "v" + c.value};
    case Op::kHget: return {"HGET", prefix + hash_key(c.key), c.value};
    case Op::kPexpire: return {"PEXPIRE", prefix + any_key(c), ms};
    case Op::kHasTtl: return {"PTTL", prefix + any_key(c)};
  }
  return {};
}

Reply to_reply(const Command& c, const backends::redis::RedisReply& r) {
  if (r.is_nil()) return nil();
  if (r.is_integer()) {
    const std::int64_t v = r.as_integer();
    return integer(c.op == Op::kHasTtl && v >= 0 ? 1 : v);
  }
  return text(r.as_text());
}

class KeyspaceConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = first_redis_port();
    if (!port_) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set: run via scripts/test-all.sh";
  }
  std::optional<int> port_;
};

TEST_F(KeyspaceConformance, EveryReplyMatchesARealServer) {
  boost::asio::io_context io;
  backends::redis::ConnectionOptions options;
  options.port = *port_;
  auto connection = backends::redis::Connection::create(io, options);
  ASSERT_TRUE(connection.ok()) << connection.error().to_string();
  backends::SystemRandom random;
  const std::string run = "keyspace:" + random_token(random).substr(0, 12);
  int case_number = 0;
  const bool ok = rc::check("the model's replies are the server's", [&] {
    const auto commands = *rc::gen::container<std::vector<Command>>(command_gen());
    const std::string prefix = fmt::format("{}:{}:", run, case_number++);
    sim::RedisKeyspace model;
    model.set_now(sim::WallTime(seconds(1)));
    for (const Command& c : commands) {
      const Reply expected = on_model(model, c);
      const std::vector<std::string> argv = server_argv(c, prefix);
      auto reply = backends::block_on(
          io, connection->command(std::span<const std::string>(argv), seconds(2)));
      RC_ASSERT(reply.ok());
      RC_ASSERT(!reply->is_error());
      const Reply got = to_reply(c, *reply);
      if (!(got == expected)) {
        RC_FAIL(fmt::format("{}: server {}/{}, model {}/{}", show(c), got.text.value_or("-"),
                            got.integer.value_or(-99), expected.text.value_or("-"),
                            expected.integer.value_or(-99)));
      }
    }
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace faultline::testing
