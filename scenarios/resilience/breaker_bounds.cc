#include "scenarios/resilience/breaker_bounds.h"

#include <algorithm>
#include <cmath>

#include "faultline/invariant.h"

namespace faultline::scenarios {

std::uint64_t failures_to_open(const resilience::CircuitBreakerOptions& options) {
  FAULTLINE_INVARIANT(options.window_kind == resilience::WindowKind::kCountBased,
                      "the bounds are derived for a count-based window only");
  const auto by_rate = static_cast<std::uint64_t>(
      std::ceil(options.window_size * options.failure_rate_threshold / 100.0));
  return std::max<std::uint64_t>(options.minimum_calls, by_rate);
}

std::uint64_t outage_attempt_bound(const resilience::CircuitBreakerOptions& options,
                                   int concurrent, Duration on_clock) {
  FAULTLINE_INVARIANT(concurrent >= 1, "at least one concurrent caller");
  std::uint64_t episodes = 2;
  Duration spent = Duration::zero();
  for (Duration wait = options.wait_in_open; spent + wait <= on_clock; ++episodes) {
    spent += wait;
    wait = std::min(options.max_wait_in_open,
                    std::chrono::duration_cast<Duration>(wait * options.wait_multiplier));
  }
  return failures_to_open(options) + static_cast<std::uint64_t>(concurrent - 1) +
         options.permitted_calls_in_half_open * episodes;
}

std::optional<EpisodeExcess> probes_beyond_permitted(
    const resilience::CircuitBreakerOptions& options, int concurrent,
    const std::vector<sim::SimTime>& arrivals, Duration min_wait) {
  const std::uint64_t first_allowed = failures_to_open(options) +
                                      static_cast<std::uint64_t>(concurrent - 1) +
                                      options.permitted_calls_in_half_open;
  std::size_t episode = 0;
  std::uint64_t in_episode = 0;
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    if (i == 0 || arrivals[i] - arrivals[i - 1] >= min_wait) {
      ++episode;
      in_episode = 0;
    }
    ++in_episode;
    const std::uint64_t allowed =
        episode == 1 ? first_allowed : options.permitted_calls_in_half_open;
    if (in_episode > allowed) return EpisodeExcess{episode, in_episode, allowed};
  }
  return std::nullopt;
}

}  // namespace faultline::scenarios
