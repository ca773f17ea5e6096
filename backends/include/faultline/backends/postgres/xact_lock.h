// with_xact_lock: run a transaction while holding a transaction-scoped advisory lock.
//
// Contract
//   with_xact_lock(connection, id, body, timeout) runs, on `connection`:
//     BEGIN
//     SELECT pg_try_advisory_xact_lock($1)      -- never waits
//     body(connection, remaining)               -- only if the lock was taken
//     COMMIT                                    -- releases the lock with the transaction
//   and returns
//     true               the lock was taken, body returned Ok, and the transaction committed;
//     false              another session holds the lock: rolled back, body not run;
//     body's Error       body failed: rolled back (its effects are undone);
//     kFailedPrecondition  the connection is already inside a transaction block (nothing sent),
//                        or the transaction had failed (a statement in body errored and body
//                        returned Ok anyway): COMMIT rolled it back;
//     kOutcomeUnknown    COMMIT was sent and no answer came (timeout or connection loss): the
//                        transaction may or may not have committed;
//     other Errors       as Connection::query() for BEGIN and the lock statement.
//   A transaction-scoped lock cannot outlive its transaction, so unlike session locks it cannot
//   leak: a lost connection aborts the transaction and frees the lock on the server.
//   `timeout` bounds the whole call; body receives what is left of it and should pass it on to
//   its queries. Rollback after a failure uses what is left; if nothing is, the connection is
//   closed instead (which also rolls back), so the call still ends by its deadline.
//
// Ownership: `body` and `connection` are borrowed until the task completes; build `body` as a
// named local (g++ 12 destroys a temporary std::function in a co_await operand twice).
// Thread-safety: as Connection (one coroutine at a time on the connection).
#pragma once

#include <functional>

#include "faultline/backends/postgres/connection.h"
#include "faultline/clock.h"
#include "faultline/locks/session_lock_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres {

// The transaction's work: runs inside the transaction, on the given connection, within
// `remaining`. Returning an Error rolls the transaction back.
using XactBody = std::function<Task<Result<void>>(Connection& connection, Duration remaining)>;

[[nodiscard]] Task<Result<bool>> with_xact_lock(Connection& connection, locks::AdvisoryLockId id,
                                                const XactBody& body, Duration timeout);

}  // namespace faultline::backends::postgres
