// IdempotentExecutor: runs a request's phases at most once per (scope, key), however often the
// client retries, and whatever crashes in between.
//
//   execute(id, fingerprint, phases):
//     begin on the store (one atomic step) with a fresh unguessable owner token, then
//     - completed          -> kReplayed with the stored response (send `Idempotent-Replayed`);
//     - other fingerprint  -> kMismatch (HTTP 422), nothing stored or changed;
//     - in flight elsewhere-> waits, polling begin, up to `max_wait` for that holder to finish
//                             (then kReplayed) or to give the request up (then this call takes
//                             it over); past `max_wait`, kInFlight with `retry_after`, the
//                             holder's lease left (HTTP 409 + Retry-After: retry later);
//     - started or resumed -> runs the phases from the record's recovery point: after each
//                             Next the point is checkpointed (renewing the lease), after Final
//                             the response is completed -> kExecuted.
//   A phase's error is returned as is and stores nothing: the request keeps its last recovery
//   point and its fingerprint, and the executor lets go of it at once (checkpointed at the same
//   point with the shortest lease), so a retry with the same key resumes from there without
//   waiting out the lease, and a retry with another body is still refused. The record is never
//   released once a phase ran: that phase may have reached a foreign service under its
//   downstream key, which a different request under the same key must not inherit. Failures before execute() (a
//   malformed key, a missing credential, a rate limiter's refusal) never reach the store.
//   A completer is this same call made later by someone else: execute() on an abandoned
//   request (its holder crashed: lease lapsed) takes it over and finishes it (completer.h).
//
// Errors (Result's error):
//   kInvalidArgument   a bad id, fingerprint or option (validate_*), before anything is sent;
//   kAborted           the lease was taken over by another executor while a phase ran (a
//                      phase outlived it): that one finishes the request, so a retry with the
//                      same key gets its response (HTTP 409, like a request still in flight);
//   kFailedPrecondition the record names a recovery point with no phase (a deployment that
//                      removed a phase), or more than `max_phases` ran;
//   the store's errors (kUnavailable, kDeadlineExceeded, kOutcomeUnknown: retry the request
//   with the same key: it replays, resumes or starts, never runs a finished phase twice);
//   a phase's own errors.
//
// Time: every store call is bounded by `store_timeout`; waiting by `max_wait`; the phases by
// `max_phases` transitions, each expected within its lease (PhaseContext::lease_left()).
// Ownership: borrows the store, clock and random source, which must outlive it and every call
// in progress. Thread-safety: one executor per io_context; calls may run concurrently on it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/idempotency/phases.h"
#include "faultline/random.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::idempotency {

struct ExecutorOptions {
  // How long a phase may run before another executor may take the request over. Every
  // checkpoint renews it. In [kMinLease, kMaxLease].
  Duration lease = std::chrono::seconds(30);
  // How long a record (and so a replayable response) is kept from its creation. Stripe keeps
  // keys at least 24 hours. In [lease, kMaxRetention].
  Duration retention = std::chrono::hours(24);
  // Bounds every store round trip. In (0, 1 min].
  Duration store_timeout = std::chrono::seconds(2);
  // How long execute() waits for another holder of the same request before answering
  // kInFlight. Zero answers at once. In [0, 5 min].
  Duration max_wait = Duration::zero();
  // The pause between two begins while waiting (never past the holder's lease or max_wait).
  // In [1 ms, 10 s].
  Duration poll_interval = std::chrono::milliseconds(50);
  // The part of a lease this executor does not count on, for the rate at which its clock may
  // run against the store's (Redlock's drift factor). In [0, 0.5].
  double clock_drift = 0.01;
  // At most this many phases per execute() (a bound on a cycle among recovery points).
  std::size_t max_phases = 32;
};

// "lease: 0ns; must be in [1ms, 1h] ..." for the first field out of range, or Ok.
[[nodiscard]] Result<void> validate(const ExecutorOptions& options);

enum class Disposition {
  kExecuted,  // this call ran the (remaining) phases; `response` is the final response
  kReplayed,  // completed earlier (or by the holder this call waited for); the stored response
  kInFlight,  // another executor holds the request; retry after `retry_after`
  kMismatch,  // the key was used with a different request (fingerprint); nothing changed
};

[[nodiscard]] std::string_view to_string(Disposition disposition) noexcept;

struct Execution {
  Disposition disposition = Disposition::kExecuted;
  std::string response{};   // kExecuted, kReplayed
  Duration retry_after{};   // kInFlight: the holder's lease left (at least 1 ms)
};

class IdempotentExecutor {
 public:
  // Check the options first (validate); an executor made with invalid ones answers every call
  // with that kInvalidArgument.
  IdempotentExecutor(IdempotencyStore& store, Clock& clock, Random& random,
                     ExecutorOptions options = {});

  [[nodiscard]] const ExecutorOptions& options() const noexcept { return options_; }

  // `id`, `fingerprint` and `phases` are borrowed until the returned task completes (it starts
  // only when awaited: keep what they view alive, not a temporary of the calling expression).
  Task<Result<Execution>> execute(RequestId id, std::string_view fingerprint,
                                  const Phases& phases);

 private:
  struct Held;
  Task<Result<Execution>> run_phases(Held held, const Phases& phases);
  Task<Result<Execution>> advance(Held& held, const Phases& phases, bool& let_go_after);
  Task<void> let_go(const Held& held);
  static Error refused_or_unknown(Error error, bool& let_go_after);
  static Error taken_over(bool& let_go_after);
  [[nodiscard]] TimePoint lease_until(TimePoint asked_at) const;

  IdempotencyStore& store_;
  Clock& clock_;
  Random& random_;
  ExecutorOptions options_;
};

}  // namespace faultline::idempotency
