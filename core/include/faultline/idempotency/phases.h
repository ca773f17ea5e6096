// Phases: a multi-step operation declared as atomic phases between recovery points, after
// brandur's rocket-rides-atomic. IdempotentExecutor (idempotent_executor.h) runs them.
//
// A request starts at the recovery point kStartedPoint ("started"). The phase registered under
// the current point runs and returns either
//   Next{point, data}   it finished its work: the executor saves `point` and `data` (the
//                       recovery point and what later phases need, e.g. a charge id) before
//                       running the phase registered under `point`;
//   Final{response}     the request's final response: stored, and replayed to every retry
//                       with the same key for as long as the record is kept;
// or an error: a transient failure (a dependency's 5xx, a timeout, kOutcomeUnknown, a
// rate-limit refusal). An error is never stored: the request stays at its last recovery
// point and a retry with the same key resumes there.
//
// What a phase must guarantee, since a crash may come at any instant:
//   - re-running it from its recovery point is safe: a crash after its effect but before the
//     executor saved the next point runs it again. A local effect is made idempotent by a
//     unique key derived from the request (an honest insert-once); a foreign call carries
//     `ctx.downstream_key()`, the same for every run of this phase of this request, so the
//     foreign service deduplicates it (Stripe's practice).
//   - it finishes within `ctx.lease_left()`: past that another executor may take the request
//     over, and this one's next checkpoint is refused (its effects must be keyed, as above).
//   - Final carries only an answer the request will always have (a success, a decline, a
//     business rule's refusal), never a transient failure: that would make a request that
//     can never succeed (the "stored transient error" hazard).
//
// Ownership: Phases owns its callables; the executor borrows a Phases for one execute() call.
// Thread-safety: immutable once built; callables are invoked on the executor's executor.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "faultline/clock.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::idempotency {

struct Next {
  std::string point{};  // 1..kMaxPointBytes bytes; must name a registered phase
  std::string data{};   // at most kMaxDataBytes
};

struct Final {
  std::string response{};  // at most kMaxResponseBytes
};

using PhaseResult = std::variant<Next, Final>;

// What a running phase is told. Copies of everything it refers to: it may outlive the call
// that created it only as long as the executor's execute() call.
class PhaseContext {
 public:
  PhaseContext(std::string scope, std::string key, std::string point, std::string data,
               const Clock& clock, TimePoint lease_until)
      : scope_(std::move(scope)),
        key_(std::move(key)),
        point_(std::move(point)),
        data_(std::move(data)),
        clock_(&clock),
        lease_until_(lease_until) {}

  [[nodiscard]] RequestId id() const noexcept { return {scope_, key_}; }
  // The recovery point this phase runs from, and the data saved with it.
  [[nodiscard]] const std::string& point() const noexcept { return point_; }
  [[nodiscard]] const std::string& data() const noexcept { return data_; }
  // The idempotency key for a foreign call made by this phase: the same for every run of this
  // phase of this request, different for every other (scope, key, point, purpose), and not
  // revealing the caller's key (hex SHA-256 of the length-prefixed parts). `purpose` tells
  // apart two foreign calls of one phase.
  [[nodiscard]] std::string downstream_key(std::string_view purpose = {}) const;
  // How long this executor still holds the request (by its own clock, from the moment the
  // store granted or renewed the lease); zero once lapsed.
  [[nodiscard]] Duration lease_left() const;

 private:
  std::string scope_;
  std::string key_;
  std::string point_;
  std::string data_;
  const Clock* clock_;
  TimePoint lease_until_;
};

using Phase = std::function<Task<Result<PhaseResult>>(const PhaseContext&)>;

class Phases {
 public:
  // Registers the phase that runs from `point`; a later add() of the same point replaces it.
  Phases& add(std::string point, Phase phase);
  // The phase for `point`, or nullptr.
  [[nodiscard]] const Phase* find(std::string_view point) const;
  [[nodiscard]] std::size_t size() const noexcept { return phases_.size(); }

 private:
  std::map<std::string, Phase, std::less<>> phases_;
};

}  // namespace faultline::idempotency
