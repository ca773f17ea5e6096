// A shared limit through an outage of its store: 4 application instances (clocks skewed by up
// to 400ms either way and drifting up to 2%, no steps: a local limiter is only as good as its
// clock's rate) each check one key ("api/shared", a sliding log of 12 units per 100ms) through a
// RateLimiter (rate_limiter.h) on one simulated Redis, costs 1..3, while the Redis service goes
// into outages (the plan's outage faults of "redis": failing fast or hanging), messages are
// lost, delayed and duplicated, replies lost, instances paused and partitioned from Redis.
//
//   ratelimit/outage-fallback   (claim) on_outage kFallback, fallback_share 1/4: each instance
//                               decides locally on a quarter of the limit (3 units per 100ms of
//                               its own clock) while the store is away. Judged by
//                               check_fallback_bound (tier_invariants.h) over every true window
//                               of 98ms: the store's admissions (its record) at most 12 and the
//                               fallbacks' (the true time each instance admitted at) together at
//                               most 4 x 3 = 12; so at most 12 in a window one source admitted
//                               in, 24 in one straddling a switch (the header says why no
//                               tighter bound is the pattern's). 98ms, not 100: a clock 2% fast
//                               spans 100ms of its own in 98.04ms of true time (judged over
//                               100ms, the claim fails within a few dozen seeds). And the
//                               outage is never an answer: every check returned a Verdict (no
//                               error), and every refusal names the tier that refused.
// Any store error is an outage to RateLimiter (a timeout after a lost reply or a delay spike
// too), so the fallback is used in nearly every run, the plan's outages or not.
//   ratelimit/outage-fail-open  (hazard) kFailOpen: every request allowed while the store is
//                               away; the fallbacks' bound breaks.
//   ratelimit/outage-full-share (hazard) kFallback with fallback_share 1: each instance keeps
//                               the whole limit, 4 instances admit up to 4 times it.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_outage_limit_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
