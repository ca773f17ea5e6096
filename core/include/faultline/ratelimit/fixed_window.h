// Fixed window: a counter per window, windows aligned on multiples of `window` since the epoch
// (in Redis: INCRBY, with the key expiring at the window's end). Kept for comparison and for its
// hazard: `limit` requests at the end of one window and `limit` more at the start of the next
// are all allowed, twice the limit within a window's length (tests/ratelimit shows it).
//
//   allowed     when the window's count + c <= limit (then count += c; cost 0 peeks)
//   retry_after until the window ends (the next one starts at zero); never if c > limit
//   remaining   limit - count, after the decision
//   reset_after until the window ends, or 0 when the count is 0
//   limit       limit
//
// An instant in a window before the state's (time read back) counts in the state's window.
//
// Memory per key: a window index and a count (16 bytes; in Redis one integer with a TTL).
#pragma once

#include <cstdint>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit {

struct FixedWindowPolicy {
  std::int64_t limit{1};                   // in [1, kMaxLimit]
  Micros window{std::chrono::seconds(1)};  // in [1ms, 1 day]
};

struct FixedWindowState {
  std::int64_t window_index{0};  // floor(instant / window) of the last allowed request
  std::int64_t count{0};         // units allowed in that window

  friend bool operator==(const FixedWindowState&, const FixedWindowState&) = default;
};

// Ok, or kInvalidArgument naming the first field out of range.
[[nodiscard]] Result<void> validate(const FixedWindowPolicy& policy);

[[nodiscard]] Decision decide(FixedWindowState& state, const FixedWindowPolicy& policy, Instant now,
                              std::int64_t cost);

}  // namespace faultline::ratelimit
