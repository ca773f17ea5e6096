#include "faultline/idempotency/completer.h"

#include <utility>

#include "faultline/validate.h"

namespace faultline::idempotency {

using namespace std::chrono_literals;

Result<void> validate(const CompleterOptions& options) {
  if (auto r = check_size("page_size", options.page_size, 1, kMaxReapBatch); !r) return r;
  if (auto r = check_size("max_pages", options.max_pages, 1, 1'000'000); !r) return r;
  if (auto r = check_size("max_requests", options.max_requests, 1, 1'000'000); !r) return r;
  return validate_timeout(options.list_timeout, "list_timeout", 1min);
}

Completer::Completer(IdempotencyStore& store, IdempotentExecutor& executor, ResumeFn resume,
                     CompleterOptions options)
    : store_(store), executor_(executor), resume_(std::move(resume)), options_(options) {}

Task<Result<CompleterPass>> Completer::run_once() {
  if (auto valid = validate(options_); !valid) co_return valid.error();
  CompleterPass pass;
  // From where the last pass stopped: a listing longer than one pass is walked across passes,
  // and what this pass leaves (declined, failing, in flight) cannot starve what lies beyond.
  for (std::size_t page = 0; page < options_.max_pages; ++page) {
    auto listing = store_.abandoned(cursor_, options_.page_size, options_.list_timeout);
    Result<AbandonedPage> listed = co_await std::move(listing);
    if (!listed) co_return listed.error();
    for (const AbandonedRequest& request : listed.value().requests) {
      ++pass.listed;
      co_await finish(request, pass);
    }
    cursor_ = std::move(listed.value().next_cursor);
    // The end of the listing, or the pass's budget spent (a page is never cut short: its
    // cursor names its end).
    if (cursor_.empty() || pass.finished + pass.failed >= options_.max_requests) break;
  }
  co_return pass;
}

Task<void> Completer::finish(const AbandonedRequest& request, CompleterPass& pass) {
  const Phases* phases = resume_(request);
  if (phases == nullptr) {
    ++pass.left;
    co_return;
  }
  auto executing = executor_.execute({request.scope, request.key}, request.fingerprint, *phases);
  Result<Execution> done = co_await std::move(executing);
  if (!done) {
    ++pass.failed;
  } else if (done.value().disposition == Disposition::kExecuted) {
    ++pass.finished;
  } else {
    ++pass.left;
  }
}

}  // namespace faultline::idempotency
