// Pool: a small, bounded set of PostgreSQL Connections shared by coroutines.
//
// Contract
//   - At most max_connections connections exist at once (idle, leased, or being opened).
//     acquire(timeout) hands out an idle connection, or opens a new one while under the bound,
//     or waits (first come, first served) for one to be returned, and fails by its deadline:
//       kDeadlineExceeded  no connection became free in time (nothing was run);
//       kUnavailable       more than max_waiters callers already wait, the pool is shut down,
//                          or opening a connection failed (with the connect error's message);
//       kInvalidArgument   timeout <= 0.
//   - A lease (PooledConnection) returns its connection when destroyed or release()d. A
//     connection that is lost, still busy with a query, or inside a transaction block is not
//     reused: it is closed and its place freed, so the next acquire opens a fresh one. Dead
//     connections found idle (lost() probes without blocking) are discarded the same way.
//   - Session state travels with a connection: a lease must not leave anything behind that the
//     next user could trip over (SET values, prepared statements, session advisory locks). Use
//     PgSessionLockStore, which owns its connections, for session locks, not a pooled one.
//
// Ownership: create() returns the pool; leases and acquire calls in progress share its internals,
// so destroying the Pool is safe at any time: idle connections close, waiters fail with
// kUnavailable, and leased connections are closed when returned. The io_context must outlive all.
// Thread-safety: none; one single-threaded io_context, like Connection.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/postgres/connection_options.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres {

struct PoolOptions {
  ConnectionOptions connection;
  // Connections open at once, in [1, 1024].
  std::size_t max_connections = 8;
  // acquire() calls waiting for a connection at once, in [0, 65536]; beyond it acquire fails
  // at once with kUnavailable rather than queue without bound.
  std::size_t max_waiters = 1024;

  [[nodiscard]] Result<void> validate() const;
};

namespace detail {
class PoolCore;
}  // namespace detail

// A leased connection. Movable; returns the connection to its pool once.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  // The leased connection; the lease must not be empty (released or moved from).
  [[nodiscard]] Connection& operator*() noexcept { return *connection_; }
  [[nodiscard]] Connection* operator->() noexcept { return &*connection_; }
  [[nodiscard]] bool empty() const noexcept { return !connection_.has_value(); }
  // Returns the connection to the pool now; the lease is empty afterwards.
  void release();

 private:
  friend class detail::PoolCore;
  PooledConnection(std::shared_ptr<detail::PoolCore> pool, Connection connection);

  std::shared_ptr<detail::PoolCore> pool_;
  std::optional<Connection> connection_;
};

class Pool {
 public:
  // Validates the options (kInvalidArgument naming the field); opens nothing yet.
  [[nodiscard]] static Result<std::unique_ptr<Pool>> create(boost::asio::io_context& io,
                                                            PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  [[nodiscard]] Task<Result<PooledConnection>> acquire(Duration timeout);

  // Connections that exist now: idle, leased, or being opened.
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t idle() const noexcept;
  [[nodiscard]] std::size_t waiting() const noexcept;
  [[nodiscard]] const PoolOptions& options() const noexcept;

 private:
  explicit Pool(std::shared_ptr<detail::PoolCore> core) : core_(std::move(core)) {}

  std::shared_ptr<detail::PoolCore> core_;
};

}  // namespace faultline::backends::postgres
