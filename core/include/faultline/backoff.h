// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
//
// full_jitter(random, base, cap, attempt) is uniform in [0, min(cap, base * 2^attempt)].
// Full jitter spreads retrying clients apart, so they do not stampede the server in lockstep.
// attempt counts from 0; the exponent is clamped so the arithmetic cannot overflow.
#pragma once

#include <algorithm>
#include <cassert>

#include "faultline/clock.h"
#include "faultline/random.h"

namespace faultline {

[[nodiscard]] inline Duration full_jitter(Random& random, Duration base, Duration cap,
                                          int attempt) {
  assert(base.count() >= 0);
  assert(cap >= base);
  assert(attempt >= 0);
  constexpr int kMaxShift = 32;  // 2^32 * base exceeds any sane cap; avoids overflow
  const int shift = std::min(attempt, kMaxShift);
  Duration ceiling = cap;
  if (base.count() > 0 && base.count() <= (cap.count() >> shift)) {
    ceiling = base * (std::int64_t{1} << shift);
  }
  return uniform_duration(random, Duration::zero(), ceiling);
}

}  // namespace faultline
