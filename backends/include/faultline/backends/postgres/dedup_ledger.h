// PgDedupLedger: the durable side of consumer dedup (faultline/idempotency/consumer_dedup.h) on
// PostgreSQL: a record per processed message, committed in the same transaction as the
// consumer's effect. The Ledger of idempotency::ConsumerDedup<PgDedupLedger>.
//
// apply_once(id, effect, timeout), on one pooled connection:
//   BEGIN
//   insert_once(dedup_key(id), "") into faultline_processed (IdempotentTable, one statement;
//              a concurrent consumer of the same message waits here for the other's outcome)
//   -- the row existed: ROLLBACK -> false (a duplicate; the effect is not run)
//   effect(connection, remaining)   -- the consumer's statements, in the same transaction
//   COMMIT -> true
// and returns
//   true / false         as above;
//   the effect's Error   rolled back with the record: the message is not recorded;
//   kFailedPrecondition  the effect returned Ok after one of its statements failed: COMMIT
//                        rolled everything back;
//   kOutcomeUnknown      COMMIT (or a statement) was sent and no answer came: the effect and its
//                        record committed together or not at all, and the next apply_once of
//                        the same message finds out which (false: it had committed);
//   kInvalidArgument     naming the field (validate_message, timeout, an empty effect), nothing
//                        sent; kDeadlineExceeded / kUnavailable: nothing committed.
// `timeout` bounds the whole call, waiting for a connection included; the effect receives what
// is left of it and should pass it on to its queries.
//
// ensure_schema() creates faultline_processed (key, payload, created): call it at deployment.
// reap(older_than, limit) deletes records older than `older_than`, at most `limit` a call. A
// record must outlive every redelivery of its message: reap only past the broker's retention.
//
// Ownership: the pool is borrowed and must outlive the ledger and every call; `effect` is
// borrowed until the task completes (build it as a named local: g++ 12 and co_await operands).
// Thread-safety: as Pool; calls may run concurrently, each on its own connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <functional>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/idempotent_insert.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/idempotency/consumer_dedup.h"

namespace faultline::backends::postgres {

inline constexpr std::string_view kProcessedTable = "faultline_processed";

class PgDedupLedger {
 public:
  // The consumer's work: its statements on `connection`, within `remaining`. An Error rolls the
  // transaction back.
  using Effect = std::function<Task<Result<void>>(Connection& connection, Duration remaining)>;

  explicit PgDedupLedger(Pool& pool);

  [[nodiscard]] Task<Result<void>> ensure_schema(Duration timeout);
  [[nodiscard]] Task<Result<bool>> apply_once(idempotency::MessageId id, const Effect& effect,
                                              Duration timeout);
  [[nodiscard]] Task<Result<std::size_t>> reap(Duration older_than, std::size_t limit,
                                               Duration timeout);

 private:
  // BEGIN, the record, the effect, COMMIT (or ROLLBACK) on `connection`, by `deadline`.
  Task<Result<bool>> in_transaction(Connection& connection, const std::string& key,
                                    const Effect& effect,
                                    std::chrono::steady_clock::time_point deadline);

  Pool& pool_;
  IdempotentTable table_;
};

}  // namespace faultline::backends::postgres
