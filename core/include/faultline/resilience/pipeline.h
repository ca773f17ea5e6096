// Pipeline: timeout, retry (with an optional budget), rate limiter, bulkhead and circuit breaker
// around one operation, always composed in one order, so that they cannot be combined wrongly.
//
// The order, outermost first, and why each stage sits where it does:
//   1. timeout          the caller's bound on the whole call, sleeps and retries included. Its
//                       deadline (the earlier of it and the caller's own) reaches every stage.
//   2. retry            outside the protections, so that each attempt asks them again: a
//                       circuit that opens half way through a retry sequence stops it at once.
//                       It never retries their refusals (kCircuitOpen, kBulkheadFull,
//                       kRateLimited) nor caller errors, whatever its classifier says (retry.h):
//                       the catalogue's "retry outside the breaker retries the open circuit"
//                       cannot happen here. Its sleeps hold no bulkhead slot and no probe.
//                       It honours a refusal's retry_after only when told to
//                       (RetryOptions::honour_rate_limit).
//   3. rate limiter     each attempt is charged (each is a call the dependency sees), inside the
//                       retry so that retries cannot exceed the limit. A refusal is
//                       kRateLimited carrying the limiter's retry_after (none when the cost can
//                       never be allowed); the limiter's own outage policy decides when its
//                       store is away (rate_limiter.h), and failing closed is kUnavailable,
//                       never kRateLimited. The check is bounded by the attempt's deadline
//                       (an attempt whose deadline passed during it is not started). Before
//                       the bulkhead: a refused attempt holds no slot and waits in no queue.
//   4. bulkhead         a slot per attempt (waiting in the tier's queue if the options allow),
//                       held only while the attempt runs.
//   5. circuit breaker  judges each attempt, not each call: its window sees the dependency's real
//                       failure rate, and a half-open probe is one attempt. Inside the bulkhead,
//                       so time spent queueing is not counted as the dependency's slowness.
//   6. attempt timeout  the deadline of one attempt, passed to the operation.
// Any stage may be left out. The Resilience4j documentation recommends the same nesting
// (Retry(CircuitBreaker(Bulkhead(call)))).
//
// Timeouts are cooperative (Polly's "optimistic" timeout): the operation is told its deadline in
// the CallContext and must honour it, as every faultline remote call does (pass it
// `context.remaining(clock.now())`). A coroutine cannot be abandoned safely half way, so a
// pipeline does not try; an attempt whose deadline has already passed is not started
// (kDeadlineExceeded).
//
// Contract
//   - create() checks the options: timeouts > 0, a valid RetryOptions (retry.h), a retry budget
//     only with a retry; kInvalidArgument naming the field.
//   - execute<T>(op) runs `op(const CallContext&) -> Task<Result<T>>` and returns its result, the
//     refusal of a stage, or (after retries) the last error, with the codes of result.h intact.
//     An optional `is_failure(const T&)` makes a successful result count as a failure for the
//     breaker and a reason to retry.
//
// Ownership: borrows the clock, the random source, the breaker, the bulkhead and the budget;
// each must outlive every call. A Pipeline is a small value that may be copied, but a call in
// progress refers to the Pipeline it was started on: keep that one alive and in place until
// the call finishes. `op` is copied into the call; with g++ 12, pass a named lambda rather than
// a temporary one that captures strings (ARCHITECTURE.md: temporaries in a co_await operand).
// Thread-safety: none; one executor.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/clock.h"
#include "faultline/random.h"
#include "faultline/ratelimit/rate_limiter.h"
#include "faultline/resilience/bulkhead.h"
#include "faultline/resilience/call.h"
#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/retry.h"
#include "faultline/resilience/retry_budget.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::resilience {

// The rate limiter's stage: which budgets an attempt charges (one key per tier of the limiter,
// rate_limiter.h) and how many units. Off while `limiter` is null.
struct RateLimitStage {
  ratelimit::RateLimiter* limiter = nullptr;
  std::vector<std::string> keys{};
  std::int64_t cost = 1;
};

// The attempt's admission by the rate limiter: Ok, or kRateLimited naming the violated tiers
// with the verdict's retry_after, or the limiter's own error.
[[nodiscard]] Result<void> admission(const RateLimitStage& stage, Result<ratelimit::Verdict> verdict);

struct PipelineOptions {
  std::optional<Duration> timeout{};         // 1. the whole call
  std::optional<RetryOptions> retry{};       // 2.
  RetryBudget* retry_budget = nullptr;       //    shared by the retries of many pipelines
  RateLimitStage rate_limit{};               // 3.
  Bulkhead* bulkhead = nullptr;              // 4.
  Tier tier = Tier::kStandard;
  bool bulkhead_queue = true;                //    wait in the tier's queue, or fail fast
  CircuitBreaker* circuit_breaker = nullptr;  // 5.
  std::optional<Duration> attempt_timeout{};  // 6. each attempt
};

class Pipeline {
 public:
  [[nodiscard]] static Result<Pipeline> create(Clock& clock, Random& random,
                                               PipelineOptions options);

