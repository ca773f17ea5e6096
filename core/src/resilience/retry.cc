#include "faultline/resilience/retry.h"

#include <string>
#include "faultline/validate.h"

namespace faultline::resilience {

Result<Retry> Retry::create(Clock& clock, Random& random, RetryOptions options,
                            RetryBudget* budget) {
  if (auto r = check_range("retry.max_attempts", options.max_attempts, 1, 1000); !r) {
    return std::move(r).error();
  }
  if (auto r = check_positive("retry.max_total", options.max_total); !r) {
    return std::move(r).error();
  }
  Result<Backoff> backoff = Backoff::create(options.backoff);
  if (!backoff.ok()) {
    return invalid_argument("retry." + std::move(backoff).error().message);
  }
  return Retry(clock, random, std::move(options), *backoff, budget);
}

bool Retry::retryable(const Error& error) const {
  if (error.code == ErrorCode::kRateLimited && options_.honour_rate_limit) {
    return error.retry_after.has_value();
  }
  if (never_retried(error.code)) return false;
  if (options_.retryable) return options_.retryable(error);
  return default_retryable(error.code, options_.idempotent);
}

Retry::Decision Retry::after_failure(const Error* error, int attempt, Duration previous_delay,
                                     TimePoint started, TimePoint deadline) {
  const auto stop = [&](std::string why) {
    emit(RetryEvent{RetryEventKind::kGaveUp, attempt, Duration::zero(), error, why});
    return Decision{std::nullopt, std::move(why)};
  };
  if (error != nullptr && !retryable(*error)) {
    return stop(std::string("not retryable (") + std::string(to_string(error->code)) + ")");
  }
  if (attempt >= options_.max_attempts) {
    return stop("max_attempts (" + std::to_string(options_.max_attempts) + ") reached");
  }
  Duration delay = backoff_.delay(*random_, attempt, previous_delay);
  // The answerer's retry-after is a floor on the sleep: retrying sooner would be refused again.
  const bool told_to_wait =
      error != nullptr && error->retry_after.has_value() && *error->retry_after > delay;
  if (told_to_wait) delay = *error->retry_after;
  const TimePoint now = clock_->now();
  // Never sleep into a deadline: an attempt that would start at or after it cannot succeed.
  // (Saturating: neither a huge cap nor a skewed clock may wrap the comparison.)
  if (deadline != TimePoint::max() && deadline <= add_saturating(now, delay)) {
    return stop(told_to_wait ? "the retry-after would end after the deadline"
                             : "the next attempt would start after the deadline");
  }
  if (options_.max_total != Duration::max() &&
      add_saturating(started, options_.max_total) <= add_saturating(now, delay)) {
    return stop(told_to_wait ? "the retry-after would end after max_total"
                             : "the next attempt would start after max_total");
  }
  if (budget_ != nullptr && !budget_->try_spend()) return stop("retry budget exhausted");
  emit(RetryEvent{RetryEventKind::kRetry, attempt, delay, error, {}});
  return Decision{delay, {}};
}

Error gave_up(Error error, int attempts, std::string_view why) {
  error.message += " (gave up after " + std::to_string(attempts) +
                   (attempts == 1 ? " attempt: " : " attempts: ") + std::string(why) + ")";
  return error;
}

}  // namespace faultline::resilience
