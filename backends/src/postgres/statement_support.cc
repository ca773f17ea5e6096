#include "statement_support.h"

#include <utility>

#include "faultline/duration_text.h"

namespace faultline::backends::postgres::detail {

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

Duration remaining_until(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<Duration>(deadline - SteadyClock::now());
}

Error deadline_passed(std::string_view what) {
  return Error{ErrorCode::kDeadlineExceeded,
               std::string(what) + ": the deadline passed before the statement was sent"};
}

Task<Result<PgResult>> run_statement(Pool& pool, std::string_view sql,
                                     std::span<const std::string> params, Duration timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Result<PooledConnection> lease = co_await pool.acquire(timeout);
  if (!lease.ok()) co_return std::move(lease).error();
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_return Error{ErrorCode::kDeadlineExceeded, "the deadline of " + duration_text(timeout) +
                                                      " passed before the statement was sent"};
  }
  co_return co_await (*lease)->query(sql, params, remaining);
}

Task<Result<void>> begin_transaction(Connection& connection, Duration timeout) {
  if (connection.in_transaction()) {
    co_return failed_precondition("the connection is already in a transaction; nothing sent");
  }
  Result<PgResult> begun = co_await connection.query("BEGIN", timeout);
  if (!begun.ok()) co_return std::move(begun).error();
  if (begun->is_error()) co_return begun->to_error();
  co_return Ok{};
}

Task<Result<void>> commit(Connection& connection, SteadyClock::time_point deadline) {
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_await roll_back(connection, deadline);
    co_return Error{ErrorCode::kDeadlineExceeded,
                    "the deadline passed inside the transaction; rolled back"};
  }
  Result<PgResult> committed = co_await connection.query("COMMIT", remaining);
  if (!committed.ok()) co_return std::move(committed).error();
  if (committed->is_error()) co_return committed->to_error();
  // COMMIT of a failed transaction succeeds as a statement but reports ROLLBACK.
  if (committed->command_status() != "COMMIT") {
    co_return failed_precondition("the transaction had failed and was rolled back (" +
                                  committed->command_status() + ")");
  }
  co_return Ok{};
}

Task<void> roll_back(Connection& connection, SteadyClock::time_point deadline) {
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    connection.close();
    co_return;
  }
  Result<PgResult> rolled_back = co_await connection.query("ROLLBACK", remaining);
  if (!rolled_back.ok() || rolled_back->is_error()) connection.close();
}

}  // namespace faultline::backends::postgres::detail
