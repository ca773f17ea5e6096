// RetryBudget: caps retries to a fraction of calls, across every caller that shares it, so that
// retries cannot multiply the load on a dependency that is already failing (Finagle's
// RetryBudget; the AWS SDKs' retry quota).
//
// A token bucket in whole retries, kept in millitokens so fractions add up exactly:
//   - every call (first attempt) deposits `ratio` of a retry;
//   - the bucket also fills at `min_per_second` retries per second of this clock, so that a
//     caller with little traffic can still retry now and then;
//   - a retry takes one whole retry, or is refused if there is not one;
//   - the balance never exceeds `max_balance` (a burst allowance), nor starts above it.
// Hence, over any interval of length T in which C calls were made:
//     retries <= max_balance + ratio * C + min_per_second * T        (retry_bound())
// which the `retry/storm` scenario checks against the simulated dependency's load.
//
// Contract
//   - create() rejects, naming the field: ratio outside [0, 1000], negative min_per_second or
//     one above 1e6, max_balance outside [1, 1e9].
//   - Refusals are reported by the retry policy as the attempt's own error, with a note; the
//     budget itself never throws and never blocks.
//
// Ownership: holds a reference to the Clock, which must outlive it. Shared by reference between
// the retry policies that draw on it.
// Thread-safety: none; use it from one executor.
#pragma once

#include <cstdint>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline::resilience {

struct RetryBudgetOptions {
  double ratio = 0.1;           // retries earned per call
  double min_per_second = 10;   // retries earned per second regardless of calls
  double max_balance = 100;     // at most this many retries saved up; also the starting balance
};

struct RetryBudgetMetrics {
  std::uint64_t calls = 0;            // deposits
  std::uint64_t retries_allowed = 0;
  std::uint64_t retries_refused = 0;
  double balance = 0;                 // retries available now
};

class RetryBudget {
 public:
  [[nodiscard]] static Result<RetryBudget> create(Clock& clock, RetryBudgetOptions options);

  // A call's first attempt: earns `ratio` of a retry.
  void on_call() noexcept;
  // A retry wants to go ahead: true (and one retry is spent) if the budget has one.
  [[nodiscard]] bool try_spend() noexcept;

  [[nodiscard]] RetryBudgetMetrics metrics() const noexcept;
  [[nodiscard]] const RetryBudgetOptions& options() const noexcept { return options_; }

  // The most retries the budget can allow over `elapsed` in which `calls` calls were made.
  [[nodiscard]] static double retry_bound(const RetryBudgetOptions& options, std::uint64_t calls,
                                          Duration elapsed) noexcept;

 private:
  RetryBudget(Clock& clock, RetryBudgetOptions options);
  void refill() noexcept;

  static constexpr std::int64_t kMilli = 1000;  // millitokens per retry

  Clock* clock_;
  RetryBudgetOptions options_;
  double per_call_milli_;            // ratio in millitokens
  double deposit_carry_milli_ = 0;   // fractions of a millitoken deposited, not yet credited
  std::int64_t max_milli_;           // max_balance in millitokens
  double per_second_milli_;          // min_per_second in millitokens
  std::int64_t balance_milli_;
  TimePoint refilled_at_;
  double refill_carry_milli_ = 0;    // fractions of a millitoken not yet credited
  RetryBudgetMetrics metrics_;
};

}  // namespace faultline::resilience
