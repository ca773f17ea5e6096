#include "faultline/sim/pg_dedup_ledger.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "faultline/sim/rpc.h"
#include "faultline/validate.h"

namespace faultline::sim {

Result<bool> SimDedupLedger::apply_on_node(PgNode& node, ProcessId client,
                                           idempotency::MessageId id, const Effect& effect) {
  const SessionId session = node.open_session(client);
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      node.host().clock().wall_now().time_since_epoch());
  const std::string key = idempotency::dedup_key(id);
  Result<bool> done = node.transaction(session, [&](PgDatabase& db) -> Result<bool> {
    PgRow row{{"processed_at", std::to_string(wall_ms.count())}};
    if (!db.table(kProcessedTable).insert(key, std::move(row))) return false;
    if (Result<void> applied = effect(db); !applied.ok()) return std::move(applied).error();
    return true;
  });
  node.close_session(session);
  return done;
}

Task<Result<bool>> SimDedupLedger::apply_once(idempotency::MessageId id, const Effect& effect,
                                              Duration timeout) {
  if (auto r = idempotency::validate_message(id); !r) co_return std::move(r).error();
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  if (!effect) co_return invalid_argument("effect: must not be empty");
  PgNode* node = &node_;
  const ProcessId client = client_.id();
  // Applied once per request, whatever the network duplicates (one connection, as TCP).
  auto result = std::make_shared<std::optional<Result<bool>>>();
  auto op = [node, client, consumer = std::string(id.consumer),
             message = std::string(id.message_id), effect, result]() {
    if (!result->has_value()) {
      result->emplace(apply_on_node(*node, client, {consumer, message}, effect));
    }
    return **result;
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

}  // namespace faultline::sim