  template <class T, class Op>
  Task<Result<T>> execute(Op op, TimePoint deadline = TimePoint::max()) {
    return execute<T>(std::move(op), NoValueIsFailure{}, deadline);
  }
  template <class T, class Op, class IsFailure>
  Task<Result<T>> execute(Op op, IsFailure is_failure, TimePoint deadline);

  [[nodiscard]] const PipelineOptions& options() const noexcept { return options_; }

 private:
  Pipeline(Clock& clock, PipelineOptions options, std::optional<Retry> retry)
      : clock_(&clock), options_(std::move(options)), retry_(std::move(retry)) {}

  Clock* clock_;
  PipelineOptions options_;
  std::optional<Retry> retry_;
};

// One coroutine for the whole call, the stages inline: a coroutine frame per stage would cost
// more than the stages themselves (bench/resilience_bench.cc).
// g++ 12 warns that this coroutine's frame is freed by a mismatched operator delete when its
// ramp is inlined into a caller: the frame is allocated and freed by Asio's recycling allocator
// (aligned_alloc, then free), which the warning does not follow. A false positive, silenced
// for this definition only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
template <class T, class Op, class IsFailure>
Task<Result<T>> Pipeline::execute(Op op, IsFailure is_failure, TimePoint deadline) {
  const bool timed = options_.timeout.has_value() || options_.attempt_timeout.has_value() ||
                     deadline != TimePoint::max() ||
                     (retry_ && retry_->options().max_total != Duration::max());
  const TimePoint started = timed ? clock_->now() : TimePoint{};
  if (options_.timeout) deadline = std::min(deadline, add_saturating(started, *options_.timeout));
  // Attempts end by max_total too, not only the sleeps between them.
  if (retry_ && retry_->options().max_total != Duration::max()) {
    deadline = std::min(deadline, add_saturating(started, retry_->options().max_total));
  }
  if (retry_) retry_->on_call();
  Duration previous = Duration::zero();
  for (int number = 1;; ++number) {
    // 6. the attempt's deadline (the first attempt reuses the clock reading above).
    CallContext context{deadline, number};
    std::optional<Result<T>> outcome;
    if (timed) {
      const TimePoint now = number == 1 ? started : clock_->now();
      if (options_.attempt_timeout) {
        context.deadline = std::min(deadline, add_saturating(now, *options_.attempt_timeout));
      }
      if (context.deadline <= now) {
        outcome.emplace(Error{ErrorCode::kDeadlineExceeded,
                              "the deadline passed before attempt " + std::to_string(number) +
                                  " could start; not attempted"});
      }
    }
    // 3. the rate limiter's charge for this attempt.
    if (!outcome && options_.rate_limit.limiter != nullptr) {
      auto check = options_.rate_limit.limiter->check(options_.rate_limit.keys,
                                                      options_.rate_limit.cost, context.deadline);
      Result<ratelimit::Verdict> verdict = co_await std::move(check);
      if (Result<void> admitted = admission(options_.rate_limit, std::move(verdict)); !admitted) {
        outcome.emplace(std::move(admitted).error());
      } else if (context.deadline != TimePoint::max() && context.deadline <= clock_->now()) {
        outcome.emplace(Error{ErrorCode::kDeadlineExceeded,
                              "the deadline passed while the rate limit was checked; attempt " +
                                  std::to_string(number) + " not started"});
      }
    }
    // 4. a bulkhead slot, held until the attempt ends.
    std::optional<Slot> slot;
    if (!outcome && options_.bulkhead != nullptr) {
      // Only one of the two is asked, so that one refusal is counted once in the metrics.
      std::optional<Result<Slot>> taken;
      if (!options_.bulkhead_queue || options_.bulkhead->has_free_slot(options_.tier)) {
        taken.emplace(options_.bulkhead->try_acquire(options_.tier));
      } else {
        taken.emplace(co_await options_.bulkhead->acquire(options_.tier, context.deadline));
      }
      if (taken->ok()) {
        slot.emplace(std::move(*taken).value());
      } else {
        outcome.emplace(std::move(*taken).error());
      }
    }
    // 5. the breaker's permission, and its judgement of the attempt.
    if (!outcome) {
      if (options_.circuit_breaker == nullptr) {
        outcome.emplace(co_await op(std::as_const(context)));
      } else if (Result<Permit> permit = options_.circuit_breaker->try_acquire(); !permit.ok()) {
        outcome.emplace(std::move(permit).error());
      } else {
        outcome.emplace(co_await op(std::as_const(context)));
        options_.circuit_breaker->on_result(std::move(permit).value(), *outcome, is_failure);
      }
    }
    slot.reset();
    Result<T>& result = *outcome;
    // 2. retry, or return.
    const bool failed = !result.ok() || value_is_failure(is_failure, result);
    if (!failed || !retry_) co_return std::move(result);
    Retry::Decision decision = retry_->after_failure(result.ok() ? nullptr : &result.error(),
                                                     number, previous, started, deadline);
    if (!decision.delay) {
      if (result.ok()) co_return std::move(result);
      co_return gave_up(std::move(result).error(), number, decision.why_not);
    }
    previous = *decision.delay;
    co_await clock_->sleep_for(previous);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace faultline::resilience
