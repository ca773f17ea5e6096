// Completer: finishes the requests whose executor died, after brandur's rocket-rides-atomic.
//
// A request whose holder crashed stays in progress at its last recovery point until a retry
// with the same key resumes it, and a client that gave up never retries. run_once() lists such
// requests (IdempotencyStore::abandoned: in progress, lease lapsed), asks the application for
// the phases that finish each one (`resume`; nullptr leaves it alone, e.g. a request still at
// kStartedPoint whose input only its client had), and runs them through the executor with the
// record's own fingerprint. The take-over is begin's one atomic step, so a completer racing a
// client's retry, or another completer, never runs a phase twice: the loser is told the request
// is in flight (or already completed) and leaves it.
//
// Bounds: one pass lists at most `max_pages` pages of `page_size`, and stops after the page on
// which its executions (finished or failed) reached `max_requests`, so it executes at most
// max_requests + page_size - 1, one at a time; every store call has the executor's
// store_timeout (the listing has `list_timeout`). A pass continues the listing where the last
// one stopped and starts it again once it ends, so requests it leaves (declined by `resume`,
// failing, in flight) never starve those beyond them. A pass reports what it did; run it on a
// timer.
// Errors: kInvalidArgument for options out of range; a failed listing ends the pass with its
// error. A request that fails is counted, not retried within the pass (the next pass sees it).
// Ownership: borrows the store and the executor. Thread-safety: one io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/idempotency/idempotent_executor.h"
#include "faultline/idempotency/phases.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::idempotency {

struct CompleterOptions {
  std::size_t page_size = 100;     // in [1, kMaxReapBatch]
  std::size_t max_pages = 100;     // in [1, 1'000'000]
  std::size_t max_requests = 100;  // executions that end a pass, in [1, 1'000'000]
  Duration list_timeout = std::chrono::seconds(5);  // per page, in (0, 1 min]
};

[[nodiscard]] Result<void> validate(const CompleterOptions& options);

struct CompleterPass {
  std::size_t listed = 0;     // abandoned requests seen
  std::size_t finished = 0;   // executed to a final response by this pass
  std::size_t left = 0;       // resume gave no phases, or another holder had it / finished it
  std::size_t failed = 0;     // a phase or the store failed; the next pass tries again
};

// The phases that finish `request`, or nullptr to leave it. The Phases must outlive the pass.
using ResumeFn = std::function<const Phases*(const AbandonedRequest& request)>;

class Completer {
 public:
  Completer(IdempotencyStore& store, IdempotentExecutor& executor, ResumeFn resume,
            CompleterOptions options = {});

  Task<Result<CompleterPass>> run_once();

 private:
  Task<void> finish(const AbandonedRequest& request, CompleterPass& pass);

  IdempotencyStore& store_;
  IdempotentExecutor& executor_;
  ResumeFn resume_;
  CompleterOptions options_;
  std::string cursor_;  // where the next pass continues the listing ("" from the start)
};

}  // namespace faultline::idempotency
