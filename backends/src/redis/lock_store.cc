#include "faultline/backends/redis/lock_store.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "faultline/backends/redis/lock_scripts.h"
#include "script_replies.h"

namespace faultline::backends::redis {
namespace {

Error unexpected(std::string_view operation, const RedisReply& reply) {
  return Error{ErrorCode::kProtocol, std::string(operation) + ": unexpected " +
                                         std::string(to_string(reply.kind())) + " reply"};
}

}  // namespace

RedisLockStore::RedisLockStore(Connection& connection)
    : connection_(&connection),
      acquire_(std::string(lock_scripts::kAcquire)),
      release_(std::string(lock_scripts::kRelease)),
      extend_(std::string(lock_scripts::kExtend)) {}

RedisLockStore::RedisLockStore(std::unique_ptr<Connection> owned) : RedisLockStore(*owned) {
  owned_ = std::move(owned);
}

Result<std::unique_ptr<RedisLockStore>> RedisLockStore::create(boost::asio::io_context& io,
                                                               ConnectionOptions options) {
  Result<Connection> connection = Connection::create(io, std::move(options));
  if (!connection.ok()) return std::move(connection).error();
  auto owned = std::make_unique<Connection>(std::move(connection).value());
  // Not make_unique: the owning constructor is private.
  return std::unique_ptr<RedisLockStore>(new RedisLockStore(std::move(owned)));
}

Task<Result<locks::AcquireReply>> RedisLockStore::acquire(std::string_view key,
                                                          std::string_view owner, Duration ttl,
                                                          Duration timeout) {
  if (auto r = locks::validate_request(key, owner, ttl, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string fence = locks::fence_key(key);
  const std::string ttl_ms = detail::millis_text(ttl);
  const std::array<std::string_view, 2> keys{key, fence};
  const std::array<std::string_view, 2> args{owner, ttl_ms};
  Result<RedisReply> reply = co_await acquire_.run(*connection_, keys, args, timeout);
  if (!reply.ok()) co_return std::move(reply).error();
  if (!reply->is_integer() || reply->as_integer() < 0) co_return unexpected("acquire", *reply);
  if (reply->as_integer() == 0) co_return locks::AcquireReply{};
  co_return locks::AcquireReply{true, static_cast<locks::FencingToken>(reply->as_integer())};
}

Task<Result<bool>> RedisLockStore::release(std::string_view key, std::string_view owner,
                                           Duration timeout) {
  if (auto r = locks::validate_request(key, owner, std::nullopt, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 1> args{owner};
  co_return detail::to_flag("release", co_await release_.run(*connection_, keys, args, timeout));
}

Task<Result<bool>> RedisLockStore::extend(std::string_view key, std::string_view owner,
                                          Duration ttl, Duration timeout) {
  if (auto r = locks::validate_request(key, owner, ttl, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string ttl_ms = detail::millis_text(ttl);
  const std::array<std::string_view, 1> keys{key};
  const std::array<std::string_view, 2> args{owner, ttl_ms};
  co_return detail::to_flag("extend", co_await extend_.run(*connection_, keys, args, timeout));
}

Task<Result<locks::FencingToken>> RedisLockStore::next_fencing_token(std::string_view key,
                                                                     Duration timeout) {
  if (auto r = locks::validate_request(key, std::nullopt, std::nullopt, timeout); !r) {
    co_return std::move(r).error();
  }
  const std::string fence = locks::fence_key(key);
  // A named array, not a braced list: g++ 12 miscompiles initializer_list inside co_await.
  const std::array<std::string_view, 2> argv{"INCR", fence};
  Result<RedisReply> reply = co_await connection_->command(argv, timeout);
  if (!reply.ok()) co_return std::move(reply).error();
  if (!reply->is_integer() || reply->as_integer() <= 0) {
    co_return unexpected("next_fencing_token", *reply);
  }
  co_return static_cast<locks::FencingToken>(reply->as_integer());
}

}  // namespace faultline::backends::redis
