#include "faultline/backends/redis/idempotency_store.h"

#include <array>
#include <optional>
#include <span>
#include <vector>
#include <chrono>
#include <string>
#include <utility>

#include "faultline/backends/redis/idempotency_scripts.h"
#include "script_replies.h"

namespace faultline::backends::redis {
namespace {

using idempotency::BeginReply;
using idempotency::RequestId;

std::string with_prelude(std::string_view body) {
  return std::string(idempotency_scripts::kPrelude) + std::string(body);
}

}  // namespace

RedisIdempotencyStore::RedisIdempotencyStore(Connection& connection)
    : connection_(&connection),
      begin_(with_prelude(idempotency_scripts::kBegin)),
      checkpoint_(with_prelude(idempotency_scripts::kCheckpoint)),
      complete_(with_prelude(idempotency_scripts::kComplete)),
      release_(with_prelude(idempotency_scripts::kRelease)),
      abandoned_(std::string(idempotency_scripts::kAbandoned)) {}

RedisIdempotencyStore::RedisIdempotencyStore(std::unique_ptr<Connection> owned)
    : RedisIdempotencyStore(*owned) {
  owned_ = std::move(owned);
}

Result<std::unique_ptr<RedisIdempotencyStore>> RedisIdempotencyStore::create(
    boost::asio::io_context& io, ConnectionOptions options) {
  Result<Connection> connection = Connection::create(io, std::move(options));
  if (!connection.ok()) return std::move(connection).error();
  auto owned = std::make_unique<Connection>(std::move(connection).value());
  // Not make_unique: the owning constructor is private.
  return std::unique_ptr<RedisIdempotencyStore>(new RedisIdempotencyStore(std::move(owned)));
}

Task<Result<BeginReply>> RedisIdempotencyStore::begin(RequestId id, std::string_view fingerprint,
                                                      std::string_view owner, Duration lease,
                                                      Duration retention, Duration timeout) {
  if (auto r = idempotency::validate_begin(id, fingerprint, owner, lease, retention, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string key = idempotency::record_key(id);
  const std::string lease_ms = detail::millis_text(lease);
  const std::string retention_ms = detail::millis_text(retention);
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 5> args{fingerprint, owner, lease_ms, retention_ms,
                                             idempotency::kStartedPoint};
  // A named task: g++ 12 mishandles temporaries with destructors inside a co_await operand.
  auto call = begin_.run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  if (!reply.ok()) co_return std::move(reply).error();
  co_return decode_begin_reply(*reply);
}

Task<Result<bool>> RedisIdempotencyStore::checkpoint(RequestId id, std::string_view owner,
                                                     std::string_view point, std::string_view data,
                                                     Duration lease, Duration timeout) {
  if (auto r = idempotency::validate_checkpoint(id, owner, point, data, lease, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string key = idempotency::record_key(id);
  const std::string lease_ms = detail::millis_text(lease);
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 4> args{owner, point, data, lease_ms};
  auto call = checkpoint_.run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  co_return detail::to_flag("checkpoint", std::move(reply));
}

Task<Result<bool>> RedisIdempotencyStore::complete(RequestId id, std::string_view owner,
                                                   std::string_view response, Duration timeout) {
  if (auto r = idempotency::validate_complete(id, owner, response, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string key = idempotency::record_key(id);
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 2> args{owner, response};
  auto call = complete_.run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  co_return detail::to_flag("complete", std::move(reply));
}

Task<Result<bool>> RedisIdempotencyStore::release(RequestId id, std::string_view owner,
                                                  Duration timeout) {
  if (auto r = idempotency::validate_release(id, owner, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string key = idempotency::record_key(id);
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 1> args{owner};
  auto call = release_.run(*connection_, keys, args, timeout);
  Result<RedisReply> reply = co_await std::move(call);
  co_return detail::to_flag("release", std::move(reply));
}

Task<Result<std::size_t>> RedisIdempotencyStore::reap(std::size_t limit, Duration timeout) {
  if (auto r = idempotency::validate_reap(limit, timeout); !r) co_return std::move(r).error();
  // Each record carries a PEXPIRE of its retention: Redis has deleted the expired ones already.
  co_return std::size_t{0};
}

Task<Result<idempotency::AbandonedPage>> RedisIdempotencyStore::abandoned(std::string_view cursor,
                                                                          std::size_t limit,
                                                                          Duration timeout) {
  if (auto r = idempotency::validate_abandoned(cursor, limit, timeout); !r) {
    co_return std::move(r).error();
  }
  using SteadyClock = std::chrono::steady_clock;
  const SteadyClock::time_point deadline = add_saturating(SteadyClock::now(), timeout);
  const std::string from = cursor.empty() ? std::string("0") : std::string(cursor);
  const std::string pattern = std::string(idempotency::kRecordKeyPrefix) + "*";
  const std::string count = std::to_string(limit);
  const std::array<std::string_view, 6> scan_argv{"SCAN", from, "MATCH", pattern, "COUNT", count};
  auto scanning = connection_->command(std::span<const std::string_view>(scan_argv), timeout);
  Result<RedisReply> scan_reply = co_await std::move(scanning);
  if (!scan_reply.ok()) co_return std::move(scan_reply).error();
  auto scanned = decode_scan_reply(*scan_reply);
  if (!scanned.ok()) co_return std::move(scanned).error();
  idempotency::AbandonedPage page;
  page.next_cursor = scanned->first == "0" ? std::string() : scanned->first;
  if (scanned->second.empty()) co_return page;
  const Duration left = std::chrono::duration_cast<Duration>(deadline - SteadyClock::now());
  if (left <= Duration::zero()) co_return Error{ErrorCode::kDeadlineExceeded, "abandoned: the "
                                                "deadline passed after SCAN; not sent"};
  const std::vector<std::string_view> keys(scanned->second.begin(), scanned->second.end());
  auto filtering = abandoned_.run(*connection_, keys, std::span<const std::string_view>(), left);
  Result<RedisReply> reply = co_await std::move(filtering);
  if (!reply.ok()) co_return std::move(reply).error();
  auto requests = decode_abandoned_reply(*reply);
  if (!requests.ok()) co_return std::move(requests).error();
  page.requests = std::move(requests).value();
  co_return page;
}

}  // namespace faultline::backends::redis
