#include "faultline/backends/redis/connection.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "codec.h"
#include "redact.h"

namespace faultline::backends::redis {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunkBytes = 16 * 1024;

std::string millis(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

}  // namespace

// How it works. Every call becomes a Pending, queued in call order. A connection attempt, once
// it succeeds, becomes a Link with two coroutines: the writer moves queued Pendings into the
// Link's `awaiting` FIFO and writes them as one batch; the reader parses replies and hands each
// to the front of `awaiting`. A caller sleeps on its Pending's timer, set to its deadline: the
// reader (or a failure) cancels the timer to wake it early, so one wait covers both "reply
// arrived" and "deadline passed", and the caller decides by looking at the Pending's state.
// Everything runs on one executor, so there are no locks.
class Connection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& io, ConnectionOptions options)
      : executor_(io.get_executor()), options_(std::move(options)),
        where_(options_.host + ":" + std::to_string(options_.port)) {}

  static Task<Result<RedisReply>> command(std::shared_ptr<Impl> self,
                                          Result<detail::EncodedCommand> request,
                                          Duration timeout);
  void close(const std::string& why);
  void shutdown();
  [[nodiscard]] std::size_t in_flight() const noexcept {
    return queued_.size() + (link_ ? link_->awaiting.size() : 0);
  }
  [[nodiscard]] const ConnectionOptions& options() const noexcept { return options_; }

 private:
  struct Pending {
    enum class State : std::uint8_t {
      kQueued,     // in queued_, not yet handed to a write
      kWritten,    // in a Link's awaiting FIFO: the server may have it
      kDone,       // outcome set; the caller may not have resumed yet
      kAbandoned,  // the caller gave up; a reply, if it comes, is read and dropped
    };
    Pending(const net::any_io_executor& executor, detail::EncodedCommand bytes)
        : request(std::move(bytes)), timer(executor) {}
    detail::EncodedCommand request;
    net::steady_timer timer;  // the caller's deadline, cancelled to wake it early
    State state = State::kQueued;
    std::optional<Result<RedisReply>> outcome;
    std::uint64_t replies_when_written = 0;  // the Link's reply count when this was written
  };
  using PendingPtr = std::shared_ptr<Pending>;

  // One TCP connection. Replaced, never reused, after it breaks.
  struct Link {
    explicit Link(const net::any_io_executor& executor)
        : socket(executor), resolver(executor), wake(executor), watchdog(executor),
          read_buffer(kReadChunkBytes) {}
    tcp::socket socket;
    tcp::resolver resolver;
    net::steady_timer wake;      // the idle writer sleeps on it; cancel() wakes it
    net::steady_timer watchdog;  // bounds the connection attempt
    detail::ReplyReader reader;
    std::deque<PendingPtr> awaiting;  // written, reply not yet read; replies come in this order
    std::vector<char> read_buffer;
    bool established = false;
    bool timed_out = false;
    bool writer_idle = false;
    bool broken = false;
    std::uint64_t replies = 0;  // replies read so far: a silent link is a stuck one
  };
  using LinkPtr = std::shared_ptr<Link>;

  void start_connecting(Duration budget);
  static Task<void> connect(std::shared_ptr<Impl> self, Duration budget);
  Task<Result<void>> establish(Link& link);
  Task<Result<void>> authenticate(Link& link);
  Task<Result<RedisReply>> read_one_reply(Link& link);
  static Task<void> read_loop(std::shared_ptr<Impl> self, LinkPtr link);
  static Task<void> write_loop(std::shared_ptr<Impl> self, LinkPtr link);

  Result<RedisReply> finish(Pending& pending, Duration timeout);
  void complete(Pending& pending, Result<RedisReply> outcome);
  void fail_queued(const Error& error);
  void break_link(Link& link, const std::string& why, ErrorCode written_code);
  [[nodiscard]] Error redacted(Error error) const;

  net::any_io_executor executor_;
  ConnectionOptions options_;
  std::string where_;                // "host:port", for messages
  std::deque<PendingPtr> queued_;    // not yet written, in call order
  LinkPtr link_;                     // the live connection, if any
  bool connecting_ = false;
  bool shut_down_ = false;
};

// ---- calls -------------------------------------------------------------------------------------

