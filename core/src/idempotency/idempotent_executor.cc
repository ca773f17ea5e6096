#include "faultline/idempotency/idempotent_executor.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "faultline/validate.h"

namespace faultline::idempotency {

using namespace std::chrono_literals;

// What this executor holds while it runs a request's phases.
struct IdempotentExecutor::Held {
  std::string scope;
  std::string key;
  std::string owner;
  std::string point;  // the last recovery point saved on the store
  std::string data;
  TimePoint lease_until;

  [[nodiscard]] RequestId id() const noexcept { return {scope, key}; }
};

Result<void> validate(const ExecutorOptions& options) {
  if (auto r = check_range("lease", options.lease, Duration(kMinLease), Duration(kMaxLease)); !r) {
    return r;
  }
  if (auto r = check_range("retention", options.retention, options.lease, Duration(kMaxRetention),
                           "at least the lease");
      !r) {
    return r;
  }
  if (auto r = validate_timeout(options.store_timeout, "store_timeout", 1min); !r) return r;
  if (auto r = check_range("max_wait", options.max_wait, Duration::zero(), Duration(5min)); !r) {
    return r;
  }
  if (auto r = check_range("poll_interval", options.poll_interval, Duration(1ms), Duration(10s));
      !r) {
    return r;
  }
  if (auto r = check_real_range("clock_drift", options.clock_drift, 0.0, 0.5); !r) return r;
  return check_size("max_phases", options.max_phases, 1, 1000);
}

std::string_view to_string(Disposition disposition) noexcept {
  switch (disposition) {
    case Disposition::kExecuted: return "executed";
    case Disposition::kReplayed: return "replayed";
    case Disposition::kInFlight: return "in_flight";
    case Disposition::kMismatch: return "mismatch";
  }
  return "unknown";
}

IdempotentExecutor::IdempotentExecutor(IdempotencyStore& store, Clock& clock, Random& random,
                                       ExecutorOptions options)
    : store_(store), clock_(clock), random_(random), options_(options) {}

TimePoint IdempotentExecutor::lease_until(TimePoint asked_at) const {
  // The store started the lease no earlier than we asked; our clock may run slow against it.
  const auto margin = std::chrono::duration_cast<Duration>(options_.lease * options_.clock_drift);
  return asked_at + options_.lease - margin;
}

Task<Result<Execution>> IdempotentExecutor::execute(RequestId id, std::string_view fingerprint,
                                                    const Phases& phases) {
  if (auto valid = validate(options_); !valid) co_return valid.error();
  Held held{std::string(id.scope), std::string(id.key), random_token(random_), {}, {}, {}};
  const std::string print(fingerprint);
  const TimePoint wait_until = add_saturating(clock_.now(), options_.max_wait);
  // Bounded: every turn returns, or sleeps at least 1 ms toward wait_until.
  for (;;) {
    const TimePoint asked_at = clock_.now();
    Result<BeginReply> begun =
        co_await store_.begin(held.id(), print, held.owner, options_.lease, options_.retention,
                              options_.store_timeout);
    if (!begun) co_return begun.error();
    BeginReply& reply = begun.value();
    switch (reply.outcome) {
      case BeginOutcome::kCompleted:
        co_return Execution{Disposition::kReplayed, std::move(reply.response), {}};
      case BeginOutcome::kMismatch: co_return Execution{Disposition::kMismatch, {}, {}};
      case BeginOutcome::kStarted:
      case BeginOutcome::kResumed:
        held.point = std::move(reply.point);
        held.data = std::move(reply.data);
        held.lease_until = lease_until(asked_at);
        co_return co_await run_phases(std::move(held), phases);
      case BeginOutcome::kInFlight: break;
    }
    const Duration left = std::max<Duration>(reply.lease_left, 1ms);
    const TimePoint now = clock_.now();
    if (now >= wait_until) co_return Execution{Disposition::kInFlight, {}, left};
    const Duration pause = std::min(std::min(options_.poll_interval, left), wait_until - now);
    co_await clock_.sleep_for(pause);
  }
}

Task<Result<Execution>> IdempotentExecutor::run_phases(Held held, const Phases& phases) {
  bool let_go_after = false;
  Result<Execution> outcome = co_await advance(held, phases, let_go_after);
  if (!outcome && let_go_after) co_await let_go(held);
  co_return outcome;
}

// Runs phases from held.point until Final; `let_go_after` says whether the failure it returns
// leaves the request ours to give back (a phase failed, nothing was stored) or not (the store's
// outcome is unknown, or the lease is gone).
Task<Result<Execution>> IdempotentExecutor::advance(Held& held, const Phases& phases,
                                                    bool& let_go_after) {
  let_go_after = true;
  for (std::size_t ran = 0; ran < options_.max_phases; ++ran) {
    const Phase* phase = phases.find(held.point);
    if (phase == nullptr) {
      co_return failed_precondition("recovery point \"" + held.point + "\" has no phase");
    }
    const PhaseContext context(held.scope, held.key, held.point, held.data, clock_,
                               held.lease_until);
    Result<PhaseResult> result = co_await (*phase)(context);
    if (!result) co_return std::move(result).error();
    if (auto* final = std::get_if<Final>(&result.value())) {
      Result<bool> done = co_await store_.complete(held.id(), held.owner, final->response,
                                                   options_.store_timeout);
      if (!done) co_return refused_or_unknown(std::move(done).error(), let_go_after);
      if (!done.value()) co_return taken_over(let_go_after);
      co_return Execution{Disposition::kExecuted, std::move(final->response), {}};
    }
    Next& next = std::get<Next>(result.value());
    if (phases.find(next.point) == nullptr) {
      co_return failed_precondition("a phase moved to recovery point \"" + next.point +
                                    "\", which has no phase");
    }
    const TimePoint asked_at = clock_.now();
    Result<bool> saved = co_await store_.checkpoint(held.id(), held.owner, next.point, next.data,
                                                    options_.lease, options_.store_timeout);
    if (!saved) co_return refused_or_unknown(std::move(saved).error(), let_go_after);
    if (!saved.value()) co_return taken_over(let_go_after);
    held.point = std::move(next.point);
    held.data = std::move(next.data);
    held.lease_until = lease_until(asked_at);
  }
  co_return failed_precondition("more than max_phases (" + std::to_string(options_.max_phases) +
                                ") phases ran for one request");
}

Error IdempotentExecutor::taken_over(bool& let_go_after) {
  let_go_after = false;  // it is no longer ours
  // kAborted, not kFailedPrecondition: a retry with the same key succeeds (it replays the
  // response of the executor that took over, or waits for it).
  return Error{ErrorCode::kAborted,
               "the request was taken over by another executor: its lease lapsed while a phase "
               "ran; retry with the same key for its response"};
}

Error IdempotentExecutor::refused_or_unknown(Error error, bool& let_go_after) {
  // An argument the store refused was never sent: the request is still ours to give back.
  let_go_after = error.code == ErrorCode::kInvalidArgument;
  return error;
}

Task<void> IdempotentExecutor::let_go(const Held& held) {
  // Keep the record (its fingerprint, so a retry with another body is still a 422, and its
  // recovery point), with the shortest lease, so that a retry resumes at once. Never release:
  // a phase that failed may have reached a foreign service with its downstream key.
  // Best effort: if it fails, the lease lapses on its own and a retry takes the request over.
  static_cast<void>(co_await store_.checkpoint(held.id(), held.owner, held.point, held.data,
                                               kMinLease, options_.store_timeout));
}

}  // namespace faultline::idempotency
