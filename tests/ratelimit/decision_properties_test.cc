// What every algorithm promises, as properties over generated policies and traces: a refusal or a
// peek leaves the state as it was, a cost above the limit is "never", and retry_after is exact (a
// request retried after it is allowed, one a microsecond earlier is not).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/ratelimit/ratelimit_support.h"

namespace faultline::ratelimit {
namespace {

RC_GTEST_PROP(RateLimitDecisions, RefusalsChangeNothingAndRetryAfterIsExact, ()) {
  const Policy policy = *gen_policy();
  RC_TAG(algorithm_name(policy));
  State state = initial_state(policy);
  for (const Request& r : *gen_trace(100'000, 4)) {
    const State before = state;
    const Decision d = decide(state, policy, r.at, r.cost);
    RC_ASSERT(d.remaining >= 0 && d.remaining <= d.limit);
    RC_ASSERT(d.reset_after >= Micros::zero());
    if (d.allowed) continue;
    RC_ASSERT(state == before);
    State peeked = state;
    RC_ASSERT(decide(peeked, policy, r.at, 0).allowed);
    RC_ASSERT(peeked == state);
    RC_ASSERT(d.retry_after.has_value() == (r.cost <= d.limit));
    if (!d.retry_after) continue;
    RC_ASSERT(*d.retry_after > Micros::zero());
    State later = state;
    RC_ASSERT(decide(later, policy, r.at + *d.retry_after, r.cost).allowed);
    State earlier = state;
    RC_ASSERT(!decide(earlier, policy, r.at + *d.retry_after - Micros(1), r.cost).allowed);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
