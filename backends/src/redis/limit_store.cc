#include "faultline/backends/redis/limit_store.h"

#include <array>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "faultline/backends/redis/limit_scripts.h"

namespace faultline::backends::redis {
namespace {

using ratelimit::Micros;

std::string with_prelude(std::string_view body) {
  return std::string(limit_scripts::kPrelude) + std::string(body);
}

Error malformed(std::string what) {
  return Error{ErrorCode::kProtocol, "decide: unexpected reply: " + std::move(what)};
}

}  // namespace

Result<TimedDecision> decode_decision_reply(const RedisReply& reply) {
  if (!reply.is_array() || reply.as_array().size() != 6) {
    return malformed("a " + std::string(to_string(reply.kind())) + ", expected an array of 6");
  }
  const std::vector<RedisReply>& e = reply.as_array();
  for (const RedisReply& element : e) {
    if (!element.is_integer()) return malformed("an element is not an integer");
  }
  const std::int64_t allowed = e[0].as_integer();
  const std::int64_t retry = e[3].as_integer();
  if (allowed != 0 && allowed != 1) return malformed("allowed is not 0 or 1");
  if (e[1].as_integer() < 1 || e[2].as_integer() < 0 || e[4].as_integer() < 0 || retry < -1) {
    return malformed("a negative limit, remaining, retry_after or reset_after");
  }
  TimedDecision out;
  out.decision.allowed = allowed == 1;
  out.decision.limit = e[1].as_integer();
  out.decision.remaining = e[2].as_integer();
  if (retry < 0) {
    out.decision.retry_after = std::nullopt;
  } else {
    out.decision.retry_after = Micros(retry);
  }
  out.decision.reset_after = Micros(e[4].as_integer());
  out.at = ratelimit::Instant(Micros(e[5].as_integer()));
  return out;
}

RedisLimitStore::RedisLimitStore(Connection& connection)
    : connection_(&connection),
      gcra_(with_prelude(limit_scripts::kGcra)),
      token_bucket_(with_prelude(limit_scripts::kTokenBucket)),
      sliding_log_(with_prelude(limit_scripts::kSlidingLog)),
      sliding_counter_(with_prelude(limit_scripts::kSlidingCounter)),
      fixed_window_(with_prelude(limit_scripts::kFixedWindow)) {}

RedisLimitStore::RedisLimitStore(std::unique_ptr<Connection> owned) : RedisLimitStore(*owned) {
  owned_ = std::move(owned);
}

Result<std::unique_ptr<RedisLimitStore>> RedisLimitStore::create(boost::asio::io_context& io,
                                                                 ConnectionOptions options) {
  Result<Connection> connection = Connection::create(io, std::move(options));
  if (!connection.ok()) return std::move(connection).error();
  auto owned = std::make_unique<Connection>(std::move(connection).value());
  // Not make_unique: the owning constructor is private.
  return std::unique_ptr<RedisLimitStore>(new RedisLimitStore(std::move(owned)));
}

RedisLimitStore::Call RedisLimitStore::call_for(const ratelimit::Policy& policy,
                                                std::int64_t cost) {
  const auto n = [](std::int64_t v) { return std::to_string(v); };
  return std::visit(
      [&](const auto& p) -> Call {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, ratelimit::GcraPolicy>) {
          return {&gcra_, {n(ratelimit::emission_interval(p).count()), n(p.max_burst), n(cost)}};
        } else if constexpr (std::is_same_v<P, ratelimit::TokenBucketPolicy>) {
          return {&token_bucket_, {n(p.capacity), n(p.count), n(p.period.count()), n(cost)}};
        } else if constexpr (std::is_same_v<P, ratelimit::SlidingLogPolicy>) {
          return {&sliding_log_, {n(p.limit), n(p.window.count()), n(cost)}};
        } else if constexpr (std::is_same_v<P, ratelimit::SlidingCounterPolicy>) {
          return {&sliding_counter_, {n(p.limit), n(p.window.count()), n(cost)}};
        } else {
          return {&fixed_window_, {n(p.limit), n(p.window.count()), n(cost)}};
        }
      },
      policy);
}

Task<Result<ratelimit::Decision>> RedisLimitStore::decide(std::string_view key,
                                                          const ratelimit::Policy& policy,
                                                          std::int64_t cost, Duration timeout) {
  const std::string name(key);
  const ratelimit::Policy rule = policy;
  if (auto r = ratelimit::validate_decide(name, rule, cost, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string store_key = ratelimit::limit_key(name, rule);
  const Call what = call_for(rule, cost);
  const std::array<std::string_view, 1> keys{store_key};
  const std::vector<std::string_view> args(what.args.begin(), what.args.end());
  // A named task: g++ 12 mishandles temporaries with destructors inside a co_await operand.
  auto call = what.script->run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  if (!reply.ok()) co_return std::move(reply).error();
  Result<TimedDecision> timed = decode_decision_reply(*reply);
  if (!timed.ok()) co_return std::move(timed).error();
  last_instant_ = timed->at;
  co_return timed->decision;
}

}  // namespace faultline::backends::redis
