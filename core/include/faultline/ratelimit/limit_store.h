// LimitStore: the one atomic operation a shared rate limiter needs from its store.
//
// decide(key, policy, cost) is the policy's algorithm (the pure `decide` of policy.h, the single
// source of truth for the semantics) run as one atomic step on the key's state in the store, at
// `now` read from the store's own clock (Redis `TIME`; the simulated node's wall clock), never
// the caller's: every client of one store shares one clock. A refusal or a cost-0 peek changes
// nothing; an allowed request writes the new state with a TTL of the decision's reset_after, so
// a key's state disappears once it could no longer change a decision.
//
// Keys: the state lives under limit_key(key, policy), which names the algorithm, so two
// algorithms never share a key's state. Two policies of the same algorithm with different
// parameters on the same key do share it (the caller's key names the limit).
//
// decide_all(tiers, cost): several limits on one request (tiered.h), decided and charged
// all-or-nothing in the same one atomic step, at one `now`. Each tier's state is the one
// decide(tier.key, tier.policy, ...) uses. On Redis the tiers' keys are all in one script, so on
// a Redis Cluster they must hash to one slot (a hash tag); the stores here are single-node.
//
// Errors: `timeout` bounds the whole round trip. kUnavailable: the decision did not happen;
// kOutcomeUnknown: it may have happened (an allowed request may have consumed units). A store
// error is never a refusal: the caller chooses to fail open or closed. Bad arguments give
// kInvalidArgument naming the field before anything is sent (validate_decide).
// Lifetimes: what a string_view, span (or reference) argument views must stay valid until the
// returned task completes: a task starts only when it is awaited, so a temporary of the calling
// expression may be gone by then (bind arguments to locals, then co_await the task).
// Thread-safety: an instance is used from one executor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/ratelimit/decision.h"
#include "faultline/ratelimit/policy.h"
#include "faultline/ratelimit/tiered.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::ratelimit {

// A caller's key: 1..kMaxLimitKeyBytes bytes of printable ASCII.
inline constexpr std::size_t kMaxLimitKeyBytes = 255;
inline constexpr std::string_view kLimitKeyPrefix = "rl:";

class LimitStore {
 public:
  virtual ~LimitStore() = default;

  // The decision for a request of `cost` units (0 peeks) on `key` under `policy`.
  virtual Task<Result<Decision>> decide(std::string_view key, const Policy& policy,
                                        std::int64_t cost, Duration timeout) = 0;

  // The all-or-nothing decision for a request of `cost` units on every tier (tiered.h).
  virtual Task<Result<TieredDecision>> decide_all(std::span<const Tier> tiers, std::int64_t cost,
                                                  Duration timeout) = 0;
};

// In order: key ("key: must not be empty", too long, a byte not printable), the policy's own
// validate, cost (check_cost), timeout (validate_timeout). kInvalidArgument naming the field, or
// Ok.
[[nodiscard]] Result<void> validate_decide(std::string_view key, const Policy& policy,
                                           std::int64_t cost, Duration timeout);

// In order: the count ("tiers: 0; must be in [1, 8]"), then validate_decide's checks of each
// tier's key and policy, the field named "tiers[i].key", "tiers[i].count" and so on, and that no
// two tiers share a state ("tiers[2]: the same key and algorithm as tiers[0]"), then cost and
// timeout.
[[nodiscard]] Result<void> validate_decide_all(std::span<const Tier> tiers, std::int64_t cost,
                                               Duration timeout);

// Where a key's state lives: "rl:<algorithm>:<bytes of key>:<key>", e.g. "rl:gcra:3:api".
[[nodiscard]] std::string limit_key(std::string_view key, const Policy& policy);

}  // namespace faultline::ratelimit
