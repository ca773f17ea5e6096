#include "faultline/sim/redis_limits.h"

#include <charconv>
#include <system_error>
#include <string>
#include <variant>
#include <vector>

#include "faultline/sim/rpc.h"

namespace faultline::sim {
namespace {

using ratelimit::Instant;
using ratelimit::Micros;
using ratelimit::State;

// The state's text is integers separated by single spaces. Written with to_chars and read with
// from_chars (the same text as the string streams they replaced, which cost a fifth of a
// simulated decision in stream construction alone).
void append(std::string& out, std::int64_t value) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  (void)error;  // 24 characters hold any int64
  out.append(digits, end);
}
void append(std::string& out, Instant t) { append(out, t.time_since_epoch().count()); }

class Fields {
 public:
  explicit Fields(const std::string& text) : at_(text.data()), end_(text.data() + text.size()) {}
  // The next integer, or false at the end (or at anything that is not one).
  bool next(std::int64_t& value) {
    while (at_ < end_ && *at_ == ' ') ++at_;
    const auto [after, error] = std::from_chars(at_, end_, value);
    if (error != std::errc()) return false;
    at_ = after;
    return true;
  }
  bool next(Instant& t) {
    std::int64_t us = 0;
    if (!next(us)) return false;
    t = Instant(Micros(us));
    return true;
  }

 private:
  const char* at_;
  const char* end_;
};

// The State as the module stores it (see the header for the layout).
std::string encode(const State& state) {
  std::string out;
  std::visit(
      [&out](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, ratelimit::GcraState>) {
          append(out, s.tat);
        } else if constexpr (std::is_same_v<S, ratelimit::TokenBucketState>) {
          append(out, s.updated);
          out += ' ';
          append(out, s.level);
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingLogState>) {
          append(out, s.units);
          for (const auto& e : s.entries) {
            out += ' ';
            append(out, e.at);
            out += ' ';
            append(out, e.units);
          }
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingCounterState>) {
          append(out, s.window_index);
          out += ' ';
          append(out, s.current);
          out += ' ';
          append(out, s.previous);
        } else {
          append(out, s.window_index);
          out += ' ';
          append(out, s.count);
        }
      },
      state);
  return out;
}

// Fills `state` (holding the policy's alternative) from what encode() wrote.
void decode(const std::string& text, State& state) {
  Fields in(text);
  std::visit(
      [&in](auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, ratelimit::GcraState>) {
          in.next(s.tat);
        } else if constexpr (std::is_same_v<S, ratelimit::TokenBucketState>) {
          in.next(s.updated);
          in.next(s.level);
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingLogState>) {
          in.next(s.units);
          ratelimit::SlidingLogState::Entry entry;
          while (in.next(entry.at) && in.next(entry.units)) s.entries.push_back(entry);
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingCounterState>) {
          in.next(s.window_index);
          in.next(s.current);
          in.next(s.previous);
        } else {
          in.next(s.window_index);
          in.next(s.count);
        }
      },
      state);
}

// The keyspace's clock is in whole milliseconds (see the header).
Instant now_of(RedisKeyspace& keys) {
  return Instant(std::chrono::duration_cast<Micros>(keys.now().time_since_epoch()));
}

State load(RedisKeyspace& keys, const std::string& key, const ratelimit::Policy& policy) {
  State state = ratelimit::initial_state(policy);
  if (const std::string* stored = keys.get(key); stored != nullptr) decode(*stored, state);
  return state;
}

// Writes `state` if the decision changed it, with a TTL of its reset_after.
void store(RedisKeyspace& keys, const std::string& key, const State& before, const State& state,
           const ratelimit::Decision& decision) {
  if (state == before) return;
  keys.set(key, encode(state));
  const auto ttl = std::chrono::ceil<std::chrono::milliseconds>(decision.reset_after);
  keys.pexpire(key, std::max(ttl, std::chrono::milliseconds(1)));
}

TimedDecision decide_step(RedisKeyspace& keys, const std::string& key,
                          const ratelimit::Policy& policy, std::int64_t cost) {
  const Instant now = now_of(keys);
  State state = load(keys, key, policy);
  const State before = state;
  const ratelimit::Decision decision = ratelimit::decide(state, policy, now, cost);
  store(keys, key, before, state, decision);
  return {decision, now};
}

