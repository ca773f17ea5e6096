// Result<T>: the value of an operation, or an Error that says who should retry.
//
// Contract
//   - Expected failures (bad input, an unreachable server, a timeout) are returned, never thrown.
//   - The error code answers the question every distributed caller must ask: did the operation
//     happen? `kUnavailable` means it certainly did not (safe to retry as is); `kOutcomeUnknown`
//     means it may have been applied (the request left and no reply came back in time): the
//     caller must either make the retry idempotent or reconcile.
//   - An Error may carry `retry_after`: how long the answerer says to wait before trying again
//     (a rate limiter's refill, a Retry-After header, a lock's remaining lease). It is advice on
//     timing only: it never makes an error retryable that would not otherwise be. A retry policy
//     waits at least that long before its next attempt, and gives up instead if that wait would
//     end at or after the caller's deadline (resilience/retry.h).
//   - Every switch over ErrorCode lists every code, with no `default:` (so -Wswitch names the
//     switches a new code must be added to). Which codes a retry or a breaker acts on is decided
//     once, in resilience/call.h and resilience/retry.h, not by each family.
//   - A Result is [[nodiscard]]: dropping one on the floor is a compile warning.
//   - Accessing value() of an error, or error() of a value, is a programming error (asserted).
//
// Thread-safety: a value type; the usual rules for const/non-const access apply.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace faultline {

enum class ErrorCode {
  // Bad input or configuration; retrying the same call is pointless. The message names the field.
  kInvalidArgument,
  // The operation certainly did not take effect (connection refused, request not sent, server
  // rejected it before applying). Safe to retry.
  kUnavailable,
  // The request may have taken effect: it left, and no reply arrived before the deadline (or the
  // connection broke after it was written). Retry only if the operation is idempotent.
  kOutcomeUnknown,
  // The caller's precondition does not hold (not the owner of a lock, a stale fencing token).
  // Retrying the same call will fail the same way.
  kFailedPrecondition,
  // The deadline passed before the operation could be attempted at all (nothing was sent).
  kDeadlineExceeded,
  // The server answered something this client does not understand: a bug or a version mismatch.
  kProtocol,
  // The resource is held by someone else (a lock owned by another client). Retry later, at a
  // higher level.
  kBusy,
  // A concurrency conflict: an optimistic write lost a race (the version it expected changed).
  // Nothing was applied; retry from a fresh read.
  kAborted,
  // The thing the call names does not exist (a key, a row, an idempotency record). Nothing was
  // applied; the same call fails the same way until someone creates it: not retried.
  kNotFound,
  // The call would create something that already exists (a unique key, an idempotency key
  // already taken). This call applied nothing, so it is not retried. After an earlier attempt
  // whose outcome was unknown, what exists may be that attempt's own work: read it to tell.
  kAlreadyExists,
  // Refused by this process's own protection, never attempted, so nothing happened. Retrying
  // at once would only defeat the protection: a retry policy never retries these.
  kCircuitOpen,   // a circuit breaker is open (or forced open, or out of half-open probes)
  kBulkheadFull,  // a bulkhead has no free slot and no room (or time) to queue
  kRateLimited,   // a rate limiter refused the call
};

[[nodiscard]] constexpr std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kOutcomeUnknown: return "outcome_unknown";
    case ErrorCode::kFailedPrecondition: return "failed_precondition";
    case ErrorCode::kDeadlineExceeded: return "deadline_exceeded";
    case ErrorCode::kProtocol: return "protocol";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kAborted: return "aborted";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kCircuitOpen: return "circuit_open";
    case ErrorCode::kBulkheadFull: return "bulkhead_full";
    case ErrorCode::kRateLimited: return "rate_limited";
  }
  return "?";
}

struct [[nodiscard]] Error {
  ErrorCode code;
  std::string message;
  // When set, wait at least this long before trying again (see the contract). std::chrono, as
  // every duration in the library; nanoseconds, the same type as faultline::Duration.
  std::optional<std::chrono::nanoseconds> retry_after{};

  // True when the operation may have been applied despite the error.
  [[nodiscard]] bool may_have_happened() const noexcept {
    return code == ErrorCode::kOutcomeUnknown || code == ErrorCode::kProtocol;
  }
  [[nodiscard]] std::string to_string() const {
    return std::string(faultline::to_string(code)) + ": " + message;
  }
};

inline Error invalid_argument(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}
inline Error unavailable(std::string message) {
  return Error{ErrorCode::kUnavailable, std::move(message)};
}
inline Error outcome_unknown(std::string message) {
  return Error{ErrorCode::kOutcomeUnknown, std::move(message)};
}
inline Error failed_precondition(std::string message) {
  return Error{ErrorCode::kFailedPrecondition, std::move(message)};
}
inline Error not_found(std::string message) {
  return Error{ErrorCode::kNotFound, std::move(message)};
}
inline Error already_exists(std::string message) {
  return Error{ErrorCode::kAlreadyExists, std::move(message)};
}
// `error` with its retry_after set: `return with_retry_after(unavailable("..."), 250ms);`.
inline Error with_retry_after(Error error, std::chrono::nanoseconds wait) {
  error.retry_after = wait;
  return error;
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  [[nodiscard]] const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  [[nodiscard]] const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  [[nodiscard]] Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

// Result<void> carries no value.
struct Ok {};
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}  // NOLINT: implicit
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit
  [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const Error& error() const& {
    assert(!ok());
    return *error_;
  }
  [[nodiscard]] Error&& error() && {
    assert(!ok());
    return std::move(*error_);
  }

 private:
  // Empty on success, so that a success is a flag to build, move and destroy, not an Error and
  // its string: validation returns one from every check of every call.
  std::optional<Error> error_;
};

}  // namespace faultline
