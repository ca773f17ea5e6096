// PaymentsTable: the payments, in PostgreSQL, one row per (caller, idempotency key).
//
//   payments(id bigint identity primary key, caller, idem_key, amount, currency, customer,
//            charge_id (null until charged), created_at; UNIQUE (caller, idem_key))
//
// insert_once is the service's last line of defence: the idempotency records live in Redis,
// and a Redis that lost them (a restart without persistence, a failover to a replica that had
// not seen them) would let a retry start the request afresh. The unique (caller, idem_key) makes
// that retry find the first row instead of making a second payment.
// Errors: the pool's (kDeadlineExceeded, kUnavailable) and the connection's (kUnavailable,
// kOutcomeUnknown; a server error as kUnavailable naming its SQLSTATE), every call bounded by
// `timeout` for the connection and `timeout` again for the statement; a result of an
// unexpected shape is kProtocol.
// Ownership: borrows the pool, which must outlive every call; string arguments are borrowed
// until the returned task completes (await it at once). Thread-safety: one io_context.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "examples/payments_service/payment_ref.h"
#include "examples/payments_service/payment_request.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::payments {

struct Payment {
  std::int64_t id = 0;
  std::string caller{};
  std::int64_t amount = 0;
  std::string currency{};
  std::string customer{};
  std::optional<std::string> charge_id{};
};

struct InsertOnce {
  Payment payment{};
  bool inserted = false;  // this call wrote the row (false: it existed, from an earlier run)
};

// The JSON clients get for a payment (keys in a fixed order).
[[nodiscard]] std::string payment_json(const Payment& payment);

class PaymentsTable {
 public:
  PaymentsTable(backends::postgres::Pool& pool, Duration timeout)
      : pool_(pool), timeout_(timeout) {}

  // Creates the table if it does not exist.
  Task<Result<void>> ensure_schema();
  // The row of (caller, key): inserted with `request`'s fields, or the one already there.
  Task<Result<InsertOnce>> insert_once(std::string_view caller, std::string_view key,
                                       const PaymentRequest& request);
  // Sets the row's charge; kFailedPrecondition when it already holds another charge.
  Task<Result<void>> record_charge(std::int64_t id, std::string_view charge_id);
  // The payment `id` if `caller` made it (another caller's is as absent as a missing one).
  Task<Result<std::optional<Payment>>> find(std::string_view caller, std::int64_t id);

 private:
  Task<Result<backends::postgres::PgResult>> run(std::string_view sql,
                                                 std::span<const std::string> params);

  backends::postgres::Pool& pool_;
  Duration timeout_;
};

}  // namespace faultline::payments