// A service outage (Network::begin_outage) on the node: the module does no work (in a timeout
// outage nobody hears the refusal).
Result<void> refuse_in_outage(const Network& network, RedisNode& node) {
  if (!network.outage(node.host().id())) return Ok{};
  return unavailable("redis: the service is in an outage");
}

}  // namespace

TimedDecision RedisLimits::decide(std::string_view key, const ratelimit::Policy& policy,
                                  std::int64_t cost) {
  const std::string name = ratelimit::limit_key(key, policy);
  return node_.step([&](RedisKeyspace& keys) {
    const TimedDecision timed = decide_step(keys, name, policy, cost);
    if (const LimitObserver& observe = node_.limit_observer()) {
      observe(LimitEvent{key, &policy, cost, timed.decision, timed.at});
    }
    return timed;
  });
}

std::pair<ratelimit::TieredDecision, Instant> RedisLimits::decide_all(
    std::span<const ratelimit::Tier> tiers, std::int64_t cost) {
  return node_.step([&](RedisKeyspace& keys) {
    const Instant now = now_of(keys);
    std::vector<std::string> names;
    std::vector<ratelimit::Policy> policies;
    std::vector<State> states;
    names.reserve(tiers.size());
    policies.reserve(tiers.size());
    states.reserve(tiers.size());  // a sliding log's deque allocates even when moved from
    for (const ratelimit::Tier& tier : tiers) {
      names.push_back(ratelimit::limit_key(tier.key, tier.policy));
      policies.push_back(tier.policy);
      states.push_back(load(keys, names.back(), tier.policy));
    }
    const std::vector<State> before = states;
    ratelimit::TieredDecision d = ratelimit::decide_all(states, policies, now, cost);
    const LimitObserver& observe = node_.limit_observer();
    for (std::size_t i = 0; i < tiers.size(); ++i) {
      store(keys, names[i], before[i], states[i], d.tiers[i]);
      // What this step wrote, not what the decision says: a tier whose state is unchanged was
      // not charged (told as a peek, cost 0), whatever the module's decision claims.
      const std::int64_t charged = states[i] != before[i] ? cost : 0;
      if (observe) observe(LimitEvent{tiers[i].key, &tiers[i].policy, charged, d.tiers[i], now});
    }
    return std::pair(std::move(d), now);
  });
}

Task<Result<ratelimit::Decision>> SimLimitStore::decide(std::string_view key,
                                                        const ratelimit::Policy& policy,
                                                        std::int64_t cost, Duration timeout) {
  const std::string name(key);
  const ratelimit::Policy rule = policy;
  if (auto r = ratelimit::validate_decide(name, rule, cost, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  Network* network = &network_;
  auto op = [network, node, name, rule, cost]() -> Result<TimedDecision> {
    if (auto refused = refuse_in_outage(*network, *node); !refused) return refused.error();
    return RedisLimits(*node).decide(name, rule, cost);
  };
  auto reply = call<TimedDecision>(network_, client_, node_.host(), timeout, std::move(op));
  Result<TimedDecision> timed = co_await std::move(reply);
  if (!timed) co_return std::move(timed).error();
  last_instant_ = timed->at;
  co_return timed->decision;
}

Task<Result<ratelimit::TieredDecision>> SimLimitStore::decide_all(
    std::span<const ratelimit::Tier> tiers, std::int64_t cost, Duration timeout) {
  std::vector<ratelimit::Tier> copy(tiers.begin(), tiers.end());
  if (auto r = ratelimit::validate_decide_all(copy, cost, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  Network* network = &network_;
  using Timed = std::pair<ratelimit::TieredDecision, Instant>;
  auto op = [network, node, copy, cost]() -> Result<Timed> {
    if (auto refused = refuse_in_outage(*network, *node); !refused) return refused.error();
    return RedisLimits(*node).decide_all(copy, cost);
  };
  auto reply = call<Timed>(network_, client_, node_.host(), timeout, std::move(op));
  Result<Timed> timed = co_await std::move(reply);
  if (!timed) co_return std::move(timed).error();
  last_instant_ = timed->second;
  co_return std::move(timed->first);
}

}  // namespace faultline::sim
