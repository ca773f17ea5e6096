#include "faultline/backends/redis/dedup_cache.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "faultline/backends/redis/reply.h"
#include "faultline/validate.h"

namespace faultline::backends::redis {

Task<Result<bool>> RedisDedupCache::seen(idempotency::MessageId id, Duration timeout) {
  if (auto r = idempotency::validate_message(id); !r) co_return std::move(r).error();
  if (auto r = validate_timeout(timeout); !r) co_return std::move(r).error();
  const std::array<std::string, 2> argv{"EXISTS", idempotency::dedup_key(id)};
  Result<RedisReply> reply = co_await connection_.command(std::span<const std::string>(argv),
                                                          timeout);
  if (!reply.ok()) co_return std::move(reply).error();
  if (!reply->is_integer()) {
    co_return Error{ErrorCode::kProtocol, "EXISTS answered " + std::string(to_string(reply->kind()))};
  }
  co_return reply->as_integer() == 1;
}

Task<Result<void>> RedisDedupCache::mark(idempotency::MessageId id, Duration window,
                                         Duration timeout) {
  if (auto r = idempotency::validate_message(id); !r) co_return std::move(r).error();
  idempotency::ConsumerDedupOptions options;
  options.window = window;
  if (auto r = options.validate(); !r) co_return std::move(r).error();
  if (auto r = validate_timeout(timeout); !r) co_return std::move(r).error();
  const auto window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
  const std::array<std::string, 6> argv{"SET", idempotency::dedup_key(id), "1", "NX", "PX",
                                        std::to_string(window_ms)};
  Result<RedisReply> reply = co_await connection_.command(std::span<const std::string>(argv),
                                                          timeout);
  if (!reply.ok()) co_return std::move(reply).error();
  // OK (marked now) or nil (marked already, by an earlier delivery): both mean "marked".
  if (!reply->is_status() && !reply->is_nil()) {
    co_return Error{ErrorCode::kProtocol, "SET answered " + std::string(to_string(reply->kind()))};
  }
  co_return Ok{};
}

}  // namespace faultline::backends::redis
