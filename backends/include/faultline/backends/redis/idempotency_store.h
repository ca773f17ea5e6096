// RedisIdempotencyStore: the IdempotencyStore operations on one Redis server, one Lua script each.
//
// Contract: that of faultline::idempotency::IdempotencyStore, implemented by the scripts in
// idempotency_scripts.h over a hash under idempotency::record_key(id), with the layout and
// semantics of the simulated twin (sim/servers/include/faultline/sim/redis_idempotency.h):
//   begin       one script: expired record deleted; absent -> created (kStarted); else mismatch,
//               completed (replay), in flight (lease_left), or leased to `owner` (kResumed).
//   checkpoint  saves point and data and renews the lease if `owner` holds the record.
//   complete    stores the response, state completed, if `owner` holds the record.
//   release     deletes the record if `owner` holds it.
//   reap        validates `limit` and returns 0: records carry a PEXPIRE of their retention, so
//               Redis deletes them itself (and an expired one is treated as absent before that).
// Times come from the server's clock (TIME in the script), in whole milliseconds.
// Arguments are checked with idempotency::validate_* before anything is sent (kInvalidArgument).
// Errors otherwise as Script::run() / Connection::command(), within `timeout`; a reply of an
// unexpected shape is kProtocol naming what was wrong.
//
// Ownership: borrows its Connection, so that stores of several families (locks, idempotency
// keys, ...) share one pipelined connection. The Connection must outlive the store and every
// call in progress on it; the store never closes it. create() is the convenient form for a store
// alone: it opens a Connection the store owns (and closes when destroyed). String arguments are
// borrowed until the returned task completes. Not movable (tasks in progress refer to it).
// Thread-safety: one executor (the Connection's); concurrent calls on one instance, and on
// several stores over one Connection, are allowed and share the connection's pipeline.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/idempotency_replies.h"
#include "faultline/backends/redis/reply.h"
#include "faultline/backends/redis/script.h"
#include "faultline/idempotency/idempotency_store.h"

namespace faultline::backends::redis {

class RedisIdempotencyStore final : public idempotency::IdempotencyStore {
 public:
  // Borrows `connection` (see Ownership above).
  explicit RedisIdempotencyStore(Connection& connection);
  RedisIdempotencyStore(const RedisIdempotencyStore&) = delete;
  RedisIdempotencyStore& operator=(const RedisIdempotencyStore&) = delete;

  // A store that owns a new Connection with `options` (kInvalidArgument naming a bad option).
  // The connection is opened lazily, by the first call, as Connection::create() does.
  [[nodiscard]] static Result<std::unique_ptr<RedisIdempotencyStore>> create(
      boost::asio::io_context& io, ConnectionOptions options);

  Task<Result<idempotency::BeginReply>> begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention,
                                              Duration timeout) override;
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override;
  Task<Result<bool>> complete(idempotency::RequestId id, std::string_view owner,
                              std::string_view response, Duration timeout) override;
  Task<Result<bool>> release(idempotency::RequestId id, std::string_view owner,
                             Duration timeout) override;
  Task<Result<std::size_t>> reap(std::size_t limit, Duration timeout) override;
  // SCAN <cursor> MATCH idem:* COUNT <limit>, then kAbandoned over the names it returned: two
  // round trips within `timeout`. The cursor is SCAN's ("" stands for its 0), so a page may
  // repeat a record (SCAN's guarantee: every record present throughout is listed at least
  // once) and, COUNT being a hint to Redis, may hold somewhat more than `limit`.
  Task<Result<idempotency::AbandonedPage>> abandoned(std::string_view cursor, std::size_t limit,
                                                     Duration timeout) override;

  // The connection the store runs on, borrowed or owned; other stores may share it.
  [[nodiscard]] Connection& connection() noexcept { return *connection_; }

 private:
  explicit RedisIdempotencyStore(std::unique_ptr<Connection> owned);

  std::unique_ptr<Connection> owned_;  // set only by create(); declared first: outlives uses
  Connection* connection_;             // never null: borrowed, or owned_.get()
  Script begin_;
  Script checkpoint_;
  Script complete_;
  Script release_;
  Script abandoned_;
};

}  // namespace faultline::backends::redis
