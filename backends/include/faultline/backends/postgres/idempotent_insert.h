// IdempotentTable: writes that happen once under a unique key, and say honestly whether this
// call wrote the row, on PostgreSQL.
//
// The table (created by ensure_schema(), never implicitly):
//   <name> (key text PRIMARY KEY, payload bytea NOT NULL, created timestamptz NOT NULL)
//   plus an index on created, for reap.
//
// insert_once(key, payload) is ONE statement:
//   INSERT INTO <name> AS t (key, payload, created) VALUES ($1, decode($2, 'hex'), now())
//   ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
//   RETURNING (t.xmax = 0) AS inserted, encode(t.payload, 'hex')
// and reports
//   kInserted   this call created the row (its payload is `payload`);
//   kExisting   the row was there, with the same payload (an earlier call's work: not ours);
//   kConflict   the row was there with a different payload (returned): the key was reused for
//               another write, which a caller must treat as an error (HTTP 422), not a success.
// Why not `ON CONFLICT DO NOTHING`: it returns no row for an existing key, so a caller that
// counts "no error" as success claims a write it did not make, and a follow-up SELECT in a
// READ COMMITTED transaction may not even see the conflicting row (it was committed after the
// statement's snapshot, which DO NOTHING never re-reads). DO UPDATE locks the existing row and
// returns it as it is committed, always one row; a no-op update writes a row version, the price
// of deciding and reading in one step. xmax = 0 holds exactly for a row version this statement
// inserted: updating the conflicting row leaves this transaction's id in xmax (the row lock it
// takes), which tests/backends/postgres/idempotent_insert_test.cc checks on the real server.
// Concurrent insert_once of one key serialize on the unique index: exactly one kInserted.
//
// Inside a transaction (the Connection overload, e.g. a consumer's ledger), the row commits or
// rolls back with it; a concurrent caller waits for that outcome.
//
// reap(older_than, limit) deletes at most `limit` rows created more than `older_than` ago:
//   WITH batch AS (SELECT ctid FROM <name> WHERE created < now() - $1 LIMIT $2
//   FOR UPDATE SKIP LOCKED) DELETE FROM <name> t USING batch WHERE t.ctid = batch.ctid AND ...
// (the batch chosen once, in a CTE: a `ctid IN (subquery)` may be rescanned and delete more)
// so a sweep is bounded in time and locks, never waits for a row in use, and is repeated until
// it returns fewer than `limit`.
//
// Errors: kInvalidArgument naming the field before anything is sent (the table name: a lowercase
// SQL identifier of 1..48 bytes; key: 1..1024 bytes of printable ASCII; payload: at most 256 KiB;
// limit in [1, 10000]; older_than in [1ms, 10 years]; timeout > 0). Otherwise as
// Connection::query(): kUnavailable it did not happen, kOutcomeUnknown it may have (repeat:
// insert_once is idempotent), kDeadlineExceeded no pooled connection in time.
//
// Ownership: the pool / connection is borrowed until the task completes; arguments are copied
// before the first suspension. Thread-safety: a value type; calls as Pool / Connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/idempotency_rows.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres {

// 1 KiB: room for a dedup_key() of the longest consumer and message ids (521 bytes), far below
// what a btree index entry may hold (about 2.7 KB).
inline constexpr std::size_t kMaxInsertKeyBytes = 1024;
inline constexpr std::size_t kMaxInsertPayloadBytes = 256 * 1024;
inline constexpr std::size_t kMaxTableNameBytes = 48;
inline constexpr std::size_t kMaxReapRows = 10'000;

class IdempotentTable {
 public:
  // kInvalidArgument "table: ..." unless `name` is [a-z_][a-z0-9_]* of 1..48 bytes.
  [[nodiscard]] static Result<IdempotentTable> create(std::string name);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS, within `timeout`; Ok when both
  // exist afterwards (also when a concurrent caller created them).
  [[nodiscard]] Task<Result<void>> ensure_schema(Pool& pool, Duration timeout) const;
  // On a pooled connection, autocommit.
  [[nodiscard]] Task<Result<InsertOnce>> insert_once(Pool& pool, std::string_view key,
                                                     std::string_view payload,
                                                     Duration timeout) const;
  // On `connection`, inside whatever transaction it is in.
  [[nodiscard]] Task<Result<InsertOnce>> insert_once(Connection& connection, std::string_view key,
                                                     std::string_view payload,
                                                     Duration timeout) const;
  // Deletes at most `limit` rows older than `older_than`; returns how many.
  [[nodiscard]] Task<Result<std::size_t>> reap(Pool& pool, Duration older_than, std::size_t limit,
                                               Duration timeout) const;

  // The checks insert_once makes (key, payload, timeout), for callers that validate first.
  [[nodiscard]] static Result<void> validate_insert(std::string_view key, std::string_view payload,
                                                    Duration timeout);

 private:
  explicit IdempotentTable(std::string name);

  std::string name_;
  std::string insert_sql_;
  std::string reap_sql_;
};

}  // namespace faultline::backends::postgres
