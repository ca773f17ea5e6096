#include "faultline/backends/postgres/xact_lock.h"
#include "faultline/validate.h"
#include "statement_support.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace faultline::backends::postgres {
namespace {

using detail::remaining_until;
using detail::roll_back;
using detail::SteadyClock;

constexpr std::string_view kTryXactLockSql = "SELECT pg_try_advisory_xact_lock($1)";

Error deadline_passed() {
  return Error{ErrorCode::kDeadlineExceeded,
               "the deadline passed inside the transaction; rolled back"};
}

}  // namespace

Task<Result<bool>> with_xact_lock(Connection& connection, locks::AdvisoryLockId id,
                                  const XactBody& body, Duration timeout) {
  if (Result<void> valid = faultline::validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  if (!body) co_return invalid_argument("body: must not be empty");
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Result<void> begun = co_await detail::begin_transaction(connection, timeout);
  if (!begun.ok()) co_return std::move(begun).error();

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

  Result<void> committed = co_await detail::commit(connection, deadline);
  if (!committed.ok()) co_return std::move(committed).error();
  co_return true;
}

}  // namespace faultline::backends::postgres
