// The vocabulary the resilience patterns share: what a guarded operation is told (its deadline,
// which attempt it is), and how an outcome is judged.
//
// Contract
//   - An operation run under a pipeline (pipeline.h) or a retry (retry.h) receives a
//     CallContext and must finish by its deadline: every faultline remote call takes a timeout,
//     so pass it `remaining(clock.now())`.
//   - Error codes fall in three groups for these patterns (result.h has each code's meaning):
//       local refusals  kCircuitOpen, kBulkheadFull, kRateLimited: our own protection said no;
//                       nothing was attempted. Never retried, never held against a dependency.
//       caller errors   kInvalidArgument, kFailedPrecondition, kNotFound, kAlreadyExists: the
//                       request itself is wrong, or wrong for the state it met (the 4xx of
//                       HTTP: 400, 412, 404, 409). Retrying the same request fails the same
//                       way: never retried; by default not held against the dependency either.
//       the rest        judged by the pattern's classifier (breaker: failure or ignored; retry:
//                       retryable or not).
//   - The switches below list every code (no `default:`), so a new code does not compile
//     -Wall-clean until it is placed in a group here.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <type_traits>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline::resilience {

struct CallContext {
  TimePoint deadline = TimePoint::max();  // on the caller's clock
  int attempt = 1;                        // 1 for the first try, 2 for the first retry, ...

  // Time left before the deadline (zero or negative once it has passed).
  [[nodiscard]] Duration remaining(TimePoint now) const noexcept {
    if (deadline == TimePoint::max()) return Duration::max();
    return deadline - now;
  }
};

// How one outcome counts for a circuit breaker's health window.
enum class OutcomeKind : std::uint8_t {
  kSuccess,
  kFailure,
  kIgnored,  // counted neither way (and not at all in the window)
};

[[nodiscard]] constexpr bool is_local_refusal(ErrorCode code) noexcept {
  return code == ErrorCode::kCircuitOpen || code == ErrorCode::kBulkheadFull ||
         code == ErrorCode::kRateLimited;
}

[[nodiscard]] constexpr bool is_caller_error(ErrorCode code) noexcept {
  return code == ErrorCode::kInvalidArgument || code == ErrorCode::kFailedPrecondition ||
         code == ErrorCode::kNotFound || code == ErrorCode::kAlreadyExists;
}

// Never retried, whatever a retry's classifier says: retrying cannot help (caller errors) or
// would defeat a protection that just refused (local refusals).
[[nodiscard]] constexpr bool never_retried(ErrorCode code) noexcept {
  return is_local_refusal(code) || is_caller_error(code);
}

// The default breaker classification of an error: the dependency failed (it was unreachable,
// timed out, or answered garbage), or the outcome says nothing about its health (it answered,
// just not what the caller hoped: busy, a lost race; or we refused locally; or the request was
// wrong).
[[nodiscard]] constexpr OutcomeKind default_breaker_outcome(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kOutcomeUnknown:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kProtocol:
      return OutcomeKind::kFailure;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kBusy:
    case ErrorCode::kAborted:
    case ErrorCode::kCircuitOpen:
    case ErrorCode::kBulkheadFull:
    case ErrorCode::kRateLimited:
      return OutcomeKind::kIgnored;
  }
  return OutcomeKind::kIgnored;  // not reached: the switch lists every code
}

// The default "is this successful result a failure?": never.
struct NoValueIsFailure {
  template <class V>
  constexpr bool operator()(const V&) const noexcept {
    return false;
  }
};

// is_failure(value) for a successful Result<T>; false for an error and for Result<void>, which
// has no value to judge.
template <class T, class IsFailure>
[[nodiscard]] bool value_is_failure(IsFailure& is_failure, const Result<T>& result) {
  if constexpr (std::is_void_v<T>) {
    return false;
  } else {
    return result.ok() && is_failure(result.value());
  }
}

}  // namespace faultline::resilience
