// Sliding window counter (Cloudflare's): two fixed-window counters, aligned on multiples of
// `window` since the epoch, weighted as
//
//   estimate = previous * (window - elapsed) / window + current
//
// where `elapsed` is the time since the current window began. The request itself is counted
// before comparing: a request of cost c is allowed when estimate + c <= limit (compared exactly,
// as previous * (window - elapsed) <= (limit - current - c) * window), and then current += c.
//
// The approximation: it assumes the previous window's requests were spread evenly over it. A
// burst late in the previous window is under-weighted, so up to about twice the limit can pass in
// some window of length `window` in the worst case; Cloudflare measured 0.003% of 400 million
// requests wrongly allowed or limited on real traffic. Use the sliding log where the bound must be
// exact.
//
//   retry_after the earliest time at which the estimate has decayed enough for c, if nothing
//               else arrives; never if c > limit
//   remaining   floor(limit - estimate), after the decision (never negative)
//   reset_after until both counters have aged out: the end of the next window if current > 0,
//               of this one if only previous > 0, else 0
//   limit       limit
//
// An instant in a window before the state's (time read back) is taken as the start of the
// state's window, and retry_after and reset_after count from that start.
//
// Memory per key: a window index and two counts (24 bytes; in Redis two integers with TTLs).
#pragma once

#include <cstdint>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit {

struct SlidingCounterPolicy {
  std::int64_t limit{1};                   // in [1, kMaxLimit]
  Micros window{std::chrono::seconds(1)};  // in [1ms, 1 day]
};

struct SlidingCounterState {
  std::int64_t window_index{0};  // floor(instant / window) of the last allowed request
  std::int64_t current{0};       // units allowed in that window
  std::int64_t previous{0};      // units allowed in the window before it

  friend bool operator==(const SlidingCounterState&, const SlidingCounterState&) = default;
};

// Ok, or kInvalidArgument naming the first field out of range.
[[nodiscard]] Result<void> validate(const SlidingCounterPolicy& policy);

[[nodiscard]] Decision decide(SlidingCounterState& state, const SlidingCounterPolicy& policy,
                              Instant now, std::int64_t cost);

}  // namespace faultline::ratelimit
