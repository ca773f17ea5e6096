// Two mistaken shared limiters, each one step away from RedisLimits / SimLimitStore
// (faultline/sim/redis_limits.h), for the rate-limit family's hazards:
//
//   AppClockLimitStore      the decision runs on the node in one atomic step, as it should,
//                           but at the instant the *caller* sends (its wall clock), not the
//                           node's own: instances whose clocks are skewed or drift each see the
//                           others' admissions as older or newer than they are;
//   ReadThenWriteLimitStore the state is read in one round trip (GET, with the node's time),
//                           decided at the caller, and written back in another (SET, blind):
//                           instances that read the same state both spend it.
//
// And for the tiered claim's hazard:
//
//   TierByTierLimiter       a request's tiers decided one LimitStore::decide at a time, in
//                           order, stopping at the first refusal, and never refunding the tiers
//                           it already charged (how rate-limiter-flexible's limiters or Envoy's
//                           descriptors get chained): a refused request leaves its earlier
//                           tiers' budgets drained.
//
// The two stores keep their state in NodeLimitStates: one State per limit_key, held for the node
// and read and written only inside the node's steps (the run's Redis never crashes in these
// scenarios). Every admission a step makes real is told to the node's limit observer
// (limit_events.h), as RedisLimits tells its own: the hazard with the decision step's instant, the
// read-then-write one when its SET runs (the node's time then; the decision is the caller's, made
// earlier). Thread-safety: none. Ownership: each borrows the network, its client and the states,
// which must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/ratelimit/limit_store.h"
#include "faultline/ratelimit/rate_limiter.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"

namespace faultline::scenarios::ratelimit {

namespace rl = faultline::ratelimit;

class NodeLimitStates {
 public:
  explicit NodeLimitStates(sim::RedisNode& node) : node_(node) {}

  [[nodiscard]] sim::RedisNode& node() noexcept { return node_; }
  // The state under `name` (limit_key), the policy's initial state if there is none. Only
  // inside a step of the node.
  [[nodiscard]] rl::State& state(const std::string& name, const rl::Policy& policy);

 private:
  sim::RedisNode& node_;
  std::map<std::string, rl::State> states_;
};

// What both mistaken stores hold: the network, their client and the node's states.
class NodeStatesClient : public rl::LimitStore {
 public:
  NodeStatesClient(sim::Network& network, sim::Process& client, NodeLimitStates& states)
      : network_(network), client_(client), states_(states) {}

  // The hazards are shown on single decisions; a tiered one is refused, sending nothing.
  Task<Result<rl::TieredDecision>> decide_all(std::span<const rl::Tier>, std::int64_t,
                                              Duration) override {
    co_return Error{ErrorCode::kFailedPrecondition,
                    "decide_all: this hazard's store decides single limits only"};
  }

 protected:
  sim::Network& network_;
  sim::Process& client_;
  NodeLimitStates& states_;
};

class AppClockLimitStore final : public NodeStatesClient {
 public:
  using NodeStatesClient::NodeStatesClient;
  Task<Result<rl::Decision>> decide(std::string_view key, const rl::Policy& policy,
                                    std::int64_t cost, Duration timeout) override;
};

class ReadThenWriteLimitStore final : public NodeStatesClient {
 public:
  using NodeStatesClient::NodeStatesClient;
  Task<Result<rl::Decision>> decide(std::string_view key, const rl::Policy& policy,
                                    std::int64_t cost, Duration timeout) override;
};

// Same keys as RateLimiter ("<tier name>/<key>"); a store error is returned as it is. Borrows
// the store, which must outlive it and every check in progress; `keys` must outlive the check.
class TierByTierLimiter {
 public:
  TierByTierLimiter(rl::LimitStore& store, std::vector<rl::TierSpec> tiers, Duration timeout)
      : store_(store), tiers_(std::move(tiers)), timeout_(timeout) {}

  // One key per tier. The Verdict's tiers are those decided, up to the refusing one.
  Task<Result<rl::Verdict>> check(std::span<const std::string> keys, std::int64_t cost);

 private:
  rl::LimitStore& store_;
  std::vector<rl::TierSpec> tiers_;
  Duration timeout_;
};

}  // namespace faultline::scenarios::ratelimit
