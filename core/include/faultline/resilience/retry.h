// Retry: run an operation again after a failure that a retry can fix, with backoff, within a
// bounded number of attempts, a bounded total time and the caller's deadline, and optionally
// within a retry budget shared with other callers.
//
// Contract
//   - Which failures are retried. Never, whatever the options say: local refusals
//     (kCircuitOpen, kBulkheadFull, kRateLimited: retrying would defeat the protection that
//     refused) and caller errors (kInvalidArgument, kFailedPrecondition, kNotFound,
//     kAlreadyExists: the 4xx of HTTP; the same request fails the same way). For the other codes, `retryable` decides if set;
//     otherwise default_retryable(): kUnavailable and kAborted yes (nothing was applied),
//     kOutcomeUnknown only when `idempotent` (the first attempt may have been applied), the rest
//     no. A successful result can also be retried, by a predicate passed to execute() (a "try
//     again later" answer); when attempts run out, that last result is returned as is.
//   - Retry-after. When the failed attempt's Error carries `retry_after`, the sleep before the
//     next attempt is at least that long: max(backoff delay, retry_after). The bounds below
//     apply to that longer sleep, so a retry-after that would end at or after the deadline (or
//     max_total) makes the retry give up at once, saying so, rather than retry early or sleep
//     past the deadline. A retry-after never makes a non-retryable error retryable, with one
//     opt-in exception: with `honour_rate_limit`, a kRateLimited refusal that carries a
//     retry_after is retried after it (never sooner, and never blindly: a refusal without one,
//     a cost that can never be allowed, is not retried).
//   - Bounds. At most `max_attempts` attempts. Never sleeps past the caller's deadline, nor past
//     `max_total` from the start of the call: if the next sleep would end at or after either,
//     it gives up at once rather than sleep and fail. Each attempt is told the deadline
//     (CallContext) and must honour it.
//   - With a RetryBudget, every call deposits in it and every retry spends from it; a retry the
//     budget refuses is not made.
//   - What a caller gets when it gives up: the last attempt's error, same code (so
//     kOutcomeUnknown still says "may have happened"), its message extended with the number of
//     attempts and why it stopped.
//   - Events: every retry (attempt, delay, error) and every give-up (reason), to a listener.
//
// Ownership: references the Clock, Random and RetryBudget, which must outlive it. A call to
// execute() refers to this Retry until it finishes: keep the Retry alive and in place meanwhile.
// `op` is copied into the call; with g++ 12, pass a named lambda rather than a temporary one
// that captures strings (ARCHITECTURE.md: temporaries in a co_await operand).
// Thread-safety: none; one executor.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "faultline/clock.h"
#include "faultline/random.h"
#include "faultline/resilience/backoff.h"
#include "faultline/resilience/call.h"
#include "faultline/resilience/retry_budget.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::resilience {

// The default retry classification of an error a retry may consider (see the contract).
// Lists every code (no `default:`): a new code must be placed here, once, for every family.
[[nodiscard]] constexpr bool default_retryable(ErrorCode code, bool idempotent) noexcept {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kAborted:
      return true;
    case ErrorCode::kOutcomeUnknown:
      return idempotent;
    case ErrorCode::kDeadlineExceeded:  // the caller's time is up: another attempt cannot fit
    case ErrorCode::kProtocol:          // a bug or version mismatch: it would answer the same
    case ErrorCode::kBusy:              // held by someone else: retried at a higher level
    case ErrorCode::kInvalidArgument:   // caller errors and local refusals: never_retried()
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kCircuitOpen:
    case ErrorCode::kBulkheadFull:
    case ErrorCode::kRateLimited:
      return false;
  }
  return false;  // not reached: the switch lists every code
}

struct RetryOptions {
  int max_attempts = 3;                    // attempts in all, the first included: [1, 1000]
  Duration max_total = Duration::max();    // from the first attempt's start, sleeps included
  BackoffOptions backoff{};                // full jitter, 100ms .. 10s
  bool idempotent = false;                 // may an attempt that may have happened be repeated?
  bool honour_rate_limit = false;          // retry kRateLimited after its retry_after (above)
  // Overrides default_retryable() for the codes that are not never_retried().
  std::function<bool(const Error&)> retryable{};
};

