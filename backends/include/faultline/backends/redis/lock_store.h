// RedisLockStore: the LockStore operations on one Redis server, one Lua script each.
//
// Contract: that of faultline::locks::LockStore, implemented by the scripts in lock_scripts.h:
//   acquire  lock free: INCR the counter (locks::fence_key(key), in the key's cluster slot),
//            record {owner, token}, PEXPIRE ttl, return the token. Held by this owner: PEXPIRE ttl, return the same token.
//            Held by another: AcquireReply{acquired = false}.
//   release  DEL the key if this owner holds it; true when it did.
//   extend   PEXPIRE the key if this owner holds it; true when it did.
//   next_fencing_token  INCR the counter.
// Arguments are checked with locks::validate_* before anything is sent (kInvalidArgument).
// Errors otherwise as Connection::command(); a reply of an unexpected shape is kProtocol.
// Fencing tokens are exact up to 2^53 (Lua numbers).
//
// Ownership: borrows its Connection, so that stores of several families (locks now; rate
// limits, idempotency keys later) share one pipelined connection, as the README advises. The
// Connection must outlive the store and every call in progress on it; the store never closes
// it. create() is the convenient form for a store alone: it opens a Connection the store owns
// (and closes when destroyed). key/owner arguments are borrowed until the returned task
// completes. Not movable (tasks in progress refer to it).
// Thread-safety: one executor (the Connection's); concurrent calls on one instance, and on
// several stores over one Connection, are allowed and share the connection's pipeline.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/script.h"
#include "faultline/locks/lock_store.h"

namespace faultline::backends::redis {

class RedisLockStore final : public locks::LockStore {
 public:
  // Borrows `connection` (see Ownership above).
  explicit RedisLockStore(Connection& connection);
  RedisLockStore(const RedisLockStore&) = delete;
  RedisLockStore& operator=(const RedisLockStore&) = delete;

  // A store that owns a new Connection with `options` (kInvalidArgument naming a bad option).
  // The connection is opened lazily, by the first call, as Connection::create() does.
  [[nodiscard]] static Result<std::unique_ptr<RedisLockStore>> create(
      boost::asio::io_context& io, ConnectionOptions options);

  Task<Result<locks::AcquireReply>> acquire(std::string_view key, std::string_view owner,
                                            Duration ttl, Duration timeout) override;
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override;
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;

  // The connection the store runs on, borrowed or owned; other stores may share it.
  [[nodiscard]] Connection& connection() noexcept { return *connection_; }

 private:
  explicit RedisLockStore(std::unique_ptr<Connection> owned);

  std::unique_ptr<Connection> owned_;  // set only by create(); declared first: outlives uses
  Connection* connection_;             // never null: borrowed, or owned_.get()
  Script acquire_;
  Script release_;
  Script extend_;
};

}  // namespace faultline::backends::redis
