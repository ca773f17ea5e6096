#include "faultline/backends/postgres/idempotent_insert.h"

#include <array>
#include <chrono>
#include <utility>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/validate.h"
#include "bytea_hex.h"
#include "statement_support.h"

namespace faultline::backends::postgres {
namespace {

constexpr std::chrono::hours kMaxReapAge{24 * 365 * 10};

bool identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxTableNameBytes) return false;
  if (name[0] >= '0' && name[0] <= '9') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

Result<IdempotentTable> IdempotentTable::create(std::string name) {
  if (!identifier(name)) {
    return field_error("table", name, "must be a lowercase SQL identifier of 1..48 bytes");
  }
  return IdempotentTable(std::move(name));
}

IdempotentTable::IdempotentTable(std::string name) : name_(std::move(name)) {
  // The one statement that decides and reads (see the header for why not DO NOTHING).
  insert_sql_ = "INSERT INTO " + name_ +
                " AS t (key, payload, created) VALUES ($1, decode($2, 'hex'), now()) "
                "ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key "
                "RETURNING (t.xmax = 0) AS inserted, encode(t.payload, 'hex')";
  const std::string old = "created < now() - $1::bigint * interval '1 millisecond'";
  // The batch is chosen once, in a CTE (evaluated exactly once per statement), never as a
  // `ctid IN (subquery)` the planner may rescan: a rescan of LIMIT ... SKIP LOCKED can pick
  // other rows and delete more than `limit`.
  reap_sql_ = "WITH batch AS (SELECT ctid FROM " + name_ + " WHERE " + old +
              " LIMIT $2::bigint FOR UPDATE SKIP LOCKED) DELETE FROM " + name_ +
              " t USING batch WHERE t.ctid = batch.ctid AND t." + old;
}

Result<void> IdempotentTable::validate_insert(std::string_view key, std::string_view payload,
                                              Duration timeout) {
  if (auto r = idempotency::validate_text("key", key, kMaxInsertKeyBytes); !r) return r;
  if (auto r = check_size("payload", payload.size(), 0, kMaxInsertPayloadBytes, "bytes"); !r) {
    return r;
  }
  return validate_timeout(timeout);
}

Task<Result<void>> IdempotentTable::ensure_schema(Pool& pool, Duration timeout) const {
  if (auto r = validate_timeout(timeout); !r) co_return std::move(r).error();
  const std::string create = "CREATE TABLE IF NOT EXISTS " + name_ +
                             " (key text PRIMARY KEY, payload bytea NOT NULL, "
                             "created timestamptz NOT NULL)";
  const std::string index =
      "CREATE INDEX IF NOT EXISTS " + name_ + "_created ON " + name_ + " (created)";
  const detail::SteadyClock::time_point deadline = detail::SteadyClock::now() + timeout;
  for (const std::string* sql : {&create, &index}) {
    const Duration remaining = detail::remaining_until(deadline);
    if (remaining <= Duration::zero()) co_return detail::deadline_passed("ensure_schema");
    Result<PgResult> result = co_await detail::run_statement(pool, *sql, {}, remaining);
    if (!result.ok()) co_return std::move(result).error();
    // Two callers creating at once: the loser may see one of these; the object exists.
    if (result->is_error() && result->sqlstate() != kSqlStateDuplicateTable &&
        result->sqlstate() != kSqlStateUniqueViolation) {
      co_return result->to_error();
    }
  }
  co_return Ok{};
}

Task<Result<InsertOnce>> IdempotentTable::insert_once(Pool& pool, std::string_view key,
                                                      std::string_view payload,
                                                      Duration timeout) const {
  if (auto r = validate_insert(key, payload, timeout); !r) co_return std::move(r).error();
  const std::array<std::string, 2> params{std::string(key), detail::hex(payload)};
  const std::string expected(payload);
  Result<PgResult> result = co_await detail::run_statement(pool, insert_sql_, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_insert_row(*result, expected, name_);
}

Task<Result<InsertOnce>> IdempotentTable::insert_once(Connection& connection,
                                                      std::string_view key,
                                                      std::string_view payload,
                                                      Duration timeout) const {
  if (auto r = validate_insert(key, payload, timeout); !r) co_return std::move(r).error();
  const std::array<std::string, 2> params{std::string(key), detail::hex(payload)};
  const std::string expected(payload);
  Result<PgResult> result = co_await connection.query(insert_sql_, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_insert_row(*result, expected, name_);
}

Task<Result<std::size_t>> IdempotentTable::reap(Pool& pool, Duration older_than,
                                                std::size_t limit, Duration timeout) const {
  if (auto r = check_range("older_than", older_than, Duration(std::chrono::milliseconds(1)),
                           Duration(kMaxReapAge));
      !r) {
    co_return std::move(r).error();
  }
  if (auto r = check_size("limit", limit, 1, kMaxReapRows); !r) co_return std::move(r).error();
  if (auto r = validate_timeout(timeout); !r) co_return std::move(r).error();
  const std::array<std::string, 2> params{detail::ms_text(older_than), std::to_string(limit)};
  Result<PgResult> result = co_await detail::run_statement(pool, reap_sql_, params, timeout);
  if (!result.ok()) co_return std::move(result).error();
  co_return decode_deleted_count(*result);
}

}  // namespace faultline::backends::postgres