Task<Result<RedisReply>> Connection::Impl::command(std::shared_ptr<Impl> self,
                                                   Result<detail::EncodedCommand> request,
                                                   Duration timeout) {
  if (!request.ok()) co_return std::move(request).error();
  if (timeout <= Duration::zero()) {
    co_return invalid_argument("timeout: " + std::to_string(timeout.count()) +
                               "ns; must be positive");
  }
  if (self->shut_down_) co_return unavailable("connection to " + self->where_ + " is closed");
  if (self->in_flight() >= self->options_.max_in_flight) {
    co_return unavailable("too many requests in flight to " + self->where_ +
                          " (max_in_flight = " + std::to_string(self->options_.max_in_flight) +
                          "); not sent");
  }

  auto pending = std::make_shared<Pending>(self->executor_, std::move(request).value());
  pending->timer.expires_after(timeout);
  self->queued_.push_back(pending);
  if (self->link_) {
    if (self->link_->writer_idle) self->link_->wake.cancel();
  } else if (!self->connecting_) {
    // The attempt serves every queued caller, so one caller's short deadline must not cut it
    // short for the others: it gets the configured connect_timeout (each caller still gives up
    // at its own deadline).
    self->start_connecting(self->options_.connect_timeout);
  }

  error_code woken;  // operation_aborted when woken early; the state says why
  co_await pending->timer.async_wait(net::redirect_error(net::use_awaitable, woken));
  co_return self->finish(*pending, timeout);
}

Result<RedisReply> Connection::Impl::finish(Pending& pending, Duration timeout) {
  switch (pending.state) {
    case Pending::State::kDone:
      return std::move(*pending.outcome);
    case Pending::State::kQueued: {
      pending.state = Pending::State::kAbandoned;
      std::erase_if(queued_, [&](const PendingPtr& p) { return p.get() == &pending; });
      return unavailable("no reply from " + where_ + " within " + millis(timeout) +
                         (connecting_ ? " (still connecting)" : "") +
                         "; the request was not sent");
    }
    case Pending::State::kWritten: {
      pending.state = Pending::State::kAbandoned;  // the reader will drop its reply
      // Not a single reply since this request was written: the server, or the path to it, is
      // stuck (a hung process, a half-open TCP connection). Waiting on would only pile up
      // abandoned requests until max_in_flight refuses everything; start afresh instead. A
      // server that is merely slow still answers something and keeps its connection.
      const LinkPtr link = link_;
      if (link && link->replies == pending.replies_when_written) {
        break_link(*link, "no reply at all within " + millis(timeout) + ": stuck",
                   ErrorCode::kOutcomeUnknown);
      }
      return outcome_unknown("no reply from " + where_ + " within " + millis(timeout) +
                             " after the request was sent; it may have been applied");
    }
    case Pending::State::kAbandoned:
      break;
  }
  assert(false && "a Pending is finished once");
  return Error{ErrorCode::kProtocol, "internal: request finished twice"};
}

void Connection::Impl::complete(Pending& pending, Result<RedisReply> outcome) {
  assert(pending.state == Pending::State::kQueued || pending.state == Pending::State::kWritten);
  pending.outcome.emplace(std::move(outcome));
  pending.state = Pending::State::kDone;
  pending.timer.cancel();
}

void Connection::Impl::fail_queued(const Error& error) {
  std::deque<PendingPtr> queued = std::exchange(queued_, {});
  for (const PendingPtr& pending : queued) complete(*pending, error);
}

Error Connection::Impl::redacted(Error error) const {
  detail::redact(error.message, options_.password);
  return error;
}

// ---- connecting --------------------------------------------------------------------------------

void Connection::Impl::start_connecting(Duration budget) {
  connecting_ = true;
  net::co_spawn(executor_, connect(shared_from_this(), std::min(budget, options_.connect_timeout)),
                net::detached);
}

Task<void> Connection::Impl::connect(std::shared_ptr<Impl> self, Duration budget) {
  auto link = std::make_shared<Link>(self->executor_);
  // The watchdog closes the socket (and cancels name resolution) when the budget runs out,
  // which makes whichever step is in progress fail at once.
  link->watchdog.expires_after(budget);
  link->watchdog.async_wait([weak = std::weak_ptr<Link>(link)](error_code ec) {
    const LinkPtr l = weak.lock();
    if (ec || !l || l->established) return;
    l->timed_out = true;
    error_code ignored;
    l->socket.close(ignored);
    l->resolver.cancel();
  });

  Result<void> established = co_await self->establish(*link);
  link->established = true;
  link->watchdog.cancel();
  self->connecting_ = false;

  if (self->shut_down_) {
    error_code ignored;
    link->socket.close(ignored);
    co_return;
  }
  if (!established.ok()) {
    Error error = std::move(established).error();
    if (link->timed_out) {
      error = unavailable("connect to " + self->where_ + " timed out after " + millis(budget));
    }
    self->fail_queued(self->redacted(std::move(error)));
    co_return;
  }
  self->link_ = link;
  net::co_spawn(self->executor_, read_loop(self, link), net::detached);
  net::co_spawn(self->executor_, write_loop(self, link), net::detached);
}

