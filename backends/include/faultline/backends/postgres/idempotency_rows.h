// The idempotency statements' results read into the stores' values: PgIdempotencyStore's and
// IdempotentTable's decoders, on their own so that tests and the fuzz target
// (tests/fuzz/pg_store_rows.cc) reach them without a server.
//
// Contract: any PgResult gives a value or an Error: an error result's to_error() (kUnavailable),
// else kProtocol naming the operation ("begin: ", "abandoned: ", "insert_once into <table>: ",
// "reap: ") and what was wrong: the shape, a NULL in an abandoned page or an insert row, text that
// is not hex or not a number, an insert flag other than t/f. The begin row reads its nullable
// columns (and any NULL) as "", and only the values that decide its outcome are compared:
// fingerprint, state "completed", owner, created flag "t". Never asserts, whatever the result.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "faultline/backends/postgres/pg_result.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/result.h"

namespace faultline::backends::postgres {

// kBeginSql's one row (idempotency_sql.h), read for the caller whose fingerprint and owner (hex)
// are given: kMismatch, kCompleted with the response, kInFlight with the holder's lease left
// (clamped to [1 ms, idempotency::kMaxLease]), kStarted, or kResumed with point and data.
[[nodiscard]] Result<idempotency::BeginReply> decode_begin_row(const PgResult& result,
                                                               std::string_view fingerprint,
                                                               std::string_view owner_hex);

// kAbandonedSql's rows (scope, key, fingerprint, point, data as hex), at most `limit`, as a
// page; a full page's next cursor names its last row.
[[nodiscard]] Result<idempotency::AbandonedPage> decode_abandoned_page(const PgResult& result,
                                                                       std::size_t limit);

// What IdempotentTable::insert_once found under the key.
enum class InsertOutcome { kInserted, kExisting, kConflict };
struct InsertOnce {
  InsertOutcome outcome = InsertOutcome::kInserted;
  std::string payload{};  // the payload stored under the key (kConflict: the other one)
};

// The insert's one row (inserted "t"/"f", the stored payload as hex) for a caller who sent
// `payload`; `table` names the table in errors.
[[nodiscard]] Result<InsertOnce> decode_insert_row(const PgResult& result,
                                                   std::string_view payload,
                                                   std::string_view table);

// A DELETE's command status "DELETE <n>" as n.
[[nodiscard]] Result<std::size_t> decode_deleted_count(const PgResult& result);

}  // namespace faultline::backends::postgres
