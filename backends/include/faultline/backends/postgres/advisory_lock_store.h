// PgSessionLockStore: SessionLockStore over PostgreSQL session-level advisory locks.
//
// Contract: that of faultline::locks::SessionLockStore (session_lock_store.h). Each session is a
// Connection of its own (never a pooled one: the locks live as long as the connection), and each
// operation is one statement:
//   try_lock            SELECT pg_try_advisory_lock($1)
//   lock                SELECT set_config('lock_timeout', $1, false)   (only when it changes)
//                       SELECT pg_advisory_lock($1)
//                       The server waits at most lock_timeout = the call's timeout minus a
//                       margin for the round trip (a quarter of it, at most 500ms, at least 1ms),
//                       then gives up with SQLSTATE 55P03, reported as kBusy with nothing taken.
//                       If the client's deadline passes first, the connection is closed (see
//                       connection.h), which ends the session: kOutcomeUnknown, and lost().
//   unlock              SELECT pg_advisory_unlock($1)   (false, and a suppressed server WARNING,
//                       when this session did not hold it)
//   next_fencing_token  INSERT INTO faultline_fencing(key, token) VALUES ($1, 1)
//                       ON CONFLICT (key) DO UPDATE SET token = faultline_fencing.token + 1
//                       RETURNING token
//                       The table (key text PRIMARY KEY, token bigint NOT NULL) is created if
//                       missing, on the first call that finds it missing (SQLSTATE 42P01). The
//                       key stored is locks::fence_key(key), as in every backend. An upsert is
//                       atomic and committed before it returns: tokens strictly increase across
//                       sessions and survive restarts of a durable server.
//   close               PQfinish: the server ends the session and releases its locks.
// Errors otherwise as Connection::query(): in particular a call on a lost (or closed) session is
// kUnavailable; a call that loses the session is kOutcomeUnknown (whatever it took died with the
// session, but a fencing token may have been consumed). A server error is kUnavailable (the
// statement was rolled back). lost() probes the socket without blocking (connection.h), so it
// turns true soon after the server ends the session, and at the latest after the next call.
//
// Ownership: the store holds the options; sessions own their connections and may outlive the
// store. key arguments are borrowed until the returned task completes. Unlike the Redis stores
// (which borrow a Connection), a session never borrows a pooled connection: its locks live as
// long as its connection, so a connection returned to a pool would hand them to the next user
// (pool.h). Statement-scoped work shares a Pool's connections instead: with_xact_lock borrows
// one (xact_lock.h).
// Thread-safety: one single-threaded io_context; a session is used by one coroutine at a time
// (a concurrent call fails with kUnavailable: one statement per connection).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/connection_options.h"
#include "faultline/locks/session_lock_store.h"

namespace faultline::backends::postgres {

class PgLockSession final : public locks::LockSession {
 public:
  explicit PgLockSession(Connection connection);
  PgLockSession(const PgLockSession&) = delete;
  PgLockSession& operator=(const PgLockSession&) = delete;
  ~PgLockSession() override;  // ends the session, like close()

  Task<Result<bool>> try_lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<void>> lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<bool>> unlock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;
  [[nodiscard]] bool lost() const override;
  Task<void> close(Duration timeout) override;

  // The server process serving this session (for pg_locks, pg_terminate_backend); 0 once lost.
  [[nodiscard]] int backend_pid() const noexcept { return connection_.backend_pid(); }

 private:
  Task<Result<PgResult>> upsert_token(const std::string& fence, Duration timeout);
  Task<Result<void>> create_fencing_table(Duration timeout);

  Connection connection_;
  std::optional<std::int64_t> lock_timeout_ms_;  // the session's lock_timeout, once set
};

class PgSessionLockStore final : public locks::SessionLockStore {
 public:
  // Validates the options (kInvalidArgument naming the field); connects nothing yet.
  [[nodiscard]] static Result<std::unique_ptr<PgSessionLockStore>> create(
      boost::asio::io_context& io, ConnectionOptions options);
  PgSessionLockStore(const PgSessionLockStore&) = delete;
  PgSessionLockStore& operator=(const PgSessionLockStore&) = delete;

  Task<Result<std::unique_ptr<locks::LockSession>>> open_session(Duration timeout) override;
  // The same, typed (for backend_pid()).
  [[nodiscard]] Task<Result<std::unique_ptr<PgLockSession>>> open_pg_session(Duration timeout);

  [[nodiscard]] const ConnectionOptions& options() const noexcept { return options_; }

 private:
  PgSessionLockStore(boost::asio::io_context& io, ConnectionOptions options)
      : io_(io), options_(std::move(options)) {}

  boost::asio::io_context& io_;
  ConnectionOptions options_;
};

}  // namespace faultline::backends::postgres
