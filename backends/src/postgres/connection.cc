#include "faultline/backends/postgres/connection.h"

#include "faultline/clock.h"

#include <poll.h>

#include <algorithm>
#include <cstring>
#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>

#include "../common/redact.h"
#include "socket_wait.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::backends::postgres {
namespace net = boost::asio;
using boost::system::error_code;
using detail::Readiness;
using detail::WaitOutcome;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxNoticeBytes = 256;
constexpr int kMaxProbeRounds = 4;
// How long after its last statement a session's read watch is trusted to have reported input
// that arrived meanwhile. The watch is only as fresh as the loop's last poll of the reactor; a
// statement that follows its predecessor this closely (a lock then its unlock) skips the
// poll(2), while one after a longer pause, when the loop may have been busy elsewhere or not
// running at all, looks at the socket itself. Within this gap an unsolicited termination is
// noticed only after the statement is sent (kOutcomeUnknown), as one still on the wire is.
constexpr Duration kWatchTrustedFor = std::chrono::milliseconds(1);

// A libpq or server message fit for an Error: the password redacted, and the trailing newline
// libpq ends its messages with trimmed.
std::string redact_message(std::string_view text, std::string_view password) {
  std::string message = backends::detail::redact(text, password);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

// A statement copied out of the caller's arguments, so that the lazily started coroutine owns
// everything it sends.
struct Statement {
  std::string sql;
  std::vector<std::string> params;
};

// The PgResult for one libpq result, or an Error for a kind this client does not handle.
Result<PgResult> convert(const PGresult* result) {
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY: {
      const int row_count = PQntuples(result);
      const int column_count = PQnfields(result);
      std::vector<std::string> columns;
      columns.reserve(static_cast<std::size_t>(column_count));
      for (int c = 0; c < column_count; ++c) columns.emplace_back(PQfname(result, c));
      std::vector<PgResult::Row> rows;
      rows.reserve(static_cast<std::size_t>(row_count));
      for (int r = 0; r < row_count; ++r) {
        PgResult::Row& row = rows.emplace_back();
        row.reserve(static_cast<std::size_t>(column_count));
        for (int c = 0; c < column_count; ++c) {
          if (PQgetisnull(result, r, c)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::in_place, PQgetvalue(result, r, c),
                             static_cast<std::size_t>(PQgetlength(result, r, c)));
          }
        }
      }
      return PgResult::success(PQcmdStatus(const_cast<PGresult*>(result)), std::move(columns),
                               std::move(rows));
    }
    case PGRES_FATAL_ERROR:
    case PGRES_NONFATAL_ERROR: {
      const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
      std::string message = primary != nullptr ? primary : PQresultErrorMessage(result);
      // No SQLSTATE: libpq made this error up itself (the connection broke, out of memory).
      if (sqlstate == nullptr || *sqlstate == '\0') return outcome_unknown(std::move(message));
      return PgResult::server_error(sqlstate, std::move(message));
    }
    default:
      return Error{ErrorCode::kProtocol,
                   std::string("unsupported result kind ") +
                       PQresStatus(PQresultStatus(result)) + " (COPY is not supported)"};
  }
}

// The keepalive settings as libpq keyword values (see "Dead peers" in connection_options.h):
// the client side as its own parameters, the server side as the startup packet's `options`.
struct KeepaliveParameters {
  std::string keepalives;
  std::string idle_s;
  std::string interval_s;
  std::string count;
  std::string user_timeout_ms;
  std::string server_options;
};

KeepaliveParameters keepalive_parameters(const ConnectionOptions& options) {
  KeepaliveParameters p;
  p.keepalives = options.keepalives ? "1" : "0";
  p.idle_s = std::to_string(options.keepalive_idle.count());
  p.interval_s = std::to_string(options.keepalive_interval.count());
  p.count = std::to_string(options.keepalive_count);
  p.user_timeout_ms = std::to_string(options.tcp_user_timeout.count());
  // Server GUCs take these units too: tcp_keepalives_* in seconds, tcp_user_timeout in ms.
  p.server_options = "-c tcp_keepalives_idle=" + p.idle_s +
                     " -c tcp_keepalives_interval=" + p.interval_s +
                     " -c tcp_keepalives_count=" + p.count +
                     " -c tcp_user_timeout=" + p.user_timeout_ms;
  return p;
}

}  // namespace

