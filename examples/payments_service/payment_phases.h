// PaymentFlow: POST /payments as the IdempotentExecutor's phases (phases.h), between recovery
// points, each safe to run again from its point:
//
//   "started"  insert the payment row once per (caller, idempotency key) (PaymentsTable::
//              insert_once: a retry, or a Redis that lost its record, finds the same row)
//              -> Next{"created", row id}
//   "created"  charge the card through the resilience pipeline with ctx.downstream_key("charge")
//              (the same key on every run of this phase of this request, so the processor
//              charges once), record the charge on the row
//              -> Final{201 + the payment's JSON}, framed (http_message.h)
//
// A processor 503, a timeout, an open circuit, a database or Redis failure: the phase returns
// the error, the executor stores nothing, the service answers 503 + Retry-After, and the
// client's retry with the same key resumes from the last recovery point.
// Ownership: borrows the table, processor, pipeline and clock (they outlive the service).
// Thread-safety: one io_context.
#pragma once

#include <memory>
#include <string>

#include "examples/payments_service/payment_request.h"
#include "examples/payments_service/payments.h"
#include "examples/payments_service/processor.h"
#include "faultline/clock.h"
#include "faultline/idempotency/phases.h"
#include "faultline/resilience/pipeline.h"

namespace faultline::payments {

inline constexpr std::string_view kCreatedPoint = "created";

// One request: who sent it, under which key, asking for what.
struct PaymentCall {
  std::string caller{};
  std::string key{};
  PaymentRequest request{};
};

class PaymentFlow {
 public:
  PaymentFlow(PaymentsTable& table, SimulatedProcessor& processor, resilience::Pipeline& pipeline,
              Clock& clock)
      : table_(table), processor_(processor), pipeline_(pipeline), clock_(clock) {}

  // The phases of `call` (they share it: it lives as long as the Phases).
  [[nodiscard]] idempotency::Phases phases(std::shared_ptr<const PaymentCall> call);

 private:
  Task<Result<idempotency::PhaseResult>> insert(const idempotency::PhaseContext& context,
                                                const PaymentCall& call);
  Task<Result<idempotency::PhaseResult>> charge(const idempotency::PhaseContext& context,
                                                const PaymentCall& call);

  PaymentsTable& table_;
  SimulatedProcessor& processor_;
  resilience::Pipeline& pipeline_;
  Clock& clock_;
};

}  // namespace faultline::payments
