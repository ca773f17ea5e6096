#include "faultline/backends/postgres/advisory_lock_store.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "statement_support.h"

namespace faultline::backends::postgres {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using detail::remaining_until;

constexpr std::string_view kTryLockSql = "SELECT pg_try_advisory_lock($1)";
constexpr std::string_view kLockSql = "SELECT pg_advisory_lock($1)";
constexpr std::string_view kUnlockSql = "SELECT pg_advisory_unlock($1)";
constexpr std::string_view kSetLockTimeoutSql = "SELECT set_config('lock_timeout', $1, false)";
constexpr std::string_view kNextTokenSql =
    "INSERT INTO faultline_fencing(key, token) VALUES ($1, 1) "
    "ON CONFLICT (key) DO UPDATE SET token = faultline_fencing.token + 1 RETURNING token";
constexpr std::string_view kCreateFencingTableSql =
    "CREATE TABLE IF NOT EXISTS faultline_fencing (key text PRIMARY KEY, token bigint NOT NULL)";

Error deadline_exceeded(Duration timeout) {
  return Error{ErrorCode::kDeadlineExceeded,
               "the deadline of " + duration_text(timeout) + " passed before the statement could be sent"};
}

}  // namespace

// ---- PgLockSession -----------------------------------------------------------------------------

PgLockSession::PgLockSession(Connection connection) : connection_(std::move(connection)) {}

PgLockSession::~PgLockSession() { connection_.close(); }

Task<Result<bool>> PgLockSession::try_lock(locks::AdvisoryLockId id, Duration timeout) {
  if (Result<void> valid = faultline::validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  const std::array<std::string, 1> params{std::to_string(id)};
  Result<PgResult> result = co_await connection_.query(kTryLockSql, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return scalar_bool(*result);
}

Task<Result<void>> PgLockSession::lock(locks::AdvisoryLockId id, Duration timeout) {
  if (Result<void> valid = faultline::validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  const std::int64_t wait_ms = locks::server_lock_wait(timeout).count();
  if (lock_timeout_ms_ != wait_ms) {
    const std::array<std::string, 1> setting{std::to_string(wait_ms) + "ms"};
    Result<PgResult> set = co_await connection_.query(kSetLockTimeoutSql, setting, timeout);
    if (!set.ok()) co_return std::move(set).error();
    if (set->is_error()) co_return set->to_error();
    lock_timeout_ms_ = wait_ms;
  }
  const Duration remaining = remaining_until(deadline);
  if (remaining <= Duration::zero()) co_return deadline_exceeded(timeout);
  const std::array<std::string, 1> params{std::to_string(id)};
  Result<PgResult> result = co_await connection_.query(kLockSql, params, remaining);
  if (!result.ok()) co_return std::move(result).error();
  if (result->is_error()) {
    if (result->sqlstate() == kSqlStateLockNotAvailable) {
      co_return locks::lock_wait_ran_out(id, std::chrono::milliseconds(wait_ms));
    }
    co_return result->to_error();
  }
  co_return Ok{};
}

Task<Result<bool>> PgLockSession::unlock(locks::AdvisoryLockId id, Duration timeout) {
  if (Result<void> valid = faultline::validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  const std::array<std::string, 1> params{std::to_string(id)};
  Result<PgResult> result = co_await connection_.query(kUnlockSql, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return scalar_bool(*result);
}

Task<Result<locks::FencingToken>> PgLockSession::next_fencing_token(std::string_view key,
                                                                    Duration timeout) {
  if (Result<void> valid = locks::validate_request(key, std::nullopt, std::nullopt, timeout);
      !valid.ok()) {
    co_return std::move(valid).error();
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  const std::string fence = locks::fence_key(key);
  Result<PgResult> result = co_await upsert_token(fence, timeout);
  if (result.ok() && result->is_error() && result->sqlstate() == kSqlStateUndefinedTable) {
    // First use on this database: create the table, then try once more.
    const Duration for_create = remaining_until(deadline);
    if (for_create <= Duration::zero()) co_return deadline_exceeded(timeout);
    Result<void> created = co_await create_fencing_table(for_create);
    if (!created.ok()) co_return std::move(created).error();
    const Duration for_retry = remaining_until(deadline);
    if (for_retry <= Duration::zero()) co_return deadline_exceeded(timeout);
    result = co_await upsert_token(fence, for_retry);
  }
  if (!result.ok()) co_return std::move(result).error();
  Result<std::int64_t> token = scalar_int64(*result);
  if (!token.ok()) co_return std::move(token).error();
  if (*token <= 0) {
    co_return Error{ErrorCode::kProtocol,
                    "fencing token " + std::to_string(*token) + " is not positive"};
  }
  co_return static_cast<locks::FencingToken>(*token);
}

Task<Result<PgResult>> PgLockSession::upsert_token(const std::string& fence, Duration timeout) {
  const std::array<std::string, 1> params{fence};
  co_return co_await connection_.query(kNextTokenSql, params, timeout);
}

Task<Result<void>> PgLockSession::create_fencing_table(Duration timeout) {
  Result<PgResult> result = co_await connection_.query(kCreateFencingTableSql, timeout);
  if (!result.ok()) co_return std::move(result).error();
  // Two sessions creating the table at once: the loser sees one of these; the table exists.
  if (result->is_error() && result->sqlstate() != kSqlStateDuplicateTable &&
      result->sqlstate() != kSqlStateUniqueViolation) {
    co_return result->to_error();
  }
  co_return Ok{};
}

bool PgLockSession::lost() const { return connection_.lost(); }

Task<void> PgLockSession::close(Duration /*timeout*/) {
  // PQfinish does not wait for the server: it writes Terminate if the socket takes it and
  // closes. The server releases the session's locks when it reads Terminate or EOF.
  connection_.close();
  co_return;
}

// ---- PgSessionLockStore ------------------------------------------------------------------------

Result<std::unique_ptr<PgSessionLockStore>> PgSessionLockStore::create(
    boost::asio::io_context& io, ConnectionOptions options) {
  if (Result<void> valid = options.validate(); !valid.ok()) return std::move(valid).error();
  return std::unique_ptr<PgSessionLockStore>(new PgSessionLockStore(io, std::move(options)));
}

Task<Result<std::unique_ptr<PgLockSession>>> PgSessionLockStore::open_pg_session(
    Duration timeout) {
  Result<Connection> connection = co_await Connection::connect(io_, options_, timeout);
  if (!connection.ok()) co_return std::move(connection).error();
  co_return std::make_unique<PgLockSession>(std::move(connection).value());
}

Task<Result<std::unique_ptr<locks::LockSession>>> PgSessionLockStore::open_session(
    Duration timeout) {
  Result<std::unique_ptr<PgLockSession>> session = co_await open_pg_session(timeout);
  if (!session.ok()) co_return std::move(session).error();
  co_return std::unique_ptr<locks::LockSession>(std::move(session).value());
}

}  // namespace faultline::backends::postgres
