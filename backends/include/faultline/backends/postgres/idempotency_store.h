// PgIdempotencyStore: IdempotencyStore over one PostgreSQL table, on a borrowed Pool.
//
// Contract: that of faultline::idempotency::IdempotencyStore (idempotency_store.h), the same
// semantics as the simulated twin (sim/servers/src/redis_idempotency.cc). The table
//   faultline_idempotency (scope text, key text, fingerprint text, state text, point text,
//                          data bytea, owner text, lease_until timestamptz, created timestamptz,
//                          expires timestamptz, response bytea, PRIMARY KEY (scope, key))
// and two indexes (on expires, for reap; on the requests in progress, for abandoned) are
// created by ensure_schema(), never implicitly: call it once at deployment (or start-up); it is
// idempotent and safe to run from several processes at once.
// Without the table every operation fails with kUnavailable (SQLSTATE 42P01).
//
// Each operation borrows one connection from the pool and runs ONE statement (autocommit), so
// it is atomic on the server and its decision never spans two statements:
//   begin       INSERT ... ON CONFLICT (scope, key) DO UPDATE SET <each column: its new value
//               when the record is taken, else itself> RETURNING <the row>. The conflicting
//               row is locked, so concurrent begins of one key serialize: exactly one creates
//               it (kStarted); the others see it. A record past `expires` is replaced (as if
//               absent); one in progress with the same fingerprint is taken when `owner`
//               holds it or its lease lapsed. The outcome is read from the row as written:
//               another fingerprint -> kMismatch; completed -> kCompleted; another owner ->
//               kInFlight (its lease is live, or it would have been taken); else kStarted when
//               `data` IS NULL, kResumed otherwise. (`data` is NULL exactly from a record's
//               creation until it is checkpointed or resumed, and a resume writes
//               COALESCE(data, '') - so the statement's own write tells the two apart, with
//               no comparison of timestamps.) A begin that finds the record and takes nothing
//               still writes a row version (the price of deciding and reading in one step).
//   checkpoint  UPDATE ... WHERE <held by owner> RETURNING 1       (point, data, lease renewed)
//   complete    UPDATE ... WHERE <held by owner> RETURNING 1       (state 'completed', response)
//   release     DELETE ... WHERE <held by owner> RETURNING 1
//     <held by owner>: state = 'in_progress' AND owner = $owner AND expires > now(). A lapsed
//     lease nobody took is still its holder's; a completed record refuses all three.
//   reap        WITH batch AS (SELECT ctid ... WHERE expires <= now() LIMIT $n FOR UPDATE SKIP
//               LOCKED) DELETE ... USING batch WHERE ... AND expires <= now(): at most `limit`
//               rows (the batch is chosen once), never one a concurrent begin is replacing;
//               returns how many it deleted.
// Times are the server's (now(): the statement's start, one instant for the whole statement);
// lease and retention are whole milliseconds. Owners are stored hex-encoded (they are bytes);
// data and response are bytea, sent and read hex-encoded, so any bytes (NUL included) survive.
// Hex doubles their size on the wire: a complete() whose response is over about half of the
// pool's connection.max_statement_bytes (1 MiB by default) is refused with kInvalidArgument by
// the connection before anything is sent; raise max_statement_bytes to 2 * kMaxResponseBytes +
// 4 KiB to store the largest responses the port allows.
//
// Errors: arguments are checked first (idempotency::validate_*: kInvalidArgument, nothing
// sent). `timeout` bounds the whole call, waiting for a pooled connection included
// (kDeadlineExceeded when none became free: nothing sent). Otherwise as Connection::query():
// kUnavailable it did not happen (a server error is rolled back), kOutcomeUnknown it may have;
// every operation is safe to repeat with the same owner.
//
// Ownership: the pool is borrowed and must outlive the store and every call in progress;
// arguments are borrowed until the returned task completes (the port's contract), then copied
// into the statement. Thread-safety: as Pool (one
// single-threaded io_context); calls may run concurrently, each on its own connection.
#pragma once

#include <cstddef>
#include <string_view>

#include "faultline/backends/postgres/pool.h"
#include "faultline/clock.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres {

class PgIdempotencyStore final : public idempotency::IdempotencyStore {
 public:
  explicit PgIdempotencyStore(Pool& pool) : pool_(pool) {}
  PgIdempotencyStore(const PgIdempotencyStore&) = delete;
  PgIdempotencyStore& operator=(const PgIdempotencyStore&) = delete;

  // CREATE TABLE IF NOT EXISTS faultline_idempotency (...) and CREATE INDEX IF NOT EXISTS on
  // expires, two statements within `timeout`. Ok when both exist afterwards (also when a
  // concurrent caller created them); otherwise the first failure.
  [[nodiscard]] Task<Result<void>> ensure_schema(Duration timeout);

  Task<Result<idempotency::BeginReply>> begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention,
                                              Duration timeout) override;
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override;
  Task<Result<bool>> complete(idempotency::RequestId id, std::string_view owner,
                              std::string_view response, Duration timeout) override;
  Task<Result<bool>> release(idempotency::RequestId id, std::string_view owner,
                             Duration timeout) override;
  Task<Result<std::size_t>> reap(std::size_t limit, Duration timeout) override;
  // kAbandonedSql: one SELECT, a page of at most `limit` after the cursor, in (scope, key)
  // order. The cursor is record_key() of the last one listed.
  Task<Result<idempotency::AbandonedPage>> abandoned(std::string_view cursor, std::size_t limit,
                                                     Duration timeout) override;

 private:
  Pool& pool_;
};

}  // namespace faultline::backends::postgres
