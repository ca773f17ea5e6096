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
  std::string cursor;
  for (std::size_t page = 0; page < options_.max_pages; ++page) {
    auto listing = store_.abandoned(cursor, options_.page_size, options_.list_timeout);
    Result<AbandonedPage> listed = co_await std::move(listing);
    if (!listed) co_return listed.error();
    for (const AbandonedRequest& request : listed.value().requests) {
      if (pass.finished + pass.left + pass.failed == options_.max_requests) co_return pass;
      ++pass.listed;
      co_await finish(request, pass);
    }
    if (listed.value().next_cursor.empty()) break;
    cursor = std::move(listed.value().next_cursor);
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
