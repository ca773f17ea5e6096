#include "examples/payments_service/payment_service.h"

#include <cstdio>
#include <memory>
#include <optional>

#include "examples/payments_service/caller.h"
#include "examples/payments_service/problem.h"
#include "faultline/idempotency/request_key.h"

namespace faultline::payments {
namespace {

constexpr std::string_view kPayments = "/payments";
constexpr std::string_view kPaymentsPrefix = "/payments/";

// The caller, or the 401/400 that says why there is none.
Result<std::string> caller_or_problem(const HttpRequest& request, HttpResponse& problem) {
  Result<std::string> caller = caller_of(request.authorization);
  if (caller.ok()) return caller;
  if (caller.error().code == ErrorCode::kNotFound) {
    problem = problem_response({.status = 401,
                                .type = "missing-credentials",
                                .title = "Authorization is required",
                                .detail = caller.error().message,
                                .field = "Authorization"});
    problem.www_authenticate = "Bearer";
  } else {
    problem = bad_request("invalid-credentials", "Authorization", caller.error().message);
  }
  return caller;
}

// The idempotency key, or the 400 that says why there is none.
Result<std::string> key_or_problem(const HttpRequest& request, HttpResponse& problem) {
  Result<std::string> key = invalid_argument("Idempotency-Key: missing; every POST needs one");
  if (request.idempotency_key_headers > 1) {
    key = invalid_argument("Idempotency-Key: sent more than once");
  } else if (request.idempotency_key) {
    key = idempotency::parse_key(*request.idempotency_key);
  }
  if (!key.ok()) problem = bad_request("invalid-idempotency-key", "Idempotency-Key",
                                       key.error().message);
  return key;
}

// Sets `caller`, or `problem` (the 401/400) and returns false. No Result is kept in a coroutine
// frame: with one there g++ 12 warns of a mismatched frame delete (a false positive).
bool authenticate(const HttpRequest& request, std::string& caller, HttpResponse& problem) {
  Result<std::string> found = caller_or_problem(request, problem);
  if (!found.ok()) return false;
  caller = std::move(found).value();
  return true;
}

HttpResponse method_not_allowed(std::string_view allow) {
  HttpResponse response = problem_response(
      {.status = 405,
       .type = "method-not-allowed",
       .title = "Method not allowed",
       .detail = "this resource allows " + std::string(allow) + " only"});
  return response;
}

}  // namespace

Task<HttpResponse> PaymentService::handle(const HttpRequest& request) {
  const bool create = request.target == kPayments;
  if (!create && !request.target.starts_with(kPaymentsPrefix)) {
    co_return problem_response({.status = 404,
                                .type = "not-found",
                                .title = "No such resource",
                                .detail = "this service serves /payments and /payments/{id}"});
  }
  if (create && request.method != "POST") co_return method_not_allowed("POST");
  if (!create && request.method != "GET") co_return method_not_allowed("GET");
  std::string caller;
  if (HttpResponse problem; !authenticate(request, caller, problem)) co_return problem;
  auto admitted = admit_and_serve(request, std::move(caller), create);
  co_return co_await std::move(admitted);
}

Task<HttpResponse> PaymentService::admit_and_serve(const HttpRequest& request, std::string caller,
                                                   bool create) {
  // The limits before anything else: a refused request stores, reads and charges nothing.
  Admission admission;
  if (limits_ != nullptr) {
    auto admit = limits_->admit(caller);
    admission = co_await std::move(admit);
    if (admission.refusal) co_return std::move(*admission.refusal);
  }
  HttpResponse response;
  if (create) {
    auto created = create_payment(request, std::move(caller));
    response = co_await std::move(created);
  } else {
    const std::string_view ref = std::string_view(request.target).substr(kPaymentsPrefix.size());
    auto found = get_payment(caller, ref);
    response = co_await std::move(found);
  }
  response.fields.insert(response.fields.end(), admission.fields.begin(), admission.fields.end());
  co_return response;
}

Task<HttpResponse> PaymentService::create_payment(const HttpRequest& request, std::string caller) {
  HttpResponse problem;
  Result<std::string> key = key_or_problem(request, problem);
  if (!key.ok()) co_return problem;
  Result<PaymentRequest> body = parse_payment_request(request.body);
  if (!body.ok()) {
    co_return bad_request("invalid-body", error_field(body.error()), body.error().message);
  }
  const std::string fingerprint = idempotency::fingerprint("POST", kPayments, body->canonical);
  auto call = std::make_shared<const PaymentCall>(
      PaymentCall{std::move(caller), std::move(*key), std::move(body).value()});
  const idempotency::Phases phases = flow_.phases(call);
  const idempotency::RequestId id{call->caller, call->key};
  Result<idempotency::Execution> execution = co_await executor_.execute(id, fingerprint, phases);
  if (!execution.ok()) co_return error_response(execution.error());
  co_return execution_response(*execution);
}

Task<HttpResponse> PaymentService::get_payment(const std::string& caller, std::string_view ref) {
  const std::optional<std::int64_t> id = parse_payment_ref(ref);
  Result<std::optional<Payment>> found = std::optional<Payment>{};
  if (id) found = co_await table_.find(caller, *id);
  if (!found.ok()) co_return error_response(found.error());
  if (!found->has_value()) {
    co_return problem_response({.status = 404,
                                .type = "payment-not-found",
                                .title = "No such payment",
                                .detail = "no payment '" + std::string(ref.substr(0, 64)) +
                                          "' made by this caller"});
  }
  HttpResponse response;
  response.body = payment_json(**found);
  co_return response;
}

namespace {

// 409 + Retry-After: the only meaning a 409 has here is "in flight, retry" (Stripe's SDKs retry
// it by themselves).
HttpResponse in_progress(std::string_view why, Duration retry_after) {
  HttpResponse response = problem_response(
      {.status = 409,
       .type = "request-in-progress",
       .title = "A request with this idempotency key is in progress",
       .detail = "Idempotency-Key: " + std::string(why) +
                 "; retry after Retry-After seconds to get its response",
       .field = "Idempotency-Key"});
  response.retry_after = retry_after_seconds(retry_after);
  return response;
}

}  // namespace

HttpResponse execution_response(const idempotency::Execution& execution) {
  using idempotency::Disposition;
  switch (execution.disposition) {
    case Disposition::kExecuted:
    case Disposition::kReplayed: {
      Result<HttpResponse> stored = unframe(execution.response);
      if (!stored.ok()) return error_response(stored.error());
      stored->replayed = execution.disposition == Disposition::kReplayed;
      return std::move(stored).value();
    }
    case Disposition::kInFlight:
      return in_progress("the first request with this key has not finished",
                         execution.retry_after);
    case Disposition::kMismatch:
      return problem_response(
          {.status = 422,
           .type = "idempotency-key-reused",
           .title = "The idempotency key was used for another request",
           .detail = "Idempotency-Key: already used by this caller with a different body; use "
                     "a new key for a new payment",
           .field = "Idempotency-Key"});
  }
  return error_response(Error{ErrorCode::kProtocol, "unknown disposition"});
}

HttpResponse error_response(const Error& error) {
  if (error.code == ErrorCode::kAborted) {
    // Another instance took the request over (this one outlived its lease): it finishes it,
    // so this is "in flight, retry", the one meaning a 409 has here.
    return in_progress("another instance took this request over", std::chrono::seconds(1));
  }
  const bool retry = error.code == ErrorCode::kUnavailable ||
                     error.code == ErrorCode::kDeadlineExceeded ||
                     error.code == ErrorCode::kOutcomeUnknown ||
                     resilience::is_local_refusal(error.code) || error.code == ErrorCode::kBusy;
  // The error's own text (a store's or the database's words) goes to the log, not to clients.
  std::fprintf(stderr, "payments: answering an error: %s\n", error.to_string().c_str());
  if (!retry) {
    return problem_response({.status = 500,
                             .type = "internal-error",
                             .title = "The request failed",
                             .detail = "an internal error; it was logged"});
  }
  const bool maybe = error.code == ErrorCode::kOutcomeUnknown;
  HttpResponse response = problem_response(
      {.status = 503,
       .type = "temporarily-unavailable",
       .title = "A dependency is unavailable",
       .detail = maybe ? "a dependency did not answer in time: the payment may or may not have "
                         "gone through; retry with the same Idempotency-Key to learn which"
                       : "nothing was stored; retry with the same Idempotency-Key"});
  response.retry_after = retry_after_seconds(error.retry_after.value_or(std::chrono::seconds(1)));
  return response;
}

}  // namespace faultline::payments
