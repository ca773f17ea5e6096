#include "faultline/backends/postgres/idempotency_store.h"

#include <array>
#include <chrono>
#include <span>
#include <string>
#include <utility>

#include "faultline/backends/postgres/idempotency_rows.h"
#include "faultline/backends/postgres/idempotency_sql.h"
#include "faultline/backends/postgres/pg_result.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"
#include "bytea_hex.h"
#include "statement_support.h"

namespace faultline::backends::postgres {
namespace {

using idempotency::BeginReply;
using idempotency::RequestId;
using detail::hex;
using detail::ms_text;
using detail::remaining_until;
using detail::run_statement;
using detail::SteadyClock;
using idempotency_sql::kBeginSql;
using idempotency_sql::kCheckpointSql;
using idempotency_sql::kCompleteSql;
using idempotency_sql::kCreateIndexSql;
using idempotency_sql::kCreateInProgressIndexSql;
using idempotency_sql::kCreateTableSql;
using idempotency_sql::kAbandonedSql;
using idempotency_sql::kReapSql;
using idempotency_sql::kReleaseSql;

// A holder's operation: true when it matched the row (RETURNING 1 gave one row).
Result<bool> one_row(Result<PgResult> result) {
  if (!result.ok()) return std::move(result).error();
  if (result->is_error()) return result->to_error();
  if (result->rows().size() > 1) {
    return Error{ErrorCode::kProtocol,
                 std::to_string(result->rows().size()) + " rows for one (scope, key)"};
  }
  return result->rows().size() == 1;
}

}  // namespace

Task<Result<void>> PgIdempotencyStore::ensure_schema(Duration timeout) {
  if (timeout <= Duration::zero()) co_return validate_timeout(timeout).error();
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Result<PooledConnection> lease = co_await pool_.acquire(timeout);
  if (!lease.ok()) co_return std::move(lease).error();
  for (const std::string_view sql :
       {kCreateTableSql, kCreateIndexSql, kCreateInProgressIndexSql}) {
    const Duration remaining = remaining_until(deadline);
    if (remaining <= Duration::zero()) {
      co_return Error{ErrorCode::kDeadlineExceeded,
                      "ensure_schema: the deadline of " + duration_text(timeout) + " passed"};
    }
    Result<PgResult> result = co_await (*lease)->query(sql, remaining);
    if (!result.ok()) co_return std::move(result).error();
    // Two callers creating at once: the loser may see one of these; the object exists.
    if (result->is_error() && result->sqlstate() != kSqlStateDuplicateTable &&
        result->sqlstate() != kSqlStateUniqueViolation) {
      co_return result->to_error();
    }
  }
  co_return Ok{};
}

Task<Result<BeginReply>> PgIdempotencyStore::begin(RequestId id, std::string_view fingerprint,
                                                   std::string_view owner, Duration lease,
                                                   Duration retention, Duration timeout) {
  if (auto r = idempotency::validate_begin(id, fingerprint, owner, lease, retention, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::array<std::string, 7> params{std::string(id.scope),
                                          std::string(id.key),
                                          std::string(fingerprint),
                                          hex(owner),
                                          ms_text(lease),
                                          ms_text(retention),
                                          std::string(idempotency::kStartedPoint)};
  Result<PgResult> result = co_await run_statement(pool_, kBeginSql, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_begin_row(*result, params[2], params[3]);
}

Task<Result<bool>> PgIdempotencyStore::checkpoint(RequestId id, std::string_view owner,
                                                  std::string_view point, std::string_view data,
                                                  Duration lease, Duration timeout) {
  if (auto r = idempotency::validate_checkpoint(id, owner, point, data, lease, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::array<std::string, 6> params{
      std::string(id.scope), std::string(id.key), hex(owner),
      std::string(point),    hex(data),           ms_text(lease)};
  Result<PgResult> result = co_await run_statement(pool_, kCheckpointSql, params, timeout);
  co_return one_row(std::move(result));
}

Task<Result<bool>> PgIdempotencyStore::complete(RequestId id, std::string_view owner,
                                                std::string_view response, Duration timeout) {
  if (auto r = idempotency::validate_complete(id, owner, response, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::array<std::string, 4> params{std::string(id.scope), std::string(id.key), hex(owner),
                                          hex(response)};
  Result<PgResult> result = co_await run_statement(pool_, kCompleteSql, params, timeout);
  co_return one_row(std::move(result));
}

Task<Result<bool>> PgIdempotencyStore::release(RequestId id, std::string_view owner,
                                               Duration timeout) {
  if (auto r = idempotency::validate_release(id, owner, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::array<std::string, 3> params{std::string(id.scope), std::string(id.key), hex(owner)};
  Result<PgResult> result = co_await run_statement(pool_, kReleaseSql, params, timeout);
  co_return one_row(std::move(result));
}

Task<Result<std::size_t>> PgIdempotencyStore::reap(std::size_t limit, Duration timeout) {
  if (auto r = idempotency::validate_reap(limit, timeout); !r) co_return std::move(r).error();
  const std::array<std::string, 1> params{std::to_string(limit)};
  Result<PgResult> result = co_await run_statement(pool_, kReapSql, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_deleted_count(*result);
}

Task<Result<idempotency::AbandonedPage>> PgIdempotencyStore::abandoned(std::string_view cursor,
                                                                       std::size_t limit,
                                                                       Duration timeout) {
  if (auto r = idempotency::validate_abandoned(cursor, limit, timeout); !r) {
    co_return std::move(r).error();
  }
  std::optional<idempotency::ParsedRecordKey> after;
  if (!cursor.empty()) {
    after = idempotency::parse_record_key(cursor);
    if (!after) co_return invalid_argument("cursor: not one this store returned");
  }
  const std::array<std::string, 3> params{after ? after->scope : std::string(),
                                          after ? after->key : std::string(),
                                          std::to_string(limit)};
  Result<PgResult> result = co_await run_statement(pool_, kAbandonedSql, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_abandoned_page(*result, limit);
}

}  // namespace faultline::backends::postgres