Task<Result<void>> Connection::Impl::establish(Link& link) {
  error_code ec;
  const net::ip::address address = net::ip::make_address(options_.host, ec);
  if (!ec) {
    co_await link.socket.async_connect(
        tcp::endpoint(address, static_cast<std::uint16_t>(options_.port)),
        net::redirect_error(net::use_awaitable, ec));
  } else {
    ec.clear();
    // A named local, not a temporary inside co_await: g++ 12 destroys those twice.
    const std::string service = std::to_string(options_.port);
    const tcp::resolver::results_type endpoints = co_await link.resolver.async_resolve(
        options_.host, service, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return unavailable("resolve " + options_.host + ": " + ec.message());
    co_await net::async_connect(link.socket, endpoints,
                                net::redirect_error(net::use_awaitable, ec));
  }
  if (ec) co_return unavailable("connect to " + where_ + ": " + ec.message());
  // Requests are small and latency-bound; Nagle would hold the second of two back-to-back
  // writes for an ACK.
  link.socket.set_option(tcp::no_delay(true), ec);
  if (!options_.password.empty()) co_return co_await authenticate(link);
  co_return Ok{};
}

Task<Result<void>> Connection::Impl::authenticate(Link& link) {
  std::vector<std::string_view> argv{"AUTH"};
  if (!options_.username.empty()) argv.push_back(options_.username);
  argv.push_back(options_.password);
  Result<detail::EncodedCommand> request = detail::encode(argv, options_.max_request_bytes);
  if (!request.ok()) co_return invalid_argument("password: too long for max_request_bytes");
  error_code ec;
  co_await net::async_write(link.socket, net::buffer(request->data(), request->size()),
                            net::redirect_error(net::use_awaitable, ec));
  request->wipe();
  if (ec) co_return unavailable("AUTH to " + where_ + ": write failed: " + ec.message());
  Result<RedisReply> reply = co_await read_one_reply(link);
  if (!reply.ok()) co_return unavailable("AUTH to " + where_ + ": " + reply.error().message);
  if (reply->is_error()) {
    co_return unavailable("AUTH rejected by " + where_ + ": " + reply->as_text());
  }
  co_return Ok{};
}

// Only for the handshake, before the reader coroutine owns the socket.
Task<Result<RedisReply>> Connection::Impl::read_one_reply(Link& link) {
  for (;;) {
    Result<std::optional<RedisReply>> next = link.reader.next();
    if (!next.ok()) co_return std::move(next).error();
    if (next->has_value()) co_return std::move(**next);
    if (link.reader.buffered_bytes() > options_.max_reply_bytes) {
      co_return Error{ErrorCode::kProtocol, "reply larger than max_reply_bytes"};
    }
    error_code ec;
    const std::size_t n = co_await link.socket.async_read_some(
        net::buffer(link.read_buffer), net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return unavailable("read failed: " + ec.message());
    if (Result<void> fed = link.reader.feed(link.read_buffer.data(), n); !fed.ok()) {
      co_return std::move(fed).error();
    }
  }
}

// ---- the pipeline ------------------------------------------------------------------------------

Task<void> Connection::Impl::write_loop(std::shared_ptr<Impl> self, LinkPtr link) {
  std::vector<PendingPtr> batch;
  std::vector<net::const_buffer> buffers;
  while (!link->broken) {
    if (self->queued_.empty()) {
      link->writer_idle = true;
      link->wake.expires_at(net::steady_timer::time_point::max());
      error_code woken;
      co_await link->wake.async_wait(net::redirect_error(net::use_awaitable, woken));
      link->writer_idle = false;
      continue;
    }
    // Everything queued goes out in one gather write. A request counts as sent from here on:
    // once the write starts, any part of it may reach the server.
    batch.clear();
    buffers.clear();
    while (!self->queued_.empty()) {
      PendingPtr pending = std::move(self->queued_.front());
      self->queued_.pop_front();
      pending->state = Pending::State::kWritten;
      pending->replies_when_written = link->replies;
      buffers.emplace_back(pending->request.data(), pending->request.size());
      link->awaiting.push_back(pending);
      batch.push_back(std::move(pending));
    }
    error_code ec;
    co_await net::async_write(link->socket, buffers, net::redirect_error(net::use_awaitable, ec));
    for (const PendingPtr& pending : batch) pending->request.reset();
    if (link->broken) break;
    if (ec) {
      self->break_link(*link, "write failed: " + ec.message(), ErrorCode::kOutcomeUnknown);
      break;
    }
  }
}

Task<void> Connection::Impl::read_loop(std::shared_ptr<Impl> self, LinkPtr link) {
  while (!link->broken) {
    error_code ec;
    const std::size_t n = co_await link->socket.async_read_some(
        net::buffer(link->read_buffer), net::redirect_error(net::use_awaitable, ec));
    if (link->broken) break;
    if (ec) {
      self->break_link(*link,
                       ec == net::error::eof ? std::string("closed by the server") : ec.message(),
                       ErrorCode::kOutcomeUnknown);
      break;
    }
    if (Result<void> fed = link->reader.feed(link->read_buffer.data(), n); !fed.ok()) {
      self->break_link(*link, fed.error().message, ErrorCode::kProtocol);
      break;
    }
    for (;;) {
      Result<std::optional<RedisReply>> next = link->reader.next();
      if (!next.ok()) {
        self->break_link(*link, next.error().message, ErrorCode::kProtocol);
        co_return;
      }
      if (!next->has_value()) break;
      if (link->awaiting.empty()) {
        self->break_link(*link, "a reply arrived with no request outstanding",
                         ErrorCode::kProtocol);
        co_return;
      }
      const PendingPtr pending = std::move(link->awaiting.front());
      link->awaiting.pop_front();
      ++link->replies;
      if (pending->state == Pending::State::kAbandoned) continue;  // its caller timed out
      RedisReply reply = std::move(**next);
      if (reply.is_error()) {
        // Redact before server_error truncates: a cut could leave part of a password behind.
        std::string text(reply.as_text());
        detail::redact(text, self->options_.password);
        self->complete(*pending, self->redacted(server_error(text)));
      } else {
        self->complete(*pending, std::move(reply));
      }
    }
    if (link->reader.buffered_bytes() > self->options_.max_reply_bytes) {
      self->break_link(*link, "a reply exceeds max_reply_bytes", ErrorCode::kProtocol);
    }
  }
}

void Connection::Impl::break_link(Link& link, const std::string& why, ErrorCode written_code) {
  if (link.broken) return;
  link.broken = true;
  error_code ignored;
  link.socket.close(ignored);  // also ends the other loop's pending read or write
  link.wake.cancel();
  if (link_.get() == &link) link_.reset();

  const std::deque<PendingPtr> awaiting = std::exchange(link.awaiting, {});
  const Error sent = redacted(Error{
      written_code, "connection to " + where_ + " lost after the request was sent (" + why +
                        "); it may have been applied"});
  for (const PendingPtr& pending : awaiting) {
    if (pending->state == Pending::State::kWritten) complete(*pending, sent);
  }
  // Requests not yet written fail too, rather than wait for a reconnect nobody asked for.
  fail_queued(redacted(
      unavailable("connection to " + where_ + " lost before the request was sent (" + why + ")")));
}

void Connection::Impl::close(const std::string& why) {
  const LinkPtr link = link_;  // break_link drops link_; keep the Link alive meanwhile
  if (link) break_link(*link, why, ErrorCode::kOutcomeUnknown);
}

void Connection::Impl::shutdown() {
  shut_down_ = true;
  close("closed by its owner");
  fail_queued(unavailable("connection to " + where_ + " closed by its owner"));
}

// ---- the handle --------------------------------------------------------------------------------

Result<Connection> Connection::create(net::io_context& io, ConnectionOptions options) {
  if (Result<void> valid = options.validate(); !valid.ok()) return std::move(valid).error();
  return Connection(std::make_shared<Impl>(io, std::move(options)));
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->shutdown();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Connection::~Connection() {
  if (impl_) impl_->shutdown();
}

Task<Result<RedisReply>> Connection::command(std::span<const std::string_view> argv,
                                             Duration timeout) {
  assert(impl_ && "command() on a moved-from Connection");
  return Impl::command(impl_, detail::encode(argv, impl_->options().max_request_bytes), timeout);
}

Task<Result<RedisReply>> Connection::command(std::span<const std::string> argv,
                                             Duration timeout) {
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  return command(std::span<const std::string_view>(views), timeout);
}

Task<Result<RedisReply>> Connection::command(std::initializer_list<std::string_view> argv,
                                             Duration timeout) {
  return command(std::span<const std::string_view>(argv.begin(), argv.size()), timeout);
}

void Connection::close() {
  if (impl_) impl_->close("closed by its owner");
}

std::size_t Connection::in_flight() const noexcept { return impl_ ? impl_->in_flight() : 0; }

const ConnectionOptions& Connection::options() const noexcept { return impl_->options(); }

}  // namespace faultline::backends::redis
