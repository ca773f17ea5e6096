// Backoff: how long to sleep before each retry.
//
// The strategies are those of the AWS Architecture Blog's "Exponential Backoff And Jitter"
// (Marc Brooker, 2015), with n the retry number (1 before the first retry, 2 before the second):
//   kNone                0: retry at once
//   kConstant            base
//   kExponential         min(cap, base * 2^n)
//   kFullJitter          uniform in [0, min(cap, base * 2^n)]
//   kEqualJitter         e/2 + uniform in [0, e/2], e = min(cap, base * 2^n)
//   kDecorrelatedJitter  min(cap, uniform in [base, 3 * previous sleep]), the previous sleep of
//                        the first retry taken to be base
//   kUniform             uniform in [base, cap], whatever n: no growth (Redlock's "random
//                        delay" between tries; with base 0, full jitter without the ramp)
// Jitter spreads clients that failed together apart in time, so they stop colliding; the study
// (reproduced by the `backoff/contention` scenario) shows full and decorrelated jitter doing the
// least work. Full jitter is the default.
//
// Contract
//   - Backoff::create rejects bad options with kInvalidArgument naming the field: negative base,
//     cap below base, a zero cap for any strategy but kNone. BackoffOptions::validate() is the
//     same check, for options embedded in another pattern's (LeaseLock, Redlock, Retry).
//   - delay() is pure but for its draws from `random`: the same generator state gives the same
//     sleep, identically on every platform (our own distributions, no std:: ones). It never
//     overflows, whatever n.
//
// Thread-safety: a value; delay() is const (the Random passed in is not thread-safe).
#pragma once

#include <cstdint>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/random.h"
#include "faultline/result.h"

namespace faultline::resilience {

enum class BackoffStrategy : std::uint8_t {
  kNone,
  kConstant,
  kExponential,
  kFullJitter,
  kEqualJitter,
  kDecorrelatedJitter,
  kUniform,
};

[[nodiscard]] std::string_view to_string(BackoffStrategy strategy) noexcept;

struct BackoffOptions {
  BackoffStrategy strategy = BackoffStrategy::kFullJitter;
  Duration base = std::chrono::milliseconds(100);
  Duration cap = std::chrono::seconds(10);

  // Ok, or kInvalidArgument naming the first offending field ("backoff.base", "backoff.cap").
  [[nodiscard]] Result<void> validate() const;
};

class Backoff {
 public:
  [[nodiscard]] static Result<Backoff> create(BackoffOptions options);

  // The sleep before retry number `retry` (>= 1). `previous` is the sleep before the previous
  // retry (only kDecorrelatedJitter reads it; pass zero before the first retry).
  [[nodiscard]] Duration delay(Random& random, int retry, Duration previous) const;

  [[nodiscard]] const BackoffOptions& options() const noexcept { return options_; }

 private:
  explicit Backoff(BackoffOptions options) : options_(options) {}
  BackoffOptions options_;
};

// min(cap, base * 2^exponent), without overflow (base >= 0, cap >= base, exponent >= 0).
[[nodiscard]] Duration exponential_ceiling(Duration base, Duration cap, int exponent) noexcept;

}  // namespace faultline::resilience