// How it works. The Impl owns the PGconn. Every wait for the socket goes through one
// SocketWaiter with the call's deadline; libpq does all reading and writing when the socket is
// ready. Once connected, the SocketWaiter's read watch tells an idle session whether anything
// (a FATAL, EOF, a notice) has arrived since it last read, so a statement that follows another
// closely costs no system call beyond libpq's send and receive (see kWatchTrustedFor).
// Everything runs on one thread, so there are no locks; `busy_` enforces one statement at a
// time. close_now() finishes the PGconn at once (also from inside a call, which then returns
// without touching it again) and cancels the wait in progress.
class Connection::Impl {
 public:
  Impl(const net::any_io_executor& executor, ConnectionOptions options)
      : executor_(executor), waiter_(executor), options_(std::move(options)),
        where_(options_.host + ":" + std::to_string(options_.port) + "/" + options_.dbname) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { close_now(); }

  static Task<Result<Connection>> open(Result<std::shared_ptr<Impl>> impl, Duration budget);
  Task<Result<void>> establish(Duration budget);
  static Task<Result<PgResult>> run(std::shared_ptr<Impl> self, Result<Statement> statement,
                                    Duration timeout);

  [[nodiscard]] Result<Statement> copy_statement(std::string_view sql,
                                                 std::span<const std::string> params) const;
  // Looks at the socket (poll(2)) for an unsolicited FATAL or EOF; closes the session if so.
  [[nodiscard]] bool probe_lost();
  // probe_lost() for a statement about to be sent at `now`: without a system call when the read
  // watch can be trusted (see kWatchTrustedFor).
  [[nodiscard]] bool lost_before_sending(SteadyClock::time_point now);
  [[nodiscard]] bool busy() const noexcept { return busy_; }
  [[nodiscard]] bool in_transaction() const noexcept {
    return conn_ != nullptr && PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }
  [[nodiscard]] int backend_pid() const noexcept {
    return conn_ != nullptr ? PQbackendPID(conn_) : 0;
  }
  [[nodiscard]] const ConnectionOptions& options() const noexcept { return options_; }
  // PQconninfo's value for `keyword`, or "" (closed, unknown keyword, or unset).
  [[nodiscard]] std::string connection_parameter(std::string_view keyword) const {
    if (conn_ == nullptr) return {};
    PQconninfoOption* all = PQconninfo(conn_);
    if (all == nullptr) return {};
    std::string value;
    for (const PQconninfoOption* o = all; o->keyword != nullptr; ++o) {
      if (keyword == o->keyword && o->val != nullptr) value = o->val;
    }
    PQconninfoFree(all);
    return value;
  }
  void close_now();

 private:
  // After a wait for the socket during a statement (which may have reached the server): reads
  // what arrived if it is readable; returns the Error to report if it did not become ready or
  // reading failed.
  [[nodiscard]] std::optional<Error> after_wait(WaitOutcome outcome, Duration timeout);
  // Ends the session after a failure and returns the Error describing it.
  Error lose(ErrorCode code, const std::string& what);
  [[nodiscard]] std::string libpq_error() const;
  [[nodiscard]] std::optional<std::string> resolve_literal() const;
  Task<Result<std::string>> resolve(SteadyClock::time_point deadline);
  static void on_notice(void* self, const char* message);

  net::any_io_executor executor_;
  detail::SocketWaiter waiter_;
  ConnectionOptions options_;
  std::string where_;  // "host:port/dbname", for messages
  PGconn* conn_ = nullptr;
  std::string last_notice_;  // the server's last notice or warning, bounded
  // An unsolicited FATAL arrived (pg_terminate_backend, shutdown): the backend is ending and has
  // already released the session's locks, even if the socket's EOF has not arrived yet.
  bool fatal_seen_ = false;
  bool busy_ = false;
  SteadyClock::time_point idle_since_{};  // when the last statement (or connecting) finished
};

// ---- connecting --------------------------------------------------------------------------------

