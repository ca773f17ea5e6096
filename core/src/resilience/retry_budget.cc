#include "faultline/resilience/retry_budget.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "faultline/validate.h"

namespace faultline::resilience {
Result<RetryBudget> RetryBudget::create(Clock& clock, RetryBudgetOptions options) {
  if (auto r = check_real_range("retry_budget.ratio", options.ratio, 0, 1000, "retries per call");
      !r) {
    return std::move(r).error();
  }
  if (auto r = check_real_range("retry_budget.min_per_second", options.min_per_second, 0, 1e6);
      !r) {
    return std::move(r).error();
  }
  if (auto r = check_real_range("retry_budget.max_balance", options.max_balance, 1, 1e9, "retries");
      !r) {
    return std::move(r).error();
  }
  return RetryBudget(clock, options);
}

RetryBudget::RetryBudget(Clock& clock, RetryBudgetOptions options)
    : clock_(&clock),
      options_(options),
      per_call_milli_(options.ratio * kMilli),
      // Rounded down, as are deposits (the carry keeps their fractions): rounding up would let
      // the budget allow more than retry_bound() promises.
      max_milli_(static_cast<std::int64_t>(std::floor(options.max_balance * kMilli))),
      per_second_milli_(options.min_per_second * kMilli),
      balance_milli_(max_milli_),
      refilled_at_(clock.now()) {}

void RetryBudget::refill() noexcept {
  const TimePoint now = clock_->now();
  if (now <= refilled_at_) return;  // a clock stepped back earns nothing
  const double seconds = std::chrono::duration<double>(now - refilled_at_).count();
  refilled_at_ = now;
  refill_carry_milli_ += seconds * per_second_milli_;
  const double whole = std::floor(refill_carry_milli_);
  refill_carry_milli_ -= whole;
  const double room = static_cast<double>(max_milli_ - balance_milli_);
  balance_milli_ += static_cast<std::int64_t>(std::min(whole, room));
  assert(balance_milli_ <= max_milli_);
}

void RetryBudget::on_call() noexcept {
  ++metrics_.calls;
  deposit_carry_milli_ += per_call_milli_;
  const double whole = std::floor(deposit_carry_milli_);
  deposit_carry_milli_ -= whole;
  const double room = static_cast<double>(max_milli_ - balance_milli_);
  balance_milli_ += static_cast<std::int64_t>(std::min(whole, room));
}

bool RetryBudget::try_spend() noexcept {
  refill();
  if (balance_milli_ < kMilli) {
    ++metrics_.retries_refused;
    return false;
  }
  balance_milli_ -= kMilli;
  ++metrics_.retries_allowed;
  return true;
}

RetryBudgetMetrics RetryBudget::metrics() const noexcept {
  RetryBudgetMetrics out = metrics_;
  out.balance = static_cast<double>(balance_milli_) / kMilli;
  return out;
}

double RetryBudget::retry_bound(const RetryBudgetOptions& options, std::uint64_t calls,
                                Duration elapsed) noexcept {
  const double seconds = std::max(0.0, std::chrono::duration<double>(elapsed).count());
  return options.max_balance + options.ratio * static_cast<double>(calls) +
         options.min_per_second * seconds;
}

}  // namespace faultline::resilience
