#include "faultline/backends/redis/connection.h"

#include "faultline/clock.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cassert>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "codec.h"
#include "../common/redact.h"
#include "faultline/duration_text.h"
#include "faultline/detail/parked_handler.h"
#include "faultline/validate.h"

namespace faultline::backends::redis {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunkBytes = 16 * 1024;

}  // namespace

// How it works. Every call becomes a Pending, queued in call order. A connection attempt, once
// it succeeds, becomes a Link. Writes are started directly by the call that finds the Link idle,
// and continued by the completion of the previous write, which sends everything queued
// meanwhile as one gather write; the Link's `awaiting` FIFO holds what was written. One read is
// always outstanding on a Link: each reply goes to the front of `awaiting`.
//
// A caller suspends with its completion handler parked in its Pending and is resumed (posted,
// never run inline) when the Pending completes: by a reply, a broken link, or its deadline.
// Deadlines are not a timer per call: they sit in one ordered index per connection, watched by
// a single timer armed for the earliest. Per-call timers cost a timer-queue insert, a cancel and
// a second handler per request; at tens of thousands of requests per second per thread that
// was a fifth of the client's CPU. Everything runs on one executor, so there are no locks.
class Connection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& io, ConnectionOptions options)
      : executor_(io.get_executor()), options_(std::move(options)),
        where_(options_.host + ":" + std::to_string(options_.port)), deadline_timer_(io) {}

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
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Pending;
  using Waiter = faultline::detail::ParkedHandler<>;
  using PendingPtr = std::shared_ptr<Pending>;
  // Unfinished calls by deadline, earliest first, ties in call order. A sorted deque rather than
  // a tree: with one timeout per connection, calls arrive in deadline order and finish in the
  // same order (replies are FIFO), so both ends are O(1) and nothing is allocated per call.
  struct DeadlineEntry {
    TimePoint at;
    Pending* pending;
  };
  using Deadlines = std::deque<DeadlineEntry>;

  struct Pending {
    enum class State : std::uint8_t {
      kQueued,   // in queued_, not yet handed to a write
      kWritten,  // in a Link's awaiting FIFO: the server may have it
      kDone,     // outcome set; if still in `awaiting`, its reply is read and dropped
    };
    explicit Pending(detail::EncodedCommand bytes) : request(std::move(bytes)) {}
    detail::EncodedCommand request;
    State state = State::kQueued;
    std::optional<Result<RedisReply>> outcome;
    std::uint64_t replies_when_written = 0;  // the Link's reply count when this was written
    Duration timeout{};                      // as given, for messages
    TimePoint deadline{};                    // its entry in deadlines_ until it is done
    Waiter waiter;          // the suspended caller, once it suspends
  };

  // One TCP connection. Replaced, never reused, after it breaks.
  struct Link {
    Link(const net::any_io_executor& executor, std::size_t max_reply_bytes)
        : socket(executor),
          resolver(executor),
          watchdog(executor),
          reader(max_reply_bytes),
          read_buffer(kReadChunkBytes) {}
    tcp::socket socket;
    tcp::resolver resolver;
    net::steady_timer watchdog;  // bounds the connection attempt
    detail::ReplyReader reader;
    std::deque<PendingPtr> awaiting;  // written, reply not yet read; replies come in this order
    std::vector<char> read_buffer;
    std::vector<PendingPtr> writing;            // the batch of the write in progress
    std::vector<net::const_buffer> buffers;     // its bytes
    bool established = false;
    bool timed_out = false;
    bool write_in_progress = false;
    bool broken = false;
    std::uint64_t replies = 0;  // replies read so far: a silent link is a stuck one
  };
  using LinkPtr = std::shared_ptr<Link>;

  void start_connecting(Duration budget);
  static Task<void> connect(std::shared_ptr<Impl> self, Duration budget);
  Task<Result<void>> establish(Link& link);
  Task<Result<void>> authenticate(Link& link);
  Task<Result<RedisReply>> read_one_reply(Link& link);

  void start_write(const LinkPtr& link);
  void on_written(const LinkPtr& link, error_code ec);
  void start_read(const LinkPtr& link);
  void on_read(const LinkPtr& link, error_code ec, std::size_t n);

  void watch_deadline(Pending& pending);
  void unwatch_deadline(Pending& pending);
  void arm_deadline_timer(TimePoint at);
  void on_deadline_timer();
  void expire(Pending& pending);

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

  // Every unfinished call's deadline, earliest first. The timer is armed for `armed_for_` (or
  // not at all when that is max()); it is re-armed only when a call with an earlier deadline
  // arrives, so with uniform timeouts it fires about once per timeout, not once per call. A
  // firing with nothing due just re-arms for the earliest entry. `timer_generation_` lets a
  // superseded firing recognise itself.
  Deadlines deadlines_;
  net::steady_timer deadline_timer_;
  TimePoint armed_for_ = TimePoint::max();
  std::uint64_t timer_generation_ = 0;
};

