// The payments claim, written once: a function over what the environment recorded, so that the
// same check judges a simulated run (payment_requests.cc) and a run against real Redis
// (tests/backends/redis/idempotent_executor_redis_test.cc).
//
// Given the charges the processor applied (its ledger, in order), every final answer the
// clients were given, and the final responses the store holds (a completer's work, which no
// client saw), per logical request:
//   double-charge    the processor charged it more than once;
//   never-succeeded  no client was answered a success ("201 ...") and the store holds none;
//   never-charged    a success was answered or stored, but the processor charged nothing;
//   wrong-response   a success answered or stored that does not name the one charge the
//                    processor made (a replay must be the original response).
// The first violation found, in request order, or nullopt. Pure; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline::scenarios {

struct AppliedCharge {
  std::string request;    // the logical request it was for
  std::string charge_id;  // what the processor answered
};

struct PaymentRecord {
  std::vector<AppliedCharge> charges;                         // the processor's ledger
  std::map<std::string, std::vector<std::string>> answers;    // request -> final answers
  std::map<std::string, std::string> stored;                  // request -> final response kept
};

struct PaymentViolation {
  std::string request;
  std::string kind;  // "double-charge", "never-succeeded", "never-charged", "wrong-response"
  std::string message;
};

// `requests`: every logical request the run sent. A success answer is "201 <charge id>".
[[nodiscard]] std::optional<PaymentViolation> check_payments(
    const std::vector<std::string>& requests, const PaymentRecord& record);

}  // namespace faultline::scenarios
