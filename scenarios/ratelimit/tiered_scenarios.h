// Several limits on one request, shared by application instances (3, their clocks skewed,
// drifting and stepping as in limit_scenarios.h) through one simulated Redis, while messages
// are lost, delayed and duplicated, replies are lost after the decision, instances pause and
// are partitioned from Redis. Each request comes from one of 6 callers (c-1 .. c-6) in 2
// tenants (t-1: c-1..c-3, t-2: c-4..c-6) and carries 3 tiers: "caller/c-N" (a sliding log, 4
// units per 100ms), "tenant/t-N" (a sliding log, 7 per 100ms) and "global/all" (GCRA, 10 per
// 100ms with a burst of 5), costs 1..2; each tier is the one refusing in some of the requests.
//
//   ratelimit/tiered-limits  (claim) each instance's RateLimiter (rate_limiter.h, failing
//                            closed) decides the tiers in one atomic step (decide_all):
//                            (a) no tier key over its limit: the sliding logs' keys at most
//                            their limit in any 100ms, the global key within GCRA's
//                            limit + d/T for d of 10ms, 100ms and 300ms;
//                            (b) never partially consumed: every decision step of the node that
//                            charged a tier charged all three tiers of one caller, the same
//                            cost each, and a step that refused charged nothing
//                            (check_all_or_nothing, tier_invariants.h, which says why per step).
//   ratelimit/tier-by-tier   (hazard) TierByTierLimiter (broken_limiters.h): one decide per
//                            tier, stopping at the first refusal, no refund. (a) still holds;
//                            (b) finds a step that charged the caller's tier alone, and names
//                            the later refusal of the same request.
// Both judged from the node's record (its limit observer: one event per tier per decision, in
// the decision's step), at true time; never from a limiter's state.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_tiered_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