// ---- calls -------------------------------------------------------------------------------------

Task<Result<RedisReply>> Connection::Impl::command(std::shared_ptr<Impl> self,
                                                   Result<detail::EncodedCommand> request,
                                                   Duration timeout) {
  if (!request.ok()) co_return std::move(request).error();
  if (Result<void> valid = validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  if (self->shut_down_) co_return unavailable("connection to " + self->where_ + " is closed");
  if (self->in_flight() >= self->options_.max_in_flight) {
    co_return unavailable("too many requests in flight to " + self->where_ +
                          " (max_in_flight = " + std::to_string(self->options_.max_in_flight) +
                          "); not sent");
  }

  auto pending = std::make_shared<Pending>(std::move(request).value());
  pending->timeout = timeout;
  self->watch_deadline(*pending);
  self->queued_.push_back(pending);
  if (self->link_) {
    self->start_write(self->link_);
  } else if (!self->connecting_) {
    // The attempt serves every queued caller, so one caller's short deadline must not cut it
    // short for the others: it gets the configured connect_timeout (each caller still gives up
    // at its own deadline).
    self->start_connecting(self->options_.connect_timeout);
  }

  // Park the handler; complete() posts it. Only a raw pointer crosses into the initiation (see
  // ARCHITECTURE.md on g++ 12); `pending` keeps the object alive meanwhile.
  Pending* const raw = pending.get();
  co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(
      [raw](auto handler) {
        if (raw->state == Pending::State::kDone) {
          auto executor = net::get_associated_executor(handler);
          net::post(executor, std::move(handler));
        } else {
          raw->waiter = Waiter(std::move(handler));
        }
      },
      net::use_awaitable);
  assert(pending->state == Pending::State::kDone && pending->outcome.has_value());
  co_return std::move(*pending->outcome);
}

void Connection::Impl::watch_deadline(Pending& pending) {
  // Saturating: a Duration::max() timeout ("no deadline") must not wrap into the past.
  const TimePoint at = add_saturating(std::chrono::steady_clock::now(), pending.timeout);
  pending.deadline = at;
  if (deadlines_.empty() || deadlines_.back().at <= at) {
    deadlines_.push_back({at, &pending});
  } else {
    const auto later = std::upper_bound(
        deadlines_.begin(), deadlines_.end(), at,
        [](TimePoint t, const DeadlineEntry& entry) { return t < entry.at; });
    deadlines_.insert(later, {at, &pending});
  }
  if (at < armed_for_) arm_deadline_timer(at);
}

void Connection::Impl::unwatch_deadline(Pending& pending) {
  if (deadlines_.front().pending == &pending) {
    deadlines_.pop_front();
    return;
  }
  auto it = std::lower_bound(
      deadlines_.begin(), deadlines_.end(), pending.deadline,
      [](const DeadlineEntry& entry, TimePoint t) { return entry.at < t; });
  while (it != deadlines_.end() && it->pending != &pending) ++it;
  assert(it != deadlines_.end() && "every unfinished call has a deadline entry");
  deadlines_.erase(it);
}

void Connection::Impl::arm_deadline_timer(TimePoint at) {
  armed_for_ = at;
  const std::uint64_t generation = ++timer_generation_;
  deadline_timer_.expires_at(at);  // cancels a previous wait; its handler sees a stale generation
  deadline_timer_.async_wait(
      [weak = weak_from_this(), generation](error_code ec) {
        const std::shared_ptr<Impl> self = weak.lock();
        if (ec || !self || generation != self->timer_generation_) return;
        self->on_deadline_timer();
      });
}

void Connection::Impl::on_deadline_timer() {
  armed_for_ = TimePoint::max();
  const TimePoint now = std::chrono::steady_clock::now();
  // expire() may break the link, which completes (and unlinks) other entries: re-read front().
  while (!deadlines_.empty() && deadlines_.front().at <= now) {
    expire(*deadlines_.front().pending);
  }
  if (!deadlines_.empty()) arm_deadline_timer(deadlines_.front().at);
}

void Connection::Impl::expire(Pending& pending) {
  switch (pending.state) {
    case Pending::State::kQueued: {
      std::erase_if(queued_, [&](const PendingPtr& p) { return p.get() == &pending; });
      complete(pending, unavailable("no reply from " + where_ + " within " +
                                    duration_text(pending.timeout) +
                                    (connecting_ ? " (still connecting)" : "") +
                                    "; the request was not sent"));
      return;
    }
    case Pending::State::kWritten: {
      complete(pending, outcome_unknown("no reply from " + where_ + " within " +
                                        duration_text(pending.timeout) +
                                        " after the request was sent; it may have been applied"));
      // It stays in `awaiting`: the reader drops its reply, keeping later replies matched.
      // Not a single reply since this request was written: the server, or the path to it, is
      // stuck (a hung process, a half-open TCP connection). Waiting on would only pile up
      // expired requests until max_in_flight refuses everything; start afresh instead. A
      // server that is merely slow still answers something and keeps its connection.
      const LinkPtr link = link_;
      if (link && link->replies == pending.replies_when_written) {
        break_link(*link, "no reply at all within " + duration_text(pending.timeout) + ": stuck",
                   ErrorCode::kOutcomeUnknown);
      }
      return;
    }
    case Pending::State::kDone:
      break;
  }
  assert(false && "a finished call left its deadline behind");
}

void Connection::Impl::complete(Pending& pending, Result<RedisReply> outcome) {
  assert(pending.state == Pending::State::kQueued || pending.state == Pending::State::kWritten);
  pending.outcome.emplace(std::move(outcome));
  pending.state = Pending::State::kDone;
  unwatch_deadline(pending);
  if (pending.waiter) {
    // Posted, not called: the caller must not run inside the reader's loop over `awaiting`.
    // The caller's executor is this connection's (see Thread-safety in the header).
    net::post(executor_, [waiter = std::move(pending.waiter)]() mutable { waiter.resume(); });
  }
}

void Connection::Impl::fail_queued(const Error& error) {
  std::deque<PendingPtr> queued = std::exchange(queued_, {});
  for (const PendingPtr& pending : queued) complete(*pending, error);
}

Error Connection::Impl::redacted(Error error) const {
  error.message = backends::detail::redact(error.message, options_.password);
  return error;
}

// ---- connecting --------------------------------------------------------------------------------

void Connection::Impl::start_connecting(Duration budget) {
  connecting_ = true;
  net::co_spawn(executor_, connect(shared_from_this(), std::min(budget, options_.connect_timeout)),
                net::detached);
}

Task<void> Connection::Impl::connect(std::shared_ptr<Impl> self, Duration budget) {
  auto link = std::make_shared<Link>(self->executor_, self->options_.max_reply_bytes);
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
      error = unavailable("connect to " + self->where_ + " timed out after " + duration_text(budget));
    }
    self->fail_queued(self->redacted(std::move(error)));
    co_return;
  }
  self->link_ = link;
  self->start_read(link);
  self->start_write(link);
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

