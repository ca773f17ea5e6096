// Sliding window log: exact. A request of cost c at `now` is allowed when the units admitted in
// the window (now - window, now] plus c are at most `limit`.
//
// The log holds (instant, units) entries, oldest first; requests at the same instant share one
// entry. An allowed request drops the entries that left the window and appends its own, so the
// log never holds more than `limit` entries (each holds at least one unit, and the live ones
// hold at most `limit` units together). A refused request writes nothing (an entry that has left
// the window is merely ignored until the next allowed request drops it).
//
//   retry_after the time until enough of the oldest entries leave the window for c to fit
//               (an entry at t leaves it at t + window); never if c > limit
//   remaining   limit - units in the window, after the decision
//   reset_after time until the newest entry leaves the window (0 for an empty log)
//   limit       limit
//
// Memory per key: at most `limit` entries of 16 bytes (in Redis a sorted set whose members
// carry their units).
#pragma once

#include <cstdint>
#include <deque>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit {

struct SlidingLogPolicy {
  std::int64_t limit{1};                   // in [1, kMaxLimit]
  Micros window{std::chrono::seconds(1)};  // in [1ms, 1 day]
};

struct SlidingLogState {
  struct Entry {
    Instant at{};
    std::int64_t units{0};
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::deque<Entry> entries;  // oldest first; at most `limit` of them
  std::int64_t units{0};      // the sum over `entries`, live or not

  friend bool operator==(const SlidingLogState&, const SlidingLogState&) = default;
};

// Ok, or kInvalidArgument naming the first field out of range.
[[nodiscard]] Result<void> validate(const SlidingLogPolicy& policy);

[[nodiscard]] Decision decide(SlidingLogState& state, const SlidingLogPolicy& policy, Instant now,
                              std::int64_t cost);

}  // namespace faultline::ratelimit
