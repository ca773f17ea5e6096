#include "faultline/sim/redis_limits.h"

#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "faultline/sim/rpc.h"

namespace faultline::sim {
namespace {

using ratelimit::Instant;
using ratelimit::Micros;
using ratelimit::State;

void write_instant(std::ostringstream& out, Instant t) { out << t.time_since_epoch().count(); }
Instant read_instant(std::istringstream& in) {
  std::int64_t us = 0;
  in >> us;
  return Instant(Micros(us));
}

// The State as the module stores it (see the header for the layout).
std::string encode(const State& state) {
  std::ostringstream out;
  std::visit(
      [&out](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, ratelimit::GcraState>) {
          write_instant(out, s.tat);
        } else if constexpr (std::is_same_v<S, ratelimit::TokenBucketState>) {
          write_instant(out, s.updated);
          out << ' ' << s.level;
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingLogState>) {
          out << s.units;
          for (const auto& e : s.entries) {
            out << ' ';
            write_instant(out, e.at);
            out << ' ' << e.units;
          }
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingCounterState>) {
          out << s.window_index << ' ' << s.current << ' ' << s.previous;
        } else {
          out << s.window_index << ' ' << s.count;
        }
      },
      state);
  return out.str();
}

// Fills `state` (holding the policy's alternative) from what encode() wrote.
void decode(const std::string& text, State& state) {
  std::istringstream in(text);
  std::visit(
      [&in](auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, ratelimit::GcraState>) {
          s.tat = read_instant(in);
        } else if constexpr (std::is_same_v<S, ratelimit::TokenBucketState>) {
          s.updated = read_instant(in);
          in >> s.level;
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingLogState>) {
          in >> s.units;
          ratelimit::SlidingLogState::Entry entry;
          while (true) {
            entry.at = read_instant(in);
            if (!(in >> entry.units)) break;
            s.entries.push_back(entry);
          }
        } else if constexpr (std::is_same_v<S, ratelimit::SlidingCounterState>) {
          in >> s.window_index >> s.current >> s.previous;
        } else {
          in >> s.window_index >> s.count;
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
