// The shared rate-limiter scenarios: application instances (4) whose clocks are skewed, drift
// and step, all limiting the same keys ("api" mostly, "k-1" and "k-2") with costs 1..3 through
// one limiter, while messages are lost, delayed and duplicated, replies are lost after the
// decision, instances pause and are partitioned from Redis. The Redis node's own clock stays
// accurate: the claims are about the application instances' clocks.
//
// Claims (must hold), through SimLimitStore and the simulated Redis module (RedisLimits), which
// decide in one atomic step on the node's clock:
//   ratelimit/shared-sliding-log   a sliding log: no key admitted more than its limit in any
//                                  window of the policy's length;
//   ratelimit/shared-gcra          GCRA: over any window of length d, at most limit + d / T.
// Hazards (must be found), each one mistake away:
//   ratelimit/fixed-window-boundary  a fixed window: up to twice the limit within one window's
//                                    length across a boundary (judged by the sliding check);
//   ratelimit/in-memory-counters     a LocalLimiter per instance, each with the full limit: N
//                                    instances admit N times it;
//   ratelimit/app-clock-limiter      the node decides at the instant the caller sends, its own
//                                    skewed, drifting, stepping wall clock;
//   ratelimit/read-then-write        the state read (GET) and written back (SET) in two round
//                                    trips: concurrent instances spend the same allowance.
// The verdict is judged from the admissions the environment saw (limit_invariants.h): for a
// store, each allowed decision as the node made it (told by its limit observer, so an allowed
// request whose reply was lost still counts), at the World's true time; for an in-memory
// limiter, the true time at which the instance admitted. Never from a limiter's own state.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_shared_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
