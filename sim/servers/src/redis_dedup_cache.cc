#include "faultline/sim/redis_dedup_cache.h"

#include <string>
#include <utility>

#include "faultline/sim/redis_strings.h"
#include "faultline/sim/rpc.h"
#include "faultline/validate.h"

namespace faultline::sim {

Task<Result<bool>> SimDedupCache::seen(idempotency::MessageId id, Duration timeout) {
  if (auto r = idempotency::validate_message(id); !r) co_return std::move(r).error();
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  RedisNode* node = &node_;
  auto op = [node, key = idempotency::dedup_key(id)]() {
    return Result<bool>(RedisStrings(*node).get(key).has_value());
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<void>> SimDedupCache::mark(idempotency::MessageId id, Duration window,
                                       Duration timeout) {
  if (auto r = idempotency::validate_message(id); !r) co_return std::move(r).error();
  idempotency::ConsumerDedupOptions options;
  options.window = window;
  if (auto r = options.validate(); !r) co_return std::move(r).error();
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  RedisNode* node = &node_;
  auto op = [node, key = idempotency::dedup_key(id), window]() {
    RedisStrings(*node).set(key, "1", SetOptions{window, /*nx=*/true});
    return Result<bool>(true);
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  Result<bool> done = co_await std::move(reply);
  if (!done.ok()) co_return std::move(done).error();
  co_return Ok{};
}

}  // namespace faultline::sim
