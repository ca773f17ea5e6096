// SimulatedProcessor: the card processor the service charges, simulated in the process.
//
// charge(key, amount, currency, timeout) takes `latency` (as a real processor's round trip
// would; during it concurrent duplicates of a request meet the first one in flight), then:
//   - calls 1..fail_first fail with kUnavailable "503" and a retry_after of kRetryAfter
//     (--fail-first N: an outage the service must survive without storing anything);
//   - otherwise charges once per idempotency key, as Stripe does: a second call with the same
//     `key` returns the first charge (replayed = true), never a new one.
// When `timeout` is shorter than the latency the call waits `timeout` and fails with
// kDeadlineExceeded, charging nothing (a real processor might have: callers treat it as
// outcome unknown and retry with the same key, which is safe).
// Every call and every new charge is logged on stderr ("processor: ..."), never with the key.
// Thread-safety: none; one io_context. Borrows the clock, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::payments {

struct Charge {
  std::string id{};      // "ch_<n>"
  bool replayed = false;  // an earlier call with the same key made it
};

class SimulatedProcessor {
 public:
  static constexpr Duration kRetryAfter = std::chrono::milliseconds(100);

  SimulatedProcessor(Clock& clock, Duration latency, std::uint64_t fail_first)
      : clock_(clock), latency_(latency), fail_first_(fail_first) {}

  // `key` and `currency` are borrowed until the task completes.
  Task<Result<Charge>> charge(std::string_view key, std::int64_t amount,
                              std::string_view currency, Duration timeout);

  [[nodiscard]] std::uint64_t calls() const noexcept { return calls_; }
  [[nodiscard]] std::size_t charges() const noexcept { return charges_.size(); }

 private:
  Clock& clock_;
  Duration latency_;
  std::uint64_t fail_first_;
  std::uint64_t calls_ = 0;
  std::map<std::string, std::string, std::less<>> charges_;  // idempotency key -> charge id
};

}  // namespace faultline::payments
