// GCRA, the generic cell rate algorithm, with redis-cell's semantics
// (`CL.THROTTLE key max_burst count period [quantity]`).
//
//   limit = max_burst + 1
//   T     = period / count, in whole microseconds, rounded down (the emission interval)
//   DVT   = T * (max_burst + 1) (the delay variation tolerance)
//   A request of cost c at `now`: base = max(TAT, now); new_TAT = base + T * c. It is allowed
//   when now >= new_TAT - DVT, and then TAT = new_TAT (unless c == 0, a peek, which writes
//   nothing). A refused request writes nothing. Its retry_after is new_TAT - DVT - now, or
//   "never" (std::nullopt) when T * c > DVT, i.e. c > limit.
//   reset_after = TAT - now after the decision (0 for a key at rest); remaining =
//   max(0, DVT - reset_after) / T, rounded down.
//
// One deliberate difference from redis-cell: it refuses only when `now - allow_at` is negative
// in whole seconds (`diff.num_seconds() < 0`), so a request up to a second early is let through;
// here the comparison is exact, which is what keeps the bound below.
//
// The bound: over any interval of length d, the units admitted never exceed limit + d / T
// (tests/ratelimit/gcra_test.cc checks it as a property).
//
// Memory per key: one instant (8 bytes; in Redis, one integer with a TTL of reset_after).
#pragma once

#include <cstdint>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit {

struct GcraPolicy {
  std::int64_t count{1};                   // requests per period, in [1, period in microseconds]
  Micros period{std::chrono::seconds(1)};  // in [1ms, 1 day]
  std::int64_t max_burst{0};               // in [0, kMaxLimit - 1]; the limit is max_burst + 1
};

struct GcraState {
  // The theoretical arrival time; min() for a key never seen (treated as `now`).
  Instant tat{Instant::min()};

  friend bool operator==(const GcraState&, const GcraState&) = default;
};

// Ok, or kInvalidArgument naming the first field out of range: "period: 0; must be in [1ms, 24h]",
// "count: 7; must be in [1, 5] (the emission interval period/count must be at least 1us)",
// "max_burst: ...". The burst must also be earned back within a day: the tolerance
// T * (max_burst + 1) at most kMaxWindow, so that the TAT stays within a day of `now` and the
// Lua twin's doubles hold every instant it compares exactly (decision.h).
[[nodiscard]] Result<void> validate(const GcraPolicy& policy);

// T = period / count (microseconds, rounded down).
[[nodiscard]] Micros emission_interval(const GcraPolicy& policy);

// The decision for a request of `cost` units at `now` (see the header's formulas).
[[nodiscard]] Decision decide(GcraState& state, const GcraPolicy& policy, Instant now,
                              std::int64_t cost);

}  // namespace faultline::ratelimit
