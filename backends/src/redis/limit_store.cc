#include "faultline/backends/redis/limit_store.h"

#include <algorithm>
#include <array>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "faultline/backends/redis/limit_scripts.h"

namespace faultline::backends::redis {
namespace {

// Each algorithm's name (ratelimit::algorithm_name), its Lua function's name and text.
struct Function {
  std::string_view algorithm;
  std::string_view lua_name;
  std::string_view text;
};
constexpr std::array<Function, 5> kFunctions{{
    {"gcra", "gcra", limit_scripts::kGcra},
    {"token-bucket", "token_bucket", limit_scripts::kTokenBucket},
    {"sliding-log", "sliding_log", limit_scripts::kSlidingLog},
    {"sliding-counter", "sliding_counter", limit_scripts::kSlidingCounter},
    {"fixed-window", "fixed_window", limit_scripts::kFixedWindow},
}};

}  // namespace

namespace limit_scripts {

std::string single_script(std::string_view algorithm) {
  std::string script(kPrelude);
  for (const Function& f : kFunctions) {
    if (f.algorithm != algorithm) continue;
    script.append(f.text).append("local decide = ").append(f.lua_name).append("\n");
  }
  return script.append(kSingleMain);
}

std::string tiered_script() {
  std::string script(kPrelude);
  for (const Function& f : kFunctions) script.append(f.text);
  return script.append(kTieredMain);
}

}  // namespace limit_scripts

RedisLimitStore::RedisLimitStore(Connection& connection)
    : connection_(&connection),
      gcra_(limit_scripts::single_script("gcra")),
      token_bucket_(limit_scripts::single_script("token-bucket")),
      sliding_log_(limit_scripts::single_script("sliding-log")),
      sliding_counter_(limit_scripts::single_script("sliding-counter")),
      fixed_window_(limit_scripts::single_script("fixed-window")),
      tiered_(limit_scripts::tiered_script()) {}

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

Script& RedisLimitStore::script_for(const ratelimit::Policy& policy) {
  std::array<Script*, 5> by_index{&gcra_, &token_bucket_, &sliding_log_, &sliding_counter_,
                                  &fixed_window_};
  static_assert(std::variant_size_v<ratelimit::Policy> == 5);
  static_assert(std::is_same_v<std::variant_alternative_t<0, ratelimit::Policy>,
                               ratelimit::GcraPolicy>);
  return *by_index[policy.index()];
}

std::array<std::string, 3> script_params(const ratelimit::Policy& policy) {
  const auto n = [](std::int64_t v) { return std::to_string(v); };
  return std::visit(
      [&](const auto& p) -> std::array<std::string, 3> {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, ratelimit::GcraPolicy>) {
          return {n(ratelimit::emission_interval(p).count()), n(p.max_burst), "0"};
        } else if constexpr (std::is_same_v<P, ratelimit::TokenBucketPolicy>) {
          return {n(p.capacity), n(p.count), n(p.period.count())};
        } else if constexpr (std::is_same_v<P, ratelimit::SlidingLogPolicy>) {
          return {n(p.limit), n(p.window.count()), "0"};
        } else if constexpr (std::is_same_v<P, ratelimit::SlidingCounterPolicy>) {
          return {n(p.limit), n(p.window.count()), "0"};
        } else {
          return {n(p.limit), n(p.window.count()), "0"};
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
  const std::array<std::string, 3> params = script_params(rule);
  const std::string units = std::to_string(cost);
  const std::array<std::string_view, 1> keys{store_key};
  const std::array<std::string_view, 4> args{params[0], params[1], params[2], units};
  // A named task: g++ 12 mishandles temporaries with destructors inside a co_await operand.
  auto call = script_for(rule).run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  if (!reply.ok()) co_return std::move(reply).error();
  Result<TimedDecision> timed = decode_decision_reply(*reply);
  if (!timed.ok()) co_return std::move(timed).error();
  last_instant_ = timed->at;
  co_return timed->decision;
}

Task<Result<ratelimit::TieredDecision>> RedisLimitStore::decide_all(
    std::span<const ratelimit::Tier> tiers, std::int64_t cost, Duration timeout) {
  const std::vector<ratelimit::Tier> copy(tiers.begin(), tiers.end());
  if (auto r = ratelimit::validate_decide_all(copy, cost, timeout); !r) {
    co_return std::move(r).error();
  }
  std::vector<std::string> names;
  std::vector<std::string> argv{std::to_string(cost)};
  for (const ratelimit::Tier& tier : copy) {
    names.push_back(ratelimit::limit_key(tier.key, tier.policy));
    argv.emplace_back(ratelimit::algorithm_name(tier.policy));
    for (std::string& p : script_params(tier.policy)) argv.push_back(std::move(p));
  }
  const std::vector<std::string_view> keys(names.begin(), names.end());
  const std::vector<std::string_view> args(argv.begin(), argv.end());
  auto call = tiered_.run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  if (!reply.ok()) co_return std::move(reply).error();
  Result<TimedTieredDecision> timed = decode_tiered_reply(*reply, copy.size());
  if (!timed.ok()) co_return std::move(timed).error();
  last_instant_ = timed->at;
  co_return std::move(timed->decision);
}

}  // namespace faultline::backends::redis