std::optional<std::string> Connection::Impl::resolve_literal() const {
  if (options_.host.front() == '/' || options_.host.front() == '@') return options_.host;
  error_code ec;
  const net::ip::address address = net::ip::make_address(options_.host, ec);
  if (!ec) return address.to_string();
  return std::nullopt;
}

Task<Result<std::string>> Connection::Impl::resolve(SteadyClock::time_point deadline) {
  auto resolver = std::make_shared<net::ip::tcp::resolver>(executor_);
  net::steady_timer watchdog(executor_);
  watchdog.expires_at(deadline);
  watchdog.async_wait([weak = std::weak_ptr<net::ip::tcp::resolver>(resolver)](error_code ec) {
    if (ec) return;
    if (const auto r = weak.lock()) r->cancel();
  });
  error_code ec;
  const std::string port = std::to_string(options_.port);
  const net::ip::tcp::resolver::results_type endpoints =
      co_await resolver->async_resolve(options_.host, port,
                                       net::redirect_error(net::use_awaitable, ec));
  watchdog.cancel();
  if (ec == net::error::operation_aborted) {
    co_return unavailable("resolve " + options_.host + ": timed out");
  }
  if (ec || endpoints.empty()) {
    co_return unavailable("resolve " + options_.host + ": " +
                          (ec ? ec.message() : std::string("no address")));
  }
  co_return endpoints.begin()->endpoint().address().to_string();
}

Task<Result<void>> Connection::Impl::establish(Duration budget) {
  const SteadyClock::time_point deadline = add_saturating(SteadyClock::now(), budget);
  // libpq resolves `host` with a blocking getaddrinfo; give it `hostaddr` so it does not.
  std::optional<std::string> hostaddr = resolve_literal();
  const bool is_socket_dir = options_.host.front() == '/' || options_.host.front() == '@';
  if (!hostaddr) {
    Result<std::string> resolved = co_await resolve(deadline);
    if (!resolved.ok()) co_return std::move(resolved).error();
    hostaddr = std::move(resolved).value();
  }

  const std::string port = std::to_string(options_.port);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  const auto add = [&](const char* keyword, const std::string& value) {
    keywords.push_back(keyword);
    values.push_back(value.c_str());
  };
  add("host", options_.host);
  if (!is_socket_dir) add("hostaddr", *hostaddr);
  add("port", port);
  add("dbname", options_.dbname);
  add("user", options_.user);
  if (!options_.password.empty()) add("password", options_.password);
  add("application_name", options_.application_name);
  add("sslmode", options_.sslmode);
  const std::string encoding = "UTF8";
  add("client_encoding", encoding);
  const KeepaliveParameters keepalive = keepalive_parameters(options_);
  add("keepalives", keepalive.keepalives);
  if (options_.keepalives) {
    add("keepalives_idle", keepalive.idle_s);
    add("keepalives_interval", keepalive.interval_s);
    add("keepalives_count", keepalive.count);
    add("tcp_user_timeout", keepalive.user_timeout_ms);
    add("options", keepalive.server_options);
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  conn_ = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (conn_ == nullptr) co_return unavailable("connect to " + where_ + ": libpq out of memory");
  PQsetNoticeProcessor(conn_, &Impl::on_notice, this);
  if (PQstatus(conn_) == CONNECTION_BAD) {
    co_return lose(ErrorCode::kUnavailable, "connect to " + where_ + ": " + libpq_error());
  }

  // The documented loop: act as if PQconnectPoll had asked to wait for writing.
  PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
  while (polled != PGRES_POLLING_OK) {
    if (polled == PGRES_POLLING_FAILED) {
      co_return lose(ErrorCode::kUnavailable, "connect to " + where_ + ": " + libpq_error());
    }
    const Readiness want =
        polled == PGRES_POLLING_READING ? Readiness::kRead : Readiness::kWrite;
    const WaitOutcome outcome = co_await waiter_.wait_once(PQsocket(conn_), want, deadline);
    if (conn_ == nullptr) co_return unavailable("connect to " + where_ + ": closed by its owner");
    if (outcome == WaitOutcome::kTimedOut) {
      co_return lose(ErrorCode::kUnavailable,
                     "connect to " + where_ + ": timed out after " + duration_text(budget));
    }
    if (outcome == WaitOutcome::kFailed || outcome == WaitOutcome::kCancelled) {
      co_return lose(ErrorCode::kUnavailable,
                     "connect to " + where_ + ": could not wait for the socket");
    }
    polled = PQconnectPoll(conn_);
  }
  // Sends never block from here on: PQflush reports what is left, and we wait for the socket.
  if (PQsetnonblocking(conn_, 1) != 0) {
    co_return lose(ErrorCode::kUnavailable, "connect to " + where_ + ": " + libpq_error());
  }
  // The socket is final now: one registration for the rest of the session.
  if (!waiter_.attach(PQsocket(conn_))) {
    co_return lose(ErrorCode::kUnavailable,
                   "connect to " + where_ + ": could not register the socket");
  }
  idle_since_ = SteadyClock::now();
  co_return Ok{};
}

void Connection::Impl::on_notice(void* self, const char* message) {
  auto* impl = static_cast<Impl*>(self);
  impl->last_notice_.assign(message, std::min(std::strlen(message), kMaxNoticeBytes));
  if (std::strncmp(message, "FATAL", 5) == 0) impl->fatal_seen_ = true;
}

// ---- queries -----------------------------------------------------------------------------------

Result<Statement> Connection::Impl::copy_statement(std::string_view sql,
                                                   std::span<const std::string> params) const {
  if (params.size() > options_.max_params) {
    return invalid_argument("params: " + std::to_string(params.size()) +
                            " parameters; max_params is " + std::to_string(options_.max_params));
  }
  std::size_t bytes = sql.size();
  for (const std::string& param : params) bytes += param.size();
  if (bytes > options_.max_statement_bytes) {
    return invalid_argument("sql: the statement and its parameters are " + std::to_string(bytes) +
                            " bytes; max_statement_bytes is " +
                            std::to_string(options_.max_statement_bytes));
  }
  // Text parameters travel as C strings: a NUL would cut one short without notice.
  if (sql.find('\0') != std::string_view::npos) return invalid_argument("sql: contains a NUL byte");
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].find('\0') != std::string::npos) {
      return invalid_argument("params[" + std::to_string(i) + "]: contains a NUL byte");
    }
  }
  return Statement{std::string(sql), std::vector<std::string>(params.begin(), params.end())};
}

