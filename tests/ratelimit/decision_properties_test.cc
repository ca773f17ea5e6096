// What every algorithm promises, as properties over generated policies and traces: a refusal or a
// peek leaves the state as it was, a cost above the limit is "never", and retry_after is exact (a
// request retried after it is allowed, one a microsecond earlier is not).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultline/ratelimit/tiered.h"
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

// Tiers are all-or-nothing: a tiered request is allowed exactly when every tier alone would
// allow it, and then each tier's state is what its own decision makes it; otherwise no state
// changes, and after the combined retry_after the same request is allowed.
RC_GTEST_PROP(RateLimitDecisions, TiersAreAllOrNothing, ()) {
  const auto policies = *rc::gen::container<std::vector<Policy>>(
      *rc::gen::inRange<std::size_t>(1, 5), gen_policy());
  std::vector<State> states;
  for (const Policy& p : policies) states.push_back(initial_state(p));
  for (const Request& r : *gen_trace(100'000, 4)) {
    std::vector<State> alone = states;
    bool each = true;
    for (std::size_t i = 0; i < policies.size(); ++i) {
      each = decide(alone[i], policies[i], r.at, r.cost).allowed && each;
    }
    const std::vector<State> before = states;
    const TieredDecision d = decide_all(states, policies, r.at, r.cost);
    RC_ASSERT(d.allowed == each);
    RC_ASSERT(d.tiers.size() == policies.size());
    if (d.allowed) {
      RC_ASSERT(states == alone);
      continue;
    }
    RC_ASSERT(states == before);
    RC_ASSERT(!d.violated().empty());
    if (!d.retry_after) continue;
    std::vector<State> later = states;
    RC_ASSERT(decide_all(later, policies, r.at + *d.retry_after, r.cost).allowed);
  }
}

}  // namespace
}  // namespace faultline::ratelimit
