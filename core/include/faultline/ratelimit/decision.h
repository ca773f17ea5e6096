// What every rate-limit algorithm shares: integer time, the decision it returns, and the bounds
// of its arguments.
//
// Contract
//   - Time is an `Instant`: whole microseconds since an epoch the caller picks (Redis `TIME`,
//     seconds and microseconds since the Unix epoch, in the store; the process's `Clock` in the
//     in-process limiter). Only differences matter, and they are never negative: a caller passes
//     non-decreasing instants per key (an earlier one is treated as the latest seen; see each
//     algorithm). Microseconds are what `TIME` gives and what redis-cell's `remaining` divides
//     in; every product the algorithms form stays below 2^53, so the Lua twins compute them
//     exactly in doubles (the bounds below are chosen for that).
//   - `decide(state, policy, now, cost)` (one per algorithm) is a pure function of its
//     arguments: it reads `state` and writes it only when the request is allowed with cost > 0.
//     A refused request changes nothing and costs nothing; cost 0 peeks.
//   - Preconditions, checked with FAULTLINE_INVARIANT: the policy passed its `validate`, and
//     0 <= cost <= kMaxCost (`check_cost` says so as an error for input from outside).
// Thread-safety: the functions share nothing; a State is the caller's to guard.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "faultline/result.h"

namespace faultline::ratelimit {

// The clock of rate-limit instants: its epoch is the caller's (see above).
struct LimitClock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::microseconds;
  using time_point = std::chrono::time_point<LimitClock, duration>;
  static constexpr bool is_steady = false;
};
using Instant = LimitClock::time_point;
using Micros = std::chrono::microseconds;

// Limits, capacities, bursts (+1) and costs: at most this many units. With a period or window of
// at most kMaxWindow, every product of a count and a duration stays below 2^53 (8.64e15). An
// instant (about 1.8e15 us since the Unix epoch in 2026, 2^52 in 2112) plus such a product may
// not: so a sum of an instant and a duration that a decision depends on is kept within
// kMaxWindow of the instant (GCRA's tolerance is bounded by it, gcra.h).
inline constexpr std::int64_t kMaxCost = 100'000;
inline constexpr std::int64_t kMaxLimit = kMaxCost;
// Periods and windows: from one millisecond to one day.
inline constexpr Micros kMinWindow = std::chrono::milliseconds(1);
inline constexpr Micros kMaxWindow = std::chrono::hours(24);
static_assert(kMaxLimit * kMaxWindow.count() < (std::int64_t{1} << 53));

struct Decision {
  bool allowed{false};
  // The most units one request may ever cost (redis-cell: max_burst + 1).
  std::int64_t limit{0};
  // Units a request could still cost right now, after this decision.
  std::int64_t remaining{0};
  // Refused: how long until this same request would be allowed if nothing else arrives;
  // std::nullopt when it can never be (cost above the limit). Allowed: zero.
  std::optional<Micros> retry_after{Micros::zero()};
  // How long until the key's state is back to rest (full bucket, empty window): the TTL the
  // store gives the key. Zero when it is at rest now.
  Micros reset_after{Micros::zero()};
};

// Ok if 0 <= cost <= kMaxCost; else kInvalidArgument "cost: <cost>; must be in [0, 100000]".
[[nodiscard]] Result<void> check_cost(std::int64_t cost);

// a / b rounded up, for a >= 0 and b > 0: waits are rounded up, never down, so that a caller
// who retries after them is allowed.
[[nodiscard]] constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace faultline::ratelimit