void Connection::Impl::start_write(const LinkPtr& link) {
  if (link->broken || link->write_in_progress || queued_.empty()) return;
  // Everything queued goes out in one gather write. A request counts as sent from here on:
  // once the write starts, any part of it may reach the server.
  assert(link->writing.empty() && link->buffers.empty());
  while (!queued_.empty()) {
    PendingPtr pending = std::move(queued_.front());
    queued_.pop_front();
    pending->state = Pending::State::kWritten;
    pending->replies_when_written = link->replies;
    link->buffers.emplace_back(pending->request.data(), pending->request.size());
    link->awaiting.push_back(pending);
    link->writing.push_back(std::move(pending));
  }
  link->write_in_progress = true;
  net::async_write(link->socket, link->buffers,
                   [self = shared_from_this(), link](error_code ec, std::size_t /*bytes*/) {
                     self->on_written(link, ec);
                   });
}

void Connection::Impl::on_written(const LinkPtr& link, error_code ec) {
  link->write_in_progress = false;
  for (const PendingPtr& pending : link->writing) pending->request.reset();
  link->writing.clear();
  link->buffers.clear();
  if (link->broken) return;
  if (ec) {
    break_link(*link, "write failed: " + ec.message(), ErrorCode::kOutcomeUnknown);
    return;
  }
  start_write(link);  // whatever was queued while this write was in progress
}

