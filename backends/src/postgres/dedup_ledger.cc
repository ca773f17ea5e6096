#include "faultline/backends/postgres/dedup_ledger.h"

#include <string>
#include <utility>

#include "faultline/invariant.h"
#include "faultline/validate.h"
#include "statement_support.h"

namespace faultline::backends::postgres {

// The ledger's key is dedup_key(): "dedup:" + the consumer's length (up to 3 digits) + ":" +
// consumer + ":" + message id. Every pair the port accepts must fit insert_once's key.
static_assert(6 + 3 + 1 + idempotency::kMaxConsumerBytes + 1 + idempotency::kMaxMessageIdBytes <=
              kMaxInsertKeyBytes);
namespace {

IdempotentTable processed_table() {
  Result<IdempotentTable> table = IdempotentTable::create(std::string(kProcessedTable));
  FAULTLINE_INVARIANT(table.ok(), "faultline_processed is a valid table name");
  return std::move(table).value();
}

}  // namespace

PgDedupLedger::PgDedupLedger(Pool& pool) : pool_(pool), table_(processed_table()) {}

Task<Result<void>> PgDedupLedger::ensure_schema(Duration timeout) {
  co_return co_await table_.ensure_schema(pool_, timeout);
}

Task<Result<std::size_t>> PgDedupLedger::reap(Duration older_than, std::size_t limit,
                                              Duration timeout) {
  co_return co_await table_.reap(pool_, older_than, limit, timeout);
}

Task<Result<bool>> PgDedupLedger::apply_once(idempotency::MessageId id, const Effect& effect,
                                             Duration timeout) {
  // The checks on their own, no Result kept in the frame (g++ 12 otherwise warns of a
  // mismatched coroutine-frame delete, a false positive; see connection.cc).
  if (!idempotency::validate_message(id).ok()) co_return idempotency::validate_message(id).error();
  if (timeout <= Duration::zero()) co_return validate_timeout(timeout).error();
  if (!effect) co_return invalid_argument("effect: must not be empty");
  const std::string key = idempotency::dedup_key(id);
  const detail::SteadyClock::time_point deadline = detail::SteadyClock::now() + timeout;
  Result<PooledConnection> lease = co_await pool_.acquire(timeout);
  if (!lease.ok()) co_return std::move(lease).error();
  co_return co_await in_transaction(**lease, key, effect, deadline);
}

Task<Result<bool>> PgDedupLedger::in_transaction(Connection& connection, const std::string& key,
                                                 const Effect& effect,
                                                 std::chrono::steady_clock::time_point deadline) {
  Duration remaining = detail::remaining_until(deadline);
  if (remaining <= Duration::zero()) co_return detail::deadline_passed("apply_once");
  Result<void> begun = co_await detail::begin_transaction(connection, remaining);
  if (!begun.ok()) co_return std::move(begun).error();
  Result<InsertOnce> recorded = detail::deadline_passed("apply_once");
  remaining = detail::remaining_until(deadline);
  if (remaining > Duration::zero()) {
    recorded = co_await table_.insert_once(connection, key, "", remaining);
  }
  if (!recorded.ok() || recorded->outcome != InsertOutcome::kInserted) {
    co_await detail::roll_back(connection, deadline);
    if (!recorded.ok()) co_return std::move(recorded).error();
    co_return false;  // processed before: the effect is not run
  }
  Result<void> done = detail::deadline_passed("the effect");
  remaining = detail::remaining_until(deadline);
  if (remaining > Duration::zero()) done = co_await effect(connection, remaining);
  if (!done.ok()) {
    co_await detail::roll_back(connection, deadline);
    co_return std::move(done).error();
  }
  Result<void> committed = co_await detail::commit(connection, deadline);
  if (!committed.ok()) co_return std::move(committed).error();
  co_return true;
}

}  // namespace faultline::backends::postgres
