// RedisLimits: the rate-limit command module of the simulated Redis server, and SimLimitStore,
// the LimitStore (faultline/ratelimit/limit_store.h) a simulated client reaches it through.
//
// A key's state is a string under limit_key(key, policy): the algorithm's State as decimal
// integers separated by spaces (gcra: tat; token-bucket: updated level; sliding-log: units then
// `at units` per entry, oldest first; sliding-counter: window_index current previous;
// fixed-window: window_index count). A missing key is the algorithm's initial_state. Each
// decision is one node step (atomic, as a Lua script is) running the pure `decide` at `now` =
// the node's wall clock, which the keyspace holds in whole milliseconds: now is that times 1000
// microseconds (real Redis reads TIME, to the microsecond). A decision that changed the state
// writes it (SET) and gives it a PEXPIRE of reset_after rounded up to whole milliseconds, so an
// idle key's state disappears once it is back to rest; a refusal or a peek writes nothing.
// decide_all reads every tier's key, runs the pure decide_all and writes the states that
// changed, all in one node step.
// Every decision is told, inside its step, to the node's limit observer if one is set
// (RedisNode::set_limit_observer, limit_events.h): scenarios judge admissions from there.
//
// While the node is in a service outage (Network::begin_outage) SimLimitStore's requests do no
// work and fail (kUnavailable at once in a fail-fast outage; no reply in a timeout outage).
// Arguments are assumed valid here (SimLimitStore validates them first, as the real store does).
// Thread-safety: none. Ownership: borrows the node, which must outlive it.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <string_view>

#include "faultline/ratelimit/limit_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"

namespace faultline::sim {

// A decision and the instant (the node's clock, microseconds since the Unix epoch) it was made
// at, so that a test can feed the pure model the same instants.
struct TimedDecision {
  ratelimit::Decision decision{};
  ratelimit::Instant at{};
};

class RedisLimits {
 public:
  explicit RedisLimits(RedisNode& node) : node_(node) {}

  [[nodiscard]] TimedDecision decide(std::string_view key, const ratelimit::Policy& policy,
                                     std::int64_t cost);
  // Every tier in one node step (tiered.h); `at` is the instant of all of them.
  [[nodiscard]] std::pair<ratelimit::TieredDecision, ratelimit::Instant> decide_all(
      std::span<const ratelimit::Tier> tiers, std::int64_t cost);

 private:
  RedisNode& node_;
};

class SimLimitStore final : public ratelimit::LimitStore {
 public:
  SimLimitStore(Network& network, Process& client, RedisNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<ratelimit::Decision>> decide(std::string_view key, const ratelimit::Policy& policy,
                                           std::int64_t cost, Duration timeout) override;
  Task<Result<ratelimit::TieredDecision>> decide_all(std::span<const ratelimit::Tier> tiers,
                                                     std::int64_t cost,
                                                     Duration timeout) override;

  // The instant of this store's last decision that came back (for tests; the epoch before any).
  [[nodiscard]] ratelimit::Instant last_instant() const noexcept { return last_instant_; }

 private:
  Network& network_;
  Process& client_;
  RedisNode& node_;
  ratelimit::Instant last_instant_{};
};

}  // namespace faultline::sim
