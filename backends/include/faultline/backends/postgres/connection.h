// Connection: one PostgreSQL session over libpq's asynchronous API, driven by coroutines on Asio.
//
// Contract
//   - connect(io, options, timeout) opens the session (TCP, optional TLS, authentication,
//     startup) within min(timeout, options.connect_timeout), or fails with
//       kInvalidArgument  a bad option (naming the field) or timeout <= 0; nothing attempted.
//       kUnavailable      refused, unreachable, timed out, or authentication rejected. The
//                         message never contains the password.
//   - query(sql, params, timeout) runs one statement with text parameters ($1, $2, ...) and text
//     results, and finishes by its deadline (`timeout` from the call) whatever the server does:
//       a PgResult        the server's answer, a success or a server error with its SQLSTATE
//                         (see pg_result.h);
//       kInvalidArgument  timeout <= 0, or the statement exceeds max_statement_bytes/max_params;
//                         nothing sent;
//       kUnavailable      certainly not run: the connection was already lost, or another query is
//                         in progress on it, or libpq refused the statement before sending it;
//       kOutcomeUnknown   the statement was (or was being) sent and no complete answer came: the
//                         deadline passed, or the connection broke. It may have run.
//       kProtocol         the server answered in a way this client does not handle (COPY).
//   - Timeouts close the connection. Cancelling a running statement needs PQcancel, which is a
//     blocking call on a second connection; instead, when the deadline passes after a statement
//     was sent, the connection is closed (the server aborts the statement when it next notices
//     the closed socket) and the call reports kOutcomeUnknown. Bound long statements with the
//     server's statement_timeout or lock_timeout if the connection should survive them.
//   - Loss is final. A Connection is a session, and session state (advisory locks, prepared
//     statements, SET values, an open transaction) dies with it, so a Connection never
//     reconnects silently: once lost() it stays lost and every query fails with kUnavailable.
//     Pool replaces dead connections.
//   - lost() probes the socket without blocking (one poll(2)) when no query is in progress, so
//     it turns true as soon as the server's termination message or EOF has arrived (after
//     pg_terminate_backend, a server restart), and at the latest at the next query. query()
//     makes the same check before sending; when the session's previous statement finished
//     within the last millisecond it relies instead on what the loop has seen arrive on the
//     socket (no system call), so a termination that arrived in that instant and was not seen
//     yet is reported as kOutcomeUnknown, like one still on its way.
//   - One statement at a time: libpq has one query in flight per connection. A second concurrent
//     query() fails at once with kUnavailable rather than queue without bound.
//   - Notices and warnings from the server are not printed; the last one is kept (bounded) and
//     added to the message when the connection is lost.
//
// Caveats
//   - A host name that is not an IP literal or a socket directory is resolved with Asio's
//     asynchronous resolver before libpq sees it (libpq's own getaddrinfo would block the loop);
//     the first address is used.
//   - libpq buffers a whole result in memory; max_statement_bytes bounds what is sent, not what
//     comes back. Do not select unbounded result sets through this class.
//
// Ownership: connect() returns a movable handle. Destroying (or close()-ing) it ends the session
// (PQfinish) and wakes a query in progress, which then fails with kOutcomeUnknown; a coroutine
// still suspended in query() keeps the shared internals alive until it resumes. The io_context
// must outlive every call.
// Thread-safety: none. Use a Connection only on the thread running its io_context, which must
// be single-threaded (a strand is not enough: the internal completion handlers are not bound
// to one).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/postgres/connection_options.h"
#include "faultline/backends/postgres/pg_result.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::postgres {

class Connection {
 public:
  // Validates the options and connects. See the contract above. `options` is copied before this
  // function returns (pass a named object: see ARCHITECTURE.md on g++ 12 and co_await operands).
  [[nodiscard]] static Task<Result<Connection>> connect(boost::asio::io_context& io,
                                                        const ConnectionOptions& options,
                                                        Duration timeout);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs `sql` with `params` bound to $1, $2, ... as text. The statement is copied before this
  // function returns, so the arguments need not outlive the task.
  [[nodiscard]] Task<Result<PgResult>> query(std::string_view sql,
                                             std::span<const std::string> params,
                                             Duration timeout);
  [[nodiscard]] Task<Result<PgResult>> query(std::string_view sql, Duration timeout);

  // True once the session has ended (see the contract: probes without blocking).
  [[nodiscard]] bool lost() const;
  // True while a query() is in progress.
  [[nodiscard]] bool busy() const noexcept;
  // True when the session is inside a transaction block (BEGIN without COMMIT/ROLLBACK yet),
  // or in an unknown state; false when idle or lost.
  [[nodiscard]] bool in_transaction() const noexcept;
  // The server process id serving this session (for pg_terminate_backend), or 0 once lost.
  [[nodiscard]] int backend_pid() const noexcept;
  // Ends the session now (PQfinish, which tells the server to release its locks).
  void close();

  [[nodiscard]] const ConnectionOptions& options() const noexcept;
  // The value libpq holds for connection parameter `keyword` (PQconninfo), e.g. "keepalives",
  // "tcp_user_timeout", "options"; "" when unset, unknown, closed, or `keyword` is "password".
  [[nodiscard]] std::string connection_parameter(std::string_view keyword) const;

 private:
  class Impl;
  explicit Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline::backends::postgres
