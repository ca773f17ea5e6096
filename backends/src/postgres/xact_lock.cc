#include "faultline/backends/postgres/xact_lock.h"
#include "faultline/validate.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace faultline::backends::postgres {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kBeginSql = "BEGIN";
constexpr std::string_view kTryXactLockSql = "SELECT pg_try_advisory_xact_lock($1)";
constexpr std::string_view kCommitSql = "COMMIT";
constexpr std::string_view kRollbackSql = "ROLLBACK";

Duration remaining_until(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<Duration>(deadline - SteadyClock::now());
}

Error deadline_passed() {
  return Error{ErrorCode::kDeadlineExceeded,
               "the deadline passed inside the transaction; rolled back"};
}

// Ends the transaction without committing, within what is left of the deadline. Failing that,
// closes the connection: the server then aborts the transaction itself.
Task<void> roll_back(Connection& connection, SteadyClock::time_point deadline) {
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    connection.close();
    co_return;
  }
  Result<PgResult> rolled_back = co_await connection.query(kRollbackSql, remaining);
  if (!rolled_back.ok() || rolled_back->is_error()) connection.close();
}

}  // namespace

Task<Result<bool>> with_xact_lock(Connection& connection, locks::AdvisoryLockId id,
                                  const XactBody& body, Duration timeout) {
  if (Result<void> valid = faultline::validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  if (!body) co_return invalid_argument("body: must not be empty");
  if (connection.in_transaction()) {
    co_return failed_precondition("the connection is already in a transaction; nothing sent");
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;

  Result<PgResult> begun = co_await connection.query(kBeginSql, timeout);
  if (!begun.ok()) co_return std::move(begun).error();
  if (begun->is_error()) co_return begun->to_error();

  Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_await roll_back(connection, deadline);
    co_return deadline_passed();
  }
  const std::array<std::string, 1> params{std::to_string(id)};
  Result<PgResult> locked = co_await connection.query(kTryXactLockSql, params, remaining);
  Result<bool> taken = locked.ok() ? scalar_bool(*locked) : Result<bool>(locked.error());
  if (!taken.ok() || !*taken) {
    co_await roll_back(connection, deadline);
    co_return taken;  // false: held elsewhere; or why asking failed
  }

  remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_await roll_back(connection, deadline);
    co_return deadline_passed();
  }
  Result<void> done = co_await body(connection, remaining);
  if (!done.ok()) {
    co_await roll_back(connection, deadline);
    co_return std::move(done).error();
  }

  remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) {
    co_await roll_back(connection, deadline);
    co_return deadline_passed();
  }
  Result<PgResult> committed = co_await connection.query(kCommitSql, remaining);
  if (!committed.ok()) co_return std::move(committed).error();
  if (committed->is_error()) co_return committed->to_error();
  // COMMIT of a failed transaction succeeds as a statement but reports ROLLBACK.
  if (committed->command_status() != "COMMIT") {
    co_return failed_precondition("the transaction had failed and was rolled back (" +
                                  committed->command_status() + ")");
  }
  co_return true;
}

}  // namespace faultline::backends::postgres
