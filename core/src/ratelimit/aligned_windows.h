// Fixed windows shared by the fixed-window and sliding-counter algorithms: aligned on multiples
// of the window since the instants' epoch, so every process (and the store) agrees on them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "faultline/ratelimit/decision.h"

namespace faultline::ratelimit::detail {

struct WindowAt {
  std::int64_t index{0};           // floor(now / window)
  Micros elapsed{Micros::zero()};  // now - index * window, in [0, window)
};

inline WindowAt window_at(Instant now, Micros window) {
  const std::int64_t t = now.time_since_epoch().count();
  const std::int64_t w = window.count();
  const std::int64_t index = t / w - (t % w < 0 ? 1 : 0);
  return {.index = index, .elapsed = Micros(t - index * w)};
}

}  // namespace faultline::ratelimit::detail
