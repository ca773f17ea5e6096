#include "scenarios/ratelimit/broken_limiters.h"

#include <chrono>
#include <string>
#include <utility>

#include "faultline/sim/rpc.h"

namespace faultline::scenarios::ratelimit {
namespace {

rl::Instant node_now(const sim::RedisKeyspace& keys) {
  return rl::Instant(std::chrono::duration_cast<rl::Micros>(keys.now().time_since_epoch()));
}

// Tells the node's observer of a decision made real in the current step.
void tell(sim::RedisNode& node, const std::string& key, const rl::Policy& policy, std::int64_t cost,
          const rl::Decision& decision, rl::Instant at) {
  if (const sim::LimitObserver& observe = node.limit_observer()) {
    observe(sim::LimitEvent{key, &policy, cost, decision, at});
  }
}

// What a GET returns: the state and the node's time (as a script reading TIME would).
struct Snapshot {
  rl::State state;
  rl::Instant now{};
};

}  // namespace

rl::State& NodeLimitStates::state(const std::string& name, const rl::Policy& policy) {
  auto found = states_.find(name);
  if (found == states_.end()) found = states_.emplace(name, rl::initial_state(policy)).first;
  return found->second;
}

Task<Result<rl::Decision>> AppClockLimitStore::decide(std::string_view key,
                                                      const rl::Policy& policy, std::int64_t cost,
                                                      Duration timeout) {
  const std::string name(key);
  const rl::Policy rule = policy;
  if (auto r = rl::validate_decide(name, rule, cost, timeout); !r) co_return std::move(r).error();
  // The mistake: the instant is the caller's clock reading, sent with the request.
  const rl::Instant sent(
      std::chrono::duration_cast<rl::Micros>(client_.clock().wall_now().time_since_epoch()));
  NodeLimitStates* states = &states_;
  auto op = [states, name, rule, cost, sent]() {
    return Result<rl::Decision>(states->node().step([&](sim::RedisKeyspace&) {
      rl::State& state = states->state(rl::limit_key(name, rule), rule);
      const rl::Decision decision = rl::decide(state, rule, sent, cost);
      tell(states->node(), name, rule, cost, decision, sent);
      return decision;
    }));
  };
  auto reply =
      sim::call<rl::Decision>(network_, client_, states_.node().host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

// g++ 12 warns that this coroutine's frame is freed by a mismatched operator delete: the frame
// is allocated and freed by Asio's recycling allocator (aligned_alloc, then free), which the
// warning does not follow. A false positive, silenced for this definition only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
Task<Result<rl::Decision>> ReadThenWriteLimitStore::decide(std::string_view key,
                                                           const rl::Policy& policy,
                                                           std::int64_t cost, Duration timeout) {
  const std::string name(key);
  const rl::Policy rule = policy;
  // The check on its own, no Result kept in the frame: g++ 12 then warns of a mismatched
  // coroutine-frame delete (-Wmismatched-new-delete, a false positive).
  if (!rl::validate_decide(name, rule, cost, timeout)) {
    co_return rl::validate_decide(name, rule, cost, timeout).error();
  }
  NodeLimitStates* states = &states_;
  const std::string stored = rl::limit_key(name, rule);
  auto get = [states, stored, rule]() {
    return Result<Snapshot>(states->node().step([&](sim::RedisKeyspace& keys) {
      return Snapshot{states->state(stored, rule), node_now(keys)};
    }));
  };
  auto reading =
      sim::call<Snapshot>(network_, client_, states_.node().host(), timeout, std::move(get));
  Result<Snapshot> read = co_await std::move(reading);
  if (!read) co_return std::move(read).error();
  rl::State state = std::move(read->state);
  const rl::Decision decision = rl::decide(state, rule, read->now, cost);
  if (!decision.allowed || cost == 0) co_return decision;
  // The mistake: a blind write of what this caller computed from what it read.
  auto set = [states, stored, name, rule, cost, state, decision]() {
    return Result<bool>(states->node().step([&](sim::RedisKeyspace& keys) {
      states->state(stored, rule) = state;
      tell(states->node(), name, rule, cost, decision, node_now(keys));
      return true;
    }));
  };
  auto writing = sim::call<bool>(network_, client_, states_.node().host(), timeout, std::move(set));
  Result<bool> written = co_await std::move(writing);
  if (!written) co_return std::move(written).error();
  co_return decision;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Task<Result<rl::Verdict>> TierByTierLimiter::check(std::span<const std::string> keys,
                                                   std::int64_t cost) {
  rl::Verdict verdict;
  verdict.allowed = true;
  for (std::size_t i = 0; i < tiers_.size() && i < keys.size(); ++i) {
    const std::string key = tiers_[i].name + "/" + keys[i];
    auto deciding = store_.decide(key, tiers_[i].policy, cost, timeout_);
    Result<rl::Decision> d = co_await std::move(deciding);
    if (!d) co_return std::move(d).error();
    verdict.tiers.push_back(*d);
    // The mistake: a refusal here leaves the tiers before it charged.
    if (!d->allowed) {
      verdict.allowed = false;
      verdict.retry_after = d->retry_after;
      co_return verdict;
    }
  }
  co_return verdict;
}

}  // namespace faultline::scenarios::ratelimit
