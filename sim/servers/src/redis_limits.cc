#include "faultline/sim/redis_limits.h"

#include <sstream>
#include <string>
#include <variant>

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

TimedDecision decide_step(RedisKeyspace& keys, const std::string& key,
                          const ratelimit::Policy& policy, std::int64_t cost) {
  // The keyspace's clock is in whole milliseconds (see the header).
  const Instant now(std::chrono::duration_cast<Micros>(keys.now().time_since_epoch()));
  State state = ratelimit::initial_state(policy);
  if (const std::string* stored = keys.get(key); stored != nullptr) decode(*stored, state);
  const State before = state;
  const ratelimit::Decision decision = ratelimit::decide(state, policy, now, cost);
  if (state != before) {
    keys.set(key, encode(state));
    const auto ttl = std::chrono::ceil<std::chrono::milliseconds>(decision.reset_after);
    keys.pexpire(key, std::max(ttl, std::chrono::milliseconds(1)));
  }
  return {decision, now};
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

Task<Result<ratelimit::Decision>> SimLimitStore::decide(std::string_view key,
                                                        const ratelimit::Policy& policy,
                                                        std::int64_t cost, Duration timeout) {
  const std::string name(key);
  const ratelimit::Policy rule = policy;
  if (auto r = ratelimit::validate_decide(name, rule, cost, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, name, rule, cost]() {
    return Result<TimedDecision>(RedisLimits(*node).decide(name, rule, cost));
  };
  auto reply = call<TimedDecision>(network_, client_, node_.host(), timeout, std::move(op));
  Result<TimedDecision> timed = co_await std::move(reply);
  if (!timed) co_return std::move(timed).error();
  last_instant_ = timed->at;
  co_return timed->decision;
}

}  // namespace faultline::sim