enum class RetryEventKind : std::uint8_t {
  kRetry,   // attempt `attempt` failed; sleeping `delay`, then attempt + 1
  kGaveUp,  // attempt `attempt` failed and there will be no other; `reason` says why
};

struct RetryEvent {
  RetryEventKind kind;
  int attempt;
  Duration delay;               // kRetry only
  const Error* error;           // the failure (null when a result predicate asked for the retry)
  std::string_view reason;      // kGaveUp only
};

class Retry {
 public:
  using Listener = std::function<void(const RetryEvent&)>;

  // kInvalidArgument naming the field: max_attempts outside [1, 1000], max_total <= 0, bad
  // backoff (see Backoff::create).
  [[nodiscard]] static Result<Retry> create(Clock& clock, Random& random, RetryOptions options,
                                            RetryBudget* budget = nullptr);

  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // The step shared by execute() and Pipeline: attempt `attempt` (>= 1) failed at `now`.
  // Returns the sleep before the next attempt, or nothing (then `why_not` says why). Draws the
  // jitter, checks the bounds, spends from the budget; emits the event.
  struct Decision {
    std::optional<Duration> delay;
    std::string why_not;
  };
  [[nodiscard]] Decision after_failure(const Error* error, int attempt, Duration previous_delay,
                                       TimePoint started, TimePoint deadline);
  // A call begins (deposits in the budget).
  void on_call() noexcept {
    if (budget_ != nullptr) budget_->on_call();
  }
  [[nodiscard]] bool retryable(const Error& error) const;

  // Runs `op(const CallContext&) -> Task<Result<T>>` under this policy. `retry_result(const T&)`
  // may ask for a successful result to be retried.
  template <class T, class Op>
  Task<Result<T>> execute(Op op, TimePoint deadline = TimePoint::max()) {
    return execute<T>(std::move(op), NoValueIsFailure{}, deadline);
  }
  template <class T, class Op, class RetryResult>
  Task<Result<T>> execute(Op op, RetryResult retry_result, TimePoint deadline);

  [[nodiscard]] const RetryOptions& options() const noexcept { return options_; }
  [[nodiscard]] Clock& clock() const noexcept { return *clock_; }

 private:
  Retry(Clock& clock, Random& random, RetryOptions options, Backoff backoff, RetryBudget* budget)
      : clock_(&clock), random_(&random), options_(std::move(options)), backoff_(backoff),
        budget_(budget) {}
  void emit(const RetryEvent& event) const {
    if (listener_) listener_(event);
  }

  Clock* clock_;
  Random* random_;
  RetryOptions options_;
  Backoff backoff_;
  RetryBudget* budget_;
  Listener listener_;
};

// The message of an error a retry gave up on.
[[nodiscard]] Error gave_up(Error error, int attempts, std::string_view why);

template <class T, class Op, class RetryResult>
Task<Result<T>> Retry::execute(Op op, RetryResult retry_result, TimePoint deadline) {
  on_call();
  // The start is needed only to enforce max_total; a clock read is a fifth of this call's cost.
  const TimePoint started =
      options_.max_total != Duration::max() ? clock_->now() : TimePoint{};
  // Attempts end by max_total too, not only the sleeps between them.
  if (options_.max_total != Duration::max()) {
    deadline = std::min(deadline, add_saturating(started, options_.max_total));
  }
  Duration previous = Duration::zero();
  for (int attempt = 1;; ++attempt) {
    const CallContext context{deadline, attempt};
    Result<T> result = co_await op(context);
    const Error* error = result.ok() ? nullptr : &result.error();
    if (result.ok() && !value_is_failure(retry_result, result)) co_return result;
    Decision decision = after_failure(error, attempt, previous, started, deadline);
    if (!decision.delay) {
      if (result.ok()) co_return result;
      co_return gave_up(std::move(result).error(), attempt, decision.why_not);
    }
    previous = *decision.delay;
    co_await clock_->sleep_for(previous);
  }
}

}  // namespace faultline::resilience
