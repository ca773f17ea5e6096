// The text form of a rate-limit policy, as `faultline limit --policy SPEC` and the example
// service's --rate-limit read it:
//
//   gcra:rate=COUNT/PERIOD,burst=B            redis-cell's count, period and max_burst
//   token-bucket:capacity=C,rate=COUNT/PERIOD
//   sliding-log:limit=N,window=W
//   sliding-counter:limit=N,window=W
//   fixed-window:limit=N,window=W
//
// Durations are a whole number and a unit: us, ms, s, m (minutes) or h ("500ms", "1s", "1m").
// Fields may come in any order; each is required once, and no other is accepted. A spec that
// reads is then validated (faultline/ratelimit/*.h give the ranges).
// Errors: kInvalidArgument, saying what was expected, e.g. "policy 'gcra:rate=10/1s': missing
// burst=B (expected gcra:rate=COUNT/PERIOD,burst=B)" or "policy '...': limit: 0; must be in
// [1, 100000]". Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "faultline/ratelimit/policy.h"

namespace faultline::ratelimit {

[[nodiscard]] Result<Policy> parse_policy_spec(std::string_view spec);

// "500ms", "1s", "90m": a whole number of us, ms, s, m or h, non-negative. kInvalidArgument
// "'<text>' is not a duration (a whole number and us, ms, s, m or h: 500ms, 1s, 1m)".
[[nodiscard]] Result<Micros> parse_limit_duration(std::string_view text);

// The spec that parse_policy_spec reads back as `policy` (durations in their largest exact unit).
[[nodiscard]] std::string policy_spec(const Policy& policy);

}  // namespace faultline::ratelimit
