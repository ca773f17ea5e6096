// Bounds on what a circuit breaker lets through, computed from its options alone, so that the
// scenarios judge a breaker from the dependency's record of arrivals and the result codes
// callers got, never from the breaker's own state (a checker that asks the breaker whether it
// was open cannot catch a breaker that never opens).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "faultline/clock.h"
#include "faultline/resilience/circuit_breaker.h"
#include "faultline/sim/world.h"

namespace faultline::scenarios {

// The most consecutive failures a CLOSED count-based breaker records before it opens, whatever
// its window held before: after k consecutive failures the window holds at least k failures in
// at most window_size calls, so k = max(minimum_calls, ceil(window_size x threshold)) suffices.
[[nodiscard]] std::uint64_t failures_to_open(const resilience::CircuitBreakerOptions& options);

// The most attempts one breaker lets reach a dependency that fails every call for `on_clock`
// (the outage's length as the breaker's clock measured it: true length widened by drift, plus
// any forward steps). `concurrent` callers share the breaker, each with at most one attempt in
// flight:
//     failures_to_open + (concurrent - 1)            until it opens (others already in flight)
//   + permitted_calls_in_half_open x episodes        probes: one half-open episode per wait,
// where episodes = 2 + k (one under way at the outage's start, one beginning anywhere in it, then
// one more after each wait that fits), k the most waits that fit in `on_clock`: after the first,
// each episode's probes fail and the breaker waits wait_in_open, then that times
// wait_multiplier, and so on up to max_wait_in_open (a previous outage can only have grown them).
[[nodiscard]] std::uint64_t outage_attempt_bound(const resilience::CircuitBreakerOptions& options,
                                                 int concurrent, Duration on_clock);

// Probes per open wait, from arrival times alone. `arrivals` are one breaker's attempts that
// reached a dependency failing every call, in time order, over a span in which its clock did
// not step. Once OPEN, nothing passes for the open wait, which lasts at least `min_wait` in true
// time (wait_in_open on a clock running fast), and the wait begins after the last arrival that
// failed; so arrivals closer together than min_wait belong to one episode, and episodes are
// separated by at least min_wait. The first episode holds the failures that open the breaker
// (failures_to_open + concurrent - 1, plus the probes of a half-open episode under way); every
// later one holds only probes: at most permitted_calls_in_half_open.
struct EpisodeExcess {
  std::size_t episode = 0;     // 1-based
  std::uint64_t attempts = 0;  // in that episode
  std::uint64_t allowed = 0;
};
[[nodiscard]] std::optional<EpisodeExcess> probes_beyond_permitted(
    const resilience::CircuitBreakerOptions& options, int concurrent,
    const std::vector<sim::SimTime>& arrivals, Duration min_wait);

}  // namespace faultline::scenarios
