#include "faultline/backends/postgres/idempotency_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <span>
#include <string>
#include <utility>

#include "faultline/backends/postgres/pg_result.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"
#include "statement_support.h"

namespace faultline::backends::postgres {
namespace {

using idempotency::BeginOutcome;
using idempotency::BeginReply;
using idempotency::RequestId;
using detail::deleted_count;
using detail::hex;
using detail::ms_text;
using detail::remaining_until;
using detail::run_statement;
using detail::SteadyClock;
using detail::unhex;

constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS faultline_idempotency (scope text NOT NULL, key text NOT NULL, "
    "fingerprint text NOT NULL, state text NOT NULL, point text NOT NULL, data bytea, owner text, "
    "lease_until timestamptz NOT NULL, created timestamptz NOT NULL, "
    "expires timestamptz NOT NULL, response bytea, PRIMARY KEY (scope, key))";
constexpr std::string_view kCreateIndexSql =
    "CREATE INDEX IF NOT EXISTS faultline_idempotency_expires ON faultline_idempotency (expires)";

// $1 scope, $2 key, $3 fingerprint, $4 owner (hex), $5 lease ms, $6 retention ms, $7 the
// started point. In SET, r.* is the row as it was; `expired` replaces it wholesale, `take`
// (same fingerprint, in progress, held by $4 or its lease lapsed) leases it to $4; anything
// else writes it back unchanged. data is NULL exactly on a row this statement created.
constexpr std::string_view kBeginSql =
    "INSERT INTO faultline_idempotency AS r (scope, key, fingerprint, state, point, data, owner, "
    "lease_until, created, expires, response) "
    "VALUES ($1, $2, $3, 'in_progress', $7, NULL, $4, "
    "now() + $5::bigint * interval '1 millisecond', now(), "
    "now() + $6::bigint * interval '1 millisecond', NULL) "
    "ON CONFLICT (scope, key) DO UPDATE SET "
    "fingerprint = CASE WHEN r.expires <= now() THEN excluded.fingerprint ELSE r.fingerprint END, "
    "state = CASE WHEN r.expires <= now() THEN excluded.state ELSE r.state END, "
    "point = CASE WHEN r.expires <= now() THEN excluded.point ELSE r.point END, "
    "data = CASE WHEN r.expires <= now() THEN NULL "
    "  WHEN r.fingerprint = excluded.fingerprint AND r.state = 'in_progress' "
    "   AND (r.owner = excluded.owner OR r.lease_until <= now()) "
    "  THEN COALESCE(r.data, ''::bytea) ELSE r.data END, "
    "owner = CASE WHEN r.expires <= now() OR (r.fingerprint = excluded.fingerprint "
    "   AND r.state = 'in_progress' AND (r.owner = excluded.owner OR r.lease_until <= now())) "
    "  THEN excluded.owner ELSE r.owner END, "
    "lease_until = CASE WHEN r.expires <= now() OR (r.fingerprint = excluded.fingerprint "
    "   AND r.state = 'in_progress' AND (r.owner = excluded.owner OR r.lease_until <= now())) "
    "  THEN excluded.lease_until ELSE r.lease_until END, "
    "created = CASE WHEN r.expires <= now() THEN excluded.created ELSE r.created END, "
    "expires = CASE WHEN r.expires <= now() THEN excluded.expires ELSE r.expires END, "
    "response = CASE WHEN r.expires <= now() THEN NULL ELSE r.response END "
    "RETURNING r.fingerprint, r.state, r.owner, r.point, r.data IS NULL, encode(r.data, 'hex'), "
    "CASE WHEN r.state = 'completed' AND r.fingerprint = $3 THEN encode(r.response, 'hex') END, "
    "ceil(extract(epoch FROM r.lease_until - now()) * 1000)::bigint";

// Every holder's operation acts only on a row in progress, leased to $3, within retention.
// $1 scope, $2 key, $3 owner (hex), $4 point, $5 data (hex), $6 lease ms.
constexpr std::string_view kCheckpointSql =
    "UPDATE faultline_idempotency SET point = $4, data = decode($5, 'hex'), "
    "lease_until = now() + $6::bigint * interval '1 millisecond' "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";
// $1 scope, $2 key, $3 owner (hex), $4 response (hex).
constexpr std::string_view kCompleteSql =
    "UPDATE faultline_idempotency SET state = 'completed', response = decode($4, 'hex'), "
    "owner = NULL "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";
// $1 scope, $2 key, $3 owner (hex).
constexpr std::string_view kReleaseSql =
    "DELETE FROM faultline_idempotency "
    "WHERE scope = $1 AND key = $2 AND state = 'in_progress' AND owner = $3 AND expires > now() "
    "RETURNING 1";

// $1 limit. SKIP LOCKED: a row a concurrent begin is replacing is left to it; the outer
// condition is checked again on the row as it is when deleted.
constexpr std::string_view kReapSql =
    "DELETE FROM faultline_idempotency WHERE ctid IN (SELECT ctid FROM faultline_idempotency "
    "WHERE expires <= now() LIMIT $1::bigint FOR UPDATE SKIP LOCKED) AND expires <= now()";

// Columns of kBeginSql's RETURNING.
enum BeginColumn : std::size_t {
  kFingerprint,
  kState,
  kOwner,
  kPoint,
  kCreatedHere,
  kData,
  kResponse,
  kLeaseLeftMs,
  kBeginColumns
};

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

const std::string& text_cell(const PgResult& result, BeginColumn column) {
  static const std::string kNull;
  const PgResult::Cell& cell = result.cell(0, column);
  return cell ? *cell : kNull;
}

// The outcome of a begin, read from the row its statement wrote (see the header).
Result<BeginReply> begin_reply(const PgResult& result, std::string_view fingerprint,
                               std::string_view owner_hex) {
  if (result.is_error()) return result.to_error();
  if (result.rows().size() != 1 || result.columns().size() != kBeginColumns) {
    return Error{ErrorCode::kProtocol, "begin: expected one row of " +
                                           std::to_string(kBeginColumns) + " columns, got " +
                                           std::to_string(result.rows().size()) + " rows"};
  }
  if (text_cell(result, kFingerprint) != fingerprint) return BeginReply{BeginOutcome::kMismatch};
  if (text_cell(result, kState) == "completed") {
    Result<std::string> response = unhex(text_cell(result, kResponse), "response");
    if (!response.ok()) return std::move(response).error();
    return BeginReply{.outcome = BeginOutcome::kCompleted, .response = std::move(*response)};
  }
  if (text_cell(result, kOwner) != owner_hex) {
    std::int64_t left_ms = 0;
    const std::string& left = text_cell(result, kLeaseLeftMs);
    std::from_chars(left.data(), left.data() + left.size(), left_ms);
    return BeginReply{.outcome = BeginOutcome::kInFlight,
                      .lease_left = std::chrono::milliseconds(std::max<std::int64_t>(left_ms, 1))};
  }
  if (text_cell(result, kCreatedHere) == "t") {
    return BeginReply{.outcome = BeginOutcome::kStarted,
                      .point = std::string(idempotency::kStartedPoint)};
  }
  Result<std::string> data = unhex(text_cell(result, kData), "data");
  if (!data.ok()) return std::move(data).error();
  return BeginReply{.outcome = BeginOutcome::kResumed,
                    .point = text_cell(result, kPoint),
                    .data = std::move(*data)};
}

}  // namespace

Task<Result<void>> PgIdempotencyStore::ensure_schema(Duration timeout) {
  if (timeout <= Duration::zero()) co_return validate_timeout(timeout).error();
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  Result<PooledConnection> lease = co_await pool_.acquire(timeout);
  if (!lease.ok()) co_return std::move(lease).error();
  for (const std::string_view sql : {kCreateTableSql, kCreateIndexSql}) {
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
  co_return begin_reply(*result, params[2], params[3]);
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
  co_return deleted_count(*result);
}

}  // namespace faultline::backends::postgres
