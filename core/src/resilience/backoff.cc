#include "faultline/resilience/backoff.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::resilience {

std::string_view to_string(BackoffStrategy strategy) noexcept {
  switch (strategy) {
    case BackoffStrategy::kNone: return "none";
    case BackoffStrategy::kConstant: return "constant";
    case BackoffStrategy::kExponential: return "exponential";
    case BackoffStrategy::kFullJitter: return "full_jitter";
    case BackoffStrategy::kEqualJitter: return "equal_jitter";
    case BackoffStrategy::kDecorrelatedJitter: return "decorrelated_jitter";
    case BackoffStrategy::kUniform: return "uniform";
  }
  return "?";
}

Result<Backoff> Backoff::create(BackoffOptions options) {
  if (Result<void> valid = options.validate(); !valid.ok()) return std::move(valid).error();
  return Backoff(options);
}

Result<void> BackoffOptions::validate() const {
  if (base < Duration::zero())
    return field_error("backoff.base", duration_text(base), "must be >= 0");
  if (cap < base) {
    return field_error("backoff.cap", duration_text(cap),
                       "must be >= backoff.base (" + duration_text(base) + ")");
  }
  if (strategy != BackoffStrategy::kNone && cap <= Duration::zero()) {
    return field_error("backoff.cap", "0", "must be > 0 (use strategy none for no sleep)");
  }
  if (strategy > BackoffStrategy::kUniform) {
    return field_error("backoff.strategy", std::to_string(static_cast<int>(strategy)), "unknown");
  }
  return Ok{};
}

Duration exponential_ceiling(Duration base, Duration cap, int exponent) noexcept {
  assert(base >= Duration::zero() && cap >= base && exponent >= 0);
  // 2^62 * 1ns already exceeds any cap a caller could mean; clamping keeps the shift defined.
  constexpr int kMaxShift = 62;
  if (base.count() == 0) return Duration::zero();
  if (exponent > kMaxShift) return cap;  // base * 2^exponent >= 2^63 ns: past any cap
  const int shift = exponent;
  if (base.count() > (cap.count() >> shift)) return cap;  // base * 2^shift would pass the cap
  return base * (std::int64_t{1} << shift);
}

Duration Backoff::delay(Random& random, int retry, Duration previous) const {
  assert(retry >= 1);
  const Duration base = options_.base;
  const Duration cap = options_.cap;
  switch (options_.strategy) {
    case BackoffStrategy::kNone:
      return Duration::zero();
    case BackoffStrategy::kConstant:
      return base;
    case BackoffStrategy::kExponential:
      return exponential_ceiling(base, cap, retry);
    case BackoffStrategy::kFullJitter:
      return uniform_duration(random, Duration::zero(), exponential_ceiling(base, cap, retry));
    case BackoffStrategy::kEqualJitter: {
      const Duration half = exponential_ceiling(base, cap, retry) / 2;
      return half + uniform_duration(random, Duration::zero(), half);
    }
    case BackoffStrategy::kDecorrelatedJitter: {
      const Duration last = previous > Duration::zero() ? previous : base;
      // 3 * last, saturating at cap (the result is capped anyway).
      const Duration upper = last.count() > cap.count() / 3 ? cap : last * 3;
      return std::min(cap, uniform_duration(random, base, std::max(base, upper)));
    }
    case BackoffStrategy::kUniform:
      return uniform_duration(random, base, cap);
  }
  assert(false && "unknown backoff strategy");
  return Duration::zero();
}

}  // namespace faultline::resilience