Task<Result<PgResult>> Connection::Impl::run(std::shared_ptr<Impl> self,
                                             Result<Statement> statement, Duration timeout) {
  if (!statement.ok()) co_return std::move(statement).error();
  // The check on its own, no Result kept in the frame: g++ 12 then warns of a mismatched
  // coroutine-frame delete (-Wmismatched-new-delete, a false positive).
  if (timeout <= Duration::zero()) co_return validate_timeout(timeout).error();
  if (self->busy_) {
    co_return unavailable("another query is in progress on the connection to " + self->where_ +
                          "; not sent");
  }
  const SteadyClock::time_point now = SteadyClock::now();
  if (self->lost_before_sending(now)) {
    co_return unavailable("the connection to " + self->where_ + " is lost; not sent");
  }
  const SteadyClock::time_point deadline = add_saturating(now, timeout);
  self->busy_ = true;
  struct BusyGuard {
    Impl* impl;
    ~BusyGuard() {
      impl->busy_ = false;
      impl->idle_since_ = SteadyClock::now();
    }
  } guard{self.get()};

  std::vector<const char*> values;
  values.reserve(statement->params.size());
  for (const std::string& param : statement->params) values.push_back(param.c_str());
  self->last_notice_.clear();
  if (PQsendQueryParams(self->conn_, statement->sql.c_str(), static_cast<int>(values.size()),
                        /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                        /*paramFormats=*/nullptr, /*resultFormat=text*/ 0) == 0) {
    // A failed write may have sent part of the statement; a refusal before it sent nothing.
    if (PQstatus(self->conn_) == CONNECTION_BAD) {
      co_return self->lose(ErrorCode::kOutcomeUnknown,
                           "the connection to " + self->where_ +
                               " broke while sending the statement; it may have run");
    }
    co_return unavailable("libpq refused the statement for " + self->where_ + ": " +
                          self->libpq_error() + "; not sent");
  }

  // Flush: libpq keeps what the socket did not take; wait until it is all written. Reading
  // while waiting keeps a server that is itself blocked on writing to us from deadlocking.
  for (;;) {
    const int flushed = PQflush(self->conn_);
    if (flushed == 0) break;
    if (flushed < 0) {
      co_return self->lose(ErrorCode::kOutcomeUnknown,
                           "writing to " + self->where_ + " failed; the statement may have run");
    }
    const WaitOutcome ready = co_await self->waiter_.wait(Readiness::kReadOrWrite, deadline);
    if (std::optional<Error> failed = self->after_wait(ready, timeout)) {
      co_return std::move(*failed);
    }
  }

  // Read until libpq has no more results for this statement (PQgetResult returns null).
  std::optional<Result<PgResult>> outcome;
  for (;;) {
    while (PQisBusy(self->conn_) == 0) {
      PGresult* result = PQgetResult(self->conn_);
      if (result == nullptr) break;
      Result<PgResult> converted = convert(result);
      PQclear(result);
      // Keep the first error; otherwise the last result (there is one per statement).
      if (!outcome || outcome->ok()) outcome.emplace(std::move(converted));
    }
    if (PQisBusy(self->conn_) == 0) break;
    const WaitOutcome ready = co_await self->waiter_.wait(Readiness::kRead, deadline);
    if (std::optional<Error> failed = self->after_wait(ready, timeout)) {
      co_return std::move(*failed);
    }
  }

  if (PQstatus(self->conn_) == CONNECTION_BAD) {
    // The server ended the session: a FATAL error (pg_terminate_backend, shutdown) may have come
    // before our statement arrived or after it ran. A success that arrived complete stands.
    if (outcome && outcome->ok() && !(*outcome)->is_error()) {
      self->close_now();
      co_return std::move(*outcome);
    }
    std::string why = outcome && outcome->ok() && (*outcome)->is_error()
                          ? (*outcome)->sqlstate() + " " + (*outcome)->error_message()
                          : self->libpq_error();
    co_return self->lose(ErrorCode::kOutcomeUnknown,
                         "the connection to " + self->where_ + " was lost (" + why +
                             "); the statement may have run");
  }
  if (!outcome) {
    co_return Error{ErrorCode::kProtocol, "no result from " + self->where_ + " for the statement"};
  }
  if (!outcome->ok()) {
    // A COPY or a libpq-side failure leaves the session in a state we cannot resume from.
    const Error error = outcome->error();
    co_return self->lose(error.code, error.message);
  }
  co_return std::move(*outcome);
}

