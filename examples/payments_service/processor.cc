#include "examples/payments_service/processor.h"

#include <cstdio>

#include "faultline/duration_text.h"

namespace faultline::payments {

Task<Result<Charge>> SimulatedProcessor::charge(std::string_view key, std::int64_t amount,
                                                std::string_view currency, Duration timeout) {
  const std::uint64_t call = ++calls_;
  if (timeout < latency_) {
    if (timeout > Duration::zero()) co_await clock_.sleep_for(timeout);
    std::fprintf(stderr, "processor: call %llu timed out after %s\n",
                 static_cast<unsigned long long>(call), duration_text(timeout).c_str());
    co_return Error{ErrorCode::kDeadlineExceeded,
                    "card processor: no answer within " + duration_text(timeout)};
  }
  co_await clock_.sleep_for(latency_);
  if (call <= fail_first_) {
    std::fprintf(stderr, "processor: call %llu -> 503 (simulated failure %llu of %llu)\n",
                 static_cast<unsigned long long>(call), static_cast<unsigned long long>(call),
                 static_cast<unsigned long long>(fail_first_));
    co_return with_retry_after(unavailable("card processor: 503 Service Unavailable (simulated "
                                           "failure " + std::to_string(call) + " of " +
                                           std::to_string(fail_first_) + ")"),
                               kRetryAfter);
  }
  if (auto found = charges_.find(key); found != charges_.end()) {
    std::fprintf(stderr, "processor: call %llu -> replayed charge %s\n",
                 static_cast<unsigned long long>(call), found->second.c_str());
    co_return Charge{found->second, true};
  }
  std::string id = "ch_" + std::to_string(charges_.size() + 1);
  charges_.emplace(std::string(key), id);
  std::fprintf(stderr, "processor: call %llu -> new charge %s of %lld %.*s\n",
               static_cast<unsigned long long>(call), id.c_str(),
               static_cast<long long>(amount), static_cast<int>(currency.size()), currency.data());
  co_return Charge{std::move(id), false};
}

}  // namespace faultline::payments
