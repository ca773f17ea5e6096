// PaymentService: the HTTP routes, from a parsed request to its response.
//
//   Every request to /payments or /payments/{id} with an allowed method: Authorization first
//   (401 / 400 as below), then the caller's rate limits (caller_limits.h), before anything else:
//   a refusal is a 429 with RateLimit-Policy, RateLimit and Retry-After, and nothing is stored,
//   read or charged; an allowed request's response carries RateLimit-Policy and RateLimit.
//   POST /payments        Authorization: Bearer <caller>, Idempotency-Key, a JSON body
//                         (payment_request.h), checked in that order, each failure a
//                         problem+json naming the header or field:
//                           401 no Authorization; 400 a malformed one, a missing, repeated or
//                           malformed key, a bad body. Nothing reaches the store before they pass.
//                         Then IdempotentExecutor over PaymentFlow's phases (payment_phases.h),
//                         keyed (caller, key), fingerprint(POST, /payments, canonical body):
//                           kExecuted  the stored response (201 + the payment);
//                           kReplayed  the same status and body, + Idempotent-Replayed: true;
//                           kMismatch  422; kInFlight 409 + Retry-After (seconds, rounded up);
//                           an error   503 + Retry-After for a failure worth retrying (the
//                                      processor, Redis, PostgreSQL), else 500; nothing stored.
//   GET /payments/{id}    Authorization as above; 200 + the payment if this caller made it,
//                         else 404 (another caller's payment is as absent as a missing one).
//   anything else         404, or 405 with Allow for a known path.
// Ownership: borrows everything it is given. Thread-safety: one io_context.
#pragma once

#include <string_view>

#include "examples/payments_service/caller_limits.h"
#include "examples/payments_service/http_message.h"
#include "examples/payments_service/payment_phases.h"
#include "examples/payments_service/payments.h"
#include "faultline/idempotency/idempotent_executor.h"
#include "faultline/task.h"

namespace faultline::payments {

class PaymentService {
 public:
  // `limits` null: no rate limits.
  PaymentService(idempotency::IdempotentExecutor& executor, PaymentFlow& flow, PaymentsTable& table,
                 CallerLimits* limits)
      : executor_(executor), flow_(flow), table_(table), limits_(limits) {}

  // `request` is borrowed until the task completes. Never fails: every outcome is a response.
  Task<HttpResponse> handle(const HttpRequest& request);

 private:
  // The limits' refusal, or the route's response with the limits' fields.
  Task<HttpResponse> admit_and_serve(const HttpRequest& request, std::string caller, bool create);
  // The route's response for an authenticated, admitted caller.
  Task<HttpResponse> create_payment(const HttpRequest& request, std::string caller);
  Task<HttpResponse> get_payment(const std::string& caller, std::string_view ref);

  idempotency::IdempotentExecutor& executor_;
  PaymentFlow& flow_;
  PaymentsTable& table_;
  CallerLimits* limits_;
};

// The response for an execution (kExecuted/kReplayed's stored response, 409, 422).
[[nodiscard]] HttpResponse execution_response(const idempotency::Execution& execution);
// The response for an error from the executor, the store, the phases or the table.
[[nodiscard]] HttpResponse error_response(const Error& error);

}  // namespace faultline::payments