std::optional<Error> Connection::Impl::after_wait(WaitOutcome outcome, Duration timeout) {
  const ErrorCode code = ErrorCode::kOutcomeUnknown;
  if (conn_ == nullptr) {
    return Error{code, "the connection to " + where_ +
                           " was closed by its owner during the statement; it may have run"};
  }
  switch (outcome) {
    case WaitOutcome::kReadable:
      if (PQconsumeInput(conn_) == 0) {
        return lose(code, "reading from " + where_ + " failed (" + libpq_error() +
                              "); the statement may have run");
      }
      waiter_.input_consumed();
      return std::nullopt;
    case WaitOutcome::kWritable:
      return std::nullopt;
    case WaitOutcome::kTimedOut:
      return lose(code, "no reply from " + where_ + " within " + duration_text(timeout) +
                            " after the statement was sent; it may have run (the connection "
                            "was closed to abandon it)");
    case WaitOutcome::kCancelled:
    case WaitOutcome::kFailed:
      break;
  }
  return lose(code, "could not wait for the socket of " + where_);
}

// ---- state -------------------------------------------------------------------------------------

bool Connection::Impl::probe_lost() {
  if (conn_ == nullptr) return true;
  if (busy_) return false;  // the call in progress will find out
  // A FATAL already parsed (during the last statement, whose result still stood) means the
  // backend has ended and released the session's locks, whatever the socket says yet.
  if (PQstatus(conn_) == CONNECTION_BAD || fatal_seen_) {
    close_now();
    return true;
  }
  // Only the server's unsolicited messages (a FATAL before it exits, notices, parameter
  // changes) or EOF can be waiting on an idle session. A terminated backend sends its FATAL
  // and then closes, so read until the socket has nothing more (bounded: each round reads up
  // to libpq's buffer). PQconsumeInput does not block; PQisBusy parses what it read, handing
  // an unsolicited error to the notice processor.
  for (int round = 0; round < kMaxProbeRounds; ++round) {
    pollfd probe{PQsocket(conn_), POLLIN, 0};
    if (::poll(&probe, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) {
      close_now();
      return true;
    }
    (void)PQisBusy(conn_);
    if (PQstatus(conn_) == CONNECTION_BAD || fatal_seen_) {
      close_now();
      return true;
    }
  }
  waiter_.input_consumed();
  return false;
}

bool Connection::Impl::lost_before_sending(SteadyClock::time_point now) {
  if (conn_ != nullptr && fatal_seen_) return probe_lost();  // closes it: certainly not sent
  if (conn_ != nullptr && !waiter_.input_pending() && now - idle_since_ < kWatchTrustedFor &&
      PQstatus(conn_) != CONNECTION_BAD) {
    return false;
  }
  return probe_lost();
}

Error Connection::Impl::lose(ErrorCode code, const std::string& what) {
  std::string message = what;
  if (!last_notice_.empty()) message += " (last server notice: " + last_notice_ + ")";
  close_now();
  return Error{code, redact_message(message, options_.password)};
}

std::string Connection::Impl::libpq_error() const {
  if (conn_ == nullptr) return "connection closed";
  return redact_message(PQerrorMessage(conn_), options_.password);
}

void Connection::Impl::close_now() {
  if (conn_ == nullptr) return;
  waiter_.detach();  // wakes a wait in progress; closes only our dup of the socket
  PQfinish(conn_);  // sends Terminate (without blocking: the socket is non-blocking) and closes
  conn_ = nullptr;
}

// ---- the handle --------------------------------------------------------------------------------

Task<Result<Connection>> Connection::connect(net::io_context& io,
                                             const ConnectionOptions& options, Duration timeout) {
  // Not a coroutine: the options are checked and copied before the caller's co_await.
  if (Result<void> valid = options.validate(); !valid.ok()) {
    return Impl::open(std::move(valid).error(), timeout);
  }
  if (Result<void> valid = validate_timeout(timeout); !valid.ok()) {
    return Impl::open(std::move(valid).error(), timeout);
  }
  return Impl::open(std::make_shared<Impl>(io.get_executor(), options),
                    std::min(timeout, options.connect_timeout));
}

Task<Result<Connection>> Connection::Impl::open(Result<std::shared_ptr<Impl>> impl,
                                                Duration budget) {
  if (!impl.ok()) co_return std::move(impl).error();
  Result<void> established = co_await (*impl)->establish(budget);
  if (!established.ok()) co_return std::move(established).error();
  co_return Connection(std::move(impl).value());
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close_now();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Connection::~Connection() {
  if (impl_) impl_->close_now();
}

Task<Result<PgResult>> Connection::query(std::string_view sql, std::span<const std::string> params,
                                         Duration timeout) {
  assert(impl_ && "query() on a moved-from Connection");
  return Impl::run(impl_, impl_->copy_statement(sql, params), timeout);
}

Task<Result<PgResult>> Connection::query(std::string_view sql, Duration timeout) {
  return query(sql, std::span<const std::string>(), timeout);
}

bool Connection::lost() const { return !impl_ || impl_->probe_lost(); }

bool Connection::busy() const noexcept { return impl_ && impl_->busy(); }

bool Connection::in_transaction() const noexcept { return impl_ && impl_->in_transaction(); }

int Connection::backend_pid() const noexcept { return impl_ ? impl_->backend_pid() : 0; }

void Connection::close() {
  if (impl_) impl_->close_now();
}

const ConnectionOptions& Connection::options() const noexcept { return impl_->options(); }

std::string Connection::connection_parameter(std::string_view keyword) const {
  if (!impl_ || keyword == "password") return {};
  return impl_->connection_parameter(keyword);
}

}  // namespace faultline::backends::postgres
