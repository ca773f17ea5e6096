// Several limits on one request (per caller, per tenant, global), decided all-or-nothing: the
// request is allowed only if every tier allows it, and then every tier is charged; if any tier
// refuses, no tier is charged. A later refusal never leaves an earlier budget drained (the
// complaint against limiters that consume tier by tier without refunds).
//
// Contract of decide_all(states, policies, now, cost), a pure function like each algorithm's
// `decide` (decision.h), on which the stores' atomic step and the in-process limiter are built:
//   - Every tier's decision is its algorithm's decision for `cost` at `now` on its own state.
//   - Allowed (every tier allowed): each tier's state is updated as by its own decision, and
//     `tiers[i]` is that decision; retry_after is zero.
//   - Refused (some tier refused): no state changes. `tiers[i].allowed` is false exactly for the
//     violated tiers, whose entry is their refusal; a tier that would have allowed reports its
//     state unchanged (its decision for cost 0, a peek). retry_after is the longest of the
//     violated tiers' (time only adds room in every algorithm, so after it, if nothing else
//     arrives, every tier allows), or std::nullopt when some violated tier can never allow the
//     cost (a cost above its limit).
// Preconditions (FAULTLINE_INVARIANT): one state per policy, each holding the policy's
// alternative, 1..kMaxTiers tiers, each policy valid, 0 <= cost <= kMaxCost.
// Thread-safety: the function shares nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "faultline/ratelimit/policy.h"

namespace faultline::ratelimit {

// The most tiers one decision may carry: a request is usually limited per caller, per tenant
// and globally; eight leaves room and bounds the work of one atomic step.
inline constexpr std::size_t kMaxTiers = 8;

// One tier of a request: whose budget (the caller's key, as for LimitStore::decide) under which
// policy. The state it uses is the one decide(key, policy, ...) uses: a tier and a single
// decision on the same key and algorithm share their budget.
struct Tier {
  std::string key;
  Policy policy{GcraPolicy{}};
};

struct TieredDecision {
  bool allowed{false};
  std::vector<Decision> tiers;  // one per tier, in the request's order (see above)
  // Zero when allowed; else as above.
  std::optional<Micros> retry_after{Micros::zero()};

  // The indexes of the violated tiers (empty when allowed).
  [[nodiscard]] std::vector<std::size_t> violated() const;
};

// The retry_after of a refusal whose tiers' decisions are `tiers` (see above): the longest of
// the refused tiers', std::nullopt if one of them is never; zero when none refused.
[[nodiscard]] std::optional<Micros> combined_retry_after(std::span<const Decision> tiers);

[[nodiscard]] TieredDecision decide_all(std::span<State> states, std::span<const Policy> policies,
                                        Instant now, std::int64_t cost);

}  // namespace faultline::ratelimit
