// Any of the algorithms, chosen at run time: the in-process limiter and `faultline limit` hold a
// Policy and a State per key. Each alternative's semantics are in its own header (gcra.h,
// token_bucket.h, sliding_log.h, sliding_counter.h, fixed_window.h).
// Thread-safety: values; the functions share nothing.
#pragma once

#include <string_view>
#include <variant>

#include "faultline/ratelimit/fixed_window.h"
#include "faultline/ratelimit/gcra.h"
#include "faultline/ratelimit/sliding_counter.h"
#include "faultline/ratelimit/sliding_log.h"
#include "faultline/ratelimit/token_bucket.h"

namespace faultline::ratelimit {

using Policy = std::variant<GcraPolicy, TokenBucketPolicy, SlidingLogPolicy, SlidingCounterPolicy,
                            FixedWindowPolicy>;
// Alternatives in the same order as Policy's.
using State = std::variant<GcraState, TokenBucketState, SlidingLogState, SlidingCounterState,
                           FixedWindowState>;

// Ok, or the alternative's own kInvalidArgument.
[[nodiscard]] Result<void> validate(const Policy& policy);

// The state of a key never seen (for the policy's algorithm).
[[nodiscard]] State initial_state(const Policy& policy);

// "gcra", "token-bucket", "sliding-log", "sliding-counter", "fixed-window".
[[nodiscard]] std::string_view algorithm_name(const Policy& policy);

// The length over which the policy limits: the period of a rate, or the window.
[[nodiscard]] Micros policy_window(const Policy& policy);

// The decision of the policy's algorithm. Precondition (FAULTLINE_INVARIANT): `state` holds
// the alternative that matches `policy` (initial_state made it), and decide's own.
[[nodiscard]] Decision decide(State& state, const Policy& policy, Instant now, std::int64_t cost);

}  // namespace faultline::ratelimit
