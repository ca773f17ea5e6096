#include "examples/payments_service/payment_phases.h"

#include <charconv>
#include <cstdio>

#include "examples/payments_service/http_message.h"
#include "examples/payments_service/problem.h"

namespace faultline::payments {
namespace {

using idempotency::Final;
using idempotency::Next;
using idempotency::PhaseContext;
using idempotency::PhaseResult;

bool same_request(const Payment& row, const PaymentRequest& request) {
  return row.amount == request.amount && row.currency == request.currency &&
         row.customer == request.customer;
}

}  // namespace

idempotency::Phases PaymentFlow::phases(std::shared_ptr<const PaymentCall> call) {
  idempotency::Phases phases;
  phases.add(std::string(idempotency::kStartedPoint),
             [this, call](const PhaseContext& context) { return insert(context, *call); });
  phases.add(std::string(kCreatedPoint),
             [this, call](const PhaseContext& context) { return charge(context, *call); });
  return phases;
}

Task<Result<PhaseResult>> PaymentFlow::insert(const PhaseContext& context,
                                              const PaymentCall& call) {
  (void)context;
  Result<InsertOnce> row = co_await table_.insert_once(call.caller, call.key, call.request);
  if (!row.ok()) co_return std::move(row).error();
  const Payment& payment = row->payment;
  std::fprintf(stderr, "payments: %s %s\n", payment_ref(payment.id).c_str(),
               row->inserted ? "inserted" : "found (inserted by an earlier run of this request)");
  // Only when the idempotency record was lost (the executor compares fingerprints otherwise):
  // the key already made a different payment. That is this request's lasting answer.
  if (!same_request(payment, call.request)) {
    co_return PhaseResult{Final{frame(problem_response(
        {.status = 422,
         .type = "idempotency-key-reused",
         .title = "The idempotency key was used for another request",
         .detail = "Idempotency-Key: already used by this caller for payment " +
                   payment_ref(payment.id) + " with a different body",
         .field = "Idempotency-Key"}))}};
  }
  co_return PhaseResult{Next{std::string(kCreatedPoint), std::to_string(payment.id)}};
}

Task<Result<PhaseResult>> PaymentFlow::charge(const PhaseContext& context,
                                              const PaymentCall& call) {
  Payment payment{0, call.caller, call.request.amount, call.request.currency,
                  call.request.customer, std::nullopt};
  const std::string& data = context.data();
  const auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), payment.id);
  if (ec != std::errc{} || end != data.data() + data.size()) {
    co_return failed_precondition("recovery point 'created': its data is not a payment id");
  }
  // The same key for every run of this phase of this request: the processor charges once.
  const std::string key = context.downstream_key("charge");
  auto attempt = [&](const resilience::CallContext& call_context) {
    return processor_.charge(key, payment.amount, payment.currency,
                             call_context.remaining(clock_.now()));
  };
  // Finish within the lease: past it another executor may take the request over.
  const TimePoint deadline = add_saturating(clock_.now(), context.lease_left());
  Result<Charge> charged = co_await pipeline_.execute<Charge>(attempt, deadline);
  if (!charged.ok()) co_return std::move(charged).error();
  Result<void> recorded = co_await table_.record_charge(payment.id, charged->id);
  if (!recorded.ok()) co_return std::move(recorded).error();
  payment.charge_id = charged->id;
  HttpResponse created;
  created.status = 201;
  created.body = payment_json(payment);
  co_return PhaseResult{Final{frame(created)}};
}

}  // namespace faultline::payments