void Connection::Impl::start_read(const LinkPtr& link) {
  link->socket.async_read_some(
      net::buffer(link->read_buffer),
      [self = shared_from_this(), link](error_code ec, std::size_t n) {
        self->on_read(link, ec, n);
      });
}

void Connection::Impl::on_read(const LinkPtr& link, error_code ec, std::size_t n) {
  if (link->broken) return;
  if (ec) {
    break_link(*link, ec == net::error::eof ? std::string("closed by the server") : ec.message(),
               ErrorCode::kOutcomeUnknown);
    return;
  }
  if (Result<void> fed = link->reader.feed(link->read_buffer.data(), n); !fed.ok()) {
    break_link(*link, fed.error().message, ErrorCode::kProtocol);
    return;
  }
  for (;;) {
    Result<std::optional<RedisReply>> next = link->reader.next();
    if (!next.ok()) {
      break_link(*link, next.error().message, ErrorCode::kProtocol);
      return;
    }
    if (!next->has_value()) break;
    if (link->awaiting.empty()) {
      break_link(*link, "a reply arrived with no request outstanding", ErrorCode::kProtocol);
      return;
    }
    const PendingPtr pending = std::move(link->awaiting.front());
    link->awaiting.pop_front();
    ++link->replies;
    if (pending->state != Pending::State::kWritten) continue;  // its caller timed out
    RedisReply reply = std::move(**next);
    if (reply.is_error()) {
      // Redact before server_error truncates: a cut could leave part of a password behind.
      const std::string text = backends::detail::redact(reply.as_text(), options_.password);
      complete(*pending, redacted(server_error(text)));
    } else {
      complete(*pending, std::move(reply));
    }
  }
  if (link->reader.buffered_bytes() > options_.max_reply_bytes) {
    break_link(*link, "a reply exceeds max_reply_bytes", ErrorCode::kProtocol);
    return;
  }
  start_read(link);
}

void Connection::Impl::break_link(Link& link, const std::string& why, ErrorCode written_code) {
  if (link.broken) return;
  link.broken = true;
  error_code ignored;
  link.socket.close(ignored);  // also ends the pending read, and the write if one is running
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
  assert(deadlines_.empty());
  deadline_timer_.cancel();
  armed_for_ = TimePoint::max();
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
