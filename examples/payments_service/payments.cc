#include "examples/payments_service/payments.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace faultline::payments {
namespace {

using backends::postgres::PgResult;
using backends::postgres::PooledConnection;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS payments (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  caller     text NOT NULL,
  idem_key   text NOT NULL,
  amount     bigint NOT NULL CHECK (amount > 0),
  currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  customer   text NOT NULL,
  charge_id  text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (caller, idem_key)))sql";

// Insert-once, honest about who wrote the row. ON CONFLICT DO NOTHING would return no row when
// it exists, and a second SELECT could race a concurrent delete; DO UPDATE locks and returns
// the existing row in the same statement. The update writes the value the row already has, so
// it changes nothing, but it is an update: the row version it returns has xmax set, while a
// row this statement inserted has xmax = 0. `inserted` therefore says whether this call made
// the payment (logged, and a check that a replay after a lost Redis record did not).
constexpr std::string_view kInsertOnce = R"sql(
INSERT INTO payments (caller, idem_key, amount, currency, customer)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (caller, idem_key) DO UPDATE SET caller = EXCLUDED.caller
RETURNING id, amount, currency, customer, charge_id, (xmax = 0) AS inserted)sql";

constexpr std::string_view kRecordCharge = R"sql(
UPDATE payments SET charge_id = $2
WHERE id = $1 AND (charge_id IS NULL OR charge_id = $2)
RETURNING id)sql";

constexpr std::string_view kFind = R"sql(
SELECT id, amount, currency, customer, charge_id FROM payments WHERE id = $1 AND caller = $2)sql";

Result<std::int64_t> to_int64(const PgResult::Cell& cell, std::string_view column) {
  std::int64_t value = 0;
  if (cell) {
    const auto [end, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), value);
    if (ec == std::errc{} && end == cell->data() + cell->size()) return value;
  }
  return Error{ErrorCode::kProtocol, "payments." + std::string(column) + ": not a bigint"};
}

// Row `row` of a result whose columns 0..4 are id, amount, currency, customer, charge_id.
Result<Payment> to_payment(const PgResult& result, std::size_t row, std::string_view caller) {
  Result<std::int64_t> id = to_int64(result.cell(row, 0), "id");
  if (!id.ok()) return std::move(id).error();
  Result<std::int64_t> amount = to_int64(result.cell(row, 1), "amount");
  if (!amount.ok()) return std::move(amount).error();
  if (!result.cell(row, 2) || !result.cell(row, 3)) {
    return Error{ErrorCode::kProtocol, "payments: currency or customer is NULL"};
  }
  return Payment{*id, std::string(caller), *amount, *result.cell(row, 2), *result.cell(row, 3),
                 result.cell(row, 4)};
}

}  // namespace

std::string payment_json(const Payment& payment) {
  nlohmann::ordered_json body;
  body["id"] = payment_ref(payment.id);
  body["amount"] = payment.amount;
  body["currency"] = payment.currency;
  body["customer"] = payment.customer;
  body["status"] = payment.charge_id ? "succeeded" : "pending";
  body["charge"] = payment.charge_id ? nlohmann::ordered_json(*payment.charge_id) : nullptr;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Task<Result<PgResult>> PaymentsTable::run(std::string_view sql,
                                          std::span<const std::string> params) {
  const std::string statement(sql);
  Result<PooledConnection> connection = co_await pool_.acquire(timeout_);
  if (!connection.ok()) co_return std::move(connection).error();
  Result<PgResult> result = co_await (*connection)->query(statement, params, timeout_);
  if (!result.ok()) co_return std::move(result).error();
  if (result->is_error()) co_return result->to_error();
  co_return std::move(result).value();
}

Task<Result<void>> PaymentsTable::ensure_schema() {
  const std::vector<std::string> none;
  Result<PgResult> result = co_await run(kSchema, none);
  if (!result.ok()) co_return std::move(result).error();
  co_return Result<void>{};
}

Task<Result<InsertOnce>> PaymentsTable::insert_once(std::string_view caller, std::string_view key,
                                                    const PaymentRequest& request) {
  const std::vector<std::string> params{std::string(caller), std::string(key),
                                        std::to_string(request.amount), request.currency,
                                        request.customer};
  Result<PgResult> result = co_await run(kInsertOnce, params);
  if (!result.ok()) co_return std::move(result).error();
  if (result->rows().size() != 1 || result->columns().size() != 6) {
    co_return Error{ErrorCode::kProtocol, "payments insert: expected one row of six columns"};
  }
  Result<Payment> payment = to_payment(*result, 0, caller);
  if (!payment.ok()) co_return std::move(payment).error();
  co_return InsertOnce{std::move(payment).value(), result->cell(0, 5) == "t"};
}

Task<Result<void>> PaymentsTable::record_charge(std::int64_t id, std::string_view charge_id) {
  const std::vector<std::string> params{std::to_string(id), std::string(charge_id)};
  Result<PgResult> result = co_await run(kRecordCharge, params);
  if (!result.ok()) co_return std::move(result).error();
  if (result->rows().size() != 1) {
    co_return failed_precondition("payment " + payment_ref(id) +
                                  " is missing or holds another charge");
  }
  co_return Result<void>{};
}

Task<Result<std::optional<Payment>>> PaymentsTable::find(std::string_view caller,
                                                         std::int64_t id) {
  const std::vector<std::string> params{std::to_string(id), std::string(caller)};
  Result<PgResult> result = co_await run(kFind, params);
  if (!result.ok()) co_return std::move(result).error();
  if (result->rows().empty()) co_return std::optional<Payment>{};
  Result<Payment> payment = to_payment(*result, 0, caller);
  if (!payment.ok()) co_return std::move(payment).error();
  co_return std::optional<Payment>(std::move(payment).value());
}

}  // namespace faultline::payments
