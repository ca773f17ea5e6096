#include "faultline/backends/postgres/pool.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::backends::postgres {
namespace net = boost::asio;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxConnections = 1024;
constexpr std::size_t kMaxWaiters = 65536;

}  // namespace

Result<void> PoolOptions::validate() const {
  if (Result<void> valid = connection.validate(); !valid.ok()) {
    return invalid_argument("connection." + valid.error().message);
  }
  if (auto r = check_size("max_connections", max_connections, 1, kMaxConnections); !r) return r;
  return check_size("max_waiters", max_waiters, 0, kMaxWaiters);
}

namespace detail {

// How it works. `open_` counts every connection that exists (idle, leased, or being opened) and
// never exceeds max_connections. A caller that finds neither an idle connection nor room to open
// one queues a Waiter and sleeps on its timer (set to its deadline). A returned connection is
// handed straight to the first waiter; a discarded one hands over its place (`slot`), which the
// waiter uses to open a fresh connection. Handing over cancels the waiter's timer to wake it.
class PoolCore : public std::enable_shared_from_this<PoolCore> {
 public:
  PoolCore(net::io_context& io, PoolOptions options) : io_(io), options_(std::move(options)) {}

  static Task<Result<PooledConnection>> acquire(std::shared_ptr<PoolCore> self, Duration timeout);
  void give_back(Connection connection);
  void shut_down();

  [[nodiscard]] std::size_t size() const noexcept { return open_; }
  [[nodiscard]] std::size_t idle() const noexcept { return idle_.size(); }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }

 private:
  struct Waiter {
    explicit Waiter(net::io_context& io) : timer(io) {}
    net::steady_timer timer;
    std::optional<Connection> handed;  // a returned connection, now this waiter's
    bool slot = false;                 // a freed place, now this waiter's to open
    bool shut_down = false;
  };
  using WaiterPtr = std::shared_ptr<Waiter>;

  // The place of a discarded connection (or of a failed attempt) goes to the first waiter, or
  // back to the pool.
  void free_slot();
  std::optional<Connection> take_idle();

  net::io_context& io_;
  PoolOptions options_;
  std::vector<Connection> idle_;  // most recently returned last: reused first, stays warm
  std::deque<WaiterPtr> waiters_;
  std::size_t open_ = 0;
  bool shut_down_ = false;
};

Task<Result<PooledConnection>> PoolCore::acquire(std::shared_ptr<PoolCore> self, Duration timeout) {
  if (Result<void> valid = validate_timeout(timeout); !valid.ok()) {
    co_return std::move(valid).error();
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  bool have_slot = false;  // this caller owns one unit of open_ and must open a connection
  for (;;) {
    if (self->shut_down_) {
      if (have_slot) self->free_slot();
      co_return unavailable("the connection pool is shut down");
    }
    if (!have_slot) {
      if (std::optional<Connection> idle = self->take_idle()) {
        co_return PooledConnection(self, std::move(*idle));
      }
      if (self->open_ < self->options_.max_connections) {
        ++self->open_;
        have_slot = true;
      }
    }
    if (have_slot) {
      const Duration remaining = deadline - SteadyClock::now();
      if (remaining <= Duration::zero()) {
        self->free_slot();
        co_return Error{ErrorCode::kDeadlineExceeded,
                        "no pooled connection within " + duration_text(timeout)};
      }
      Result<Connection> opened =
          co_await Connection::connect(self->io_, self->options_.connection, remaining);
      if (!opened.ok()) {
        self->free_slot();
        co_return std::move(opened).error();
      }
      co_return PooledConnection(self, std::move(opened).value());
    }

    if (self->waiters_.size() >= self->options_.max_waiters) {
      co_return unavailable("the connection pool is exhausted (" +
                            std::to_string(self->options_.max_connections) + " connections, " +
                            std::to_string(self->options_.max_waiters) + " waiters)");
    }
    auto waiter = std::make_shared<Waiter>(self->io_);
    waiter->timer.expires_at(deadline);
    self->waiters_.push_back(waiter);
    error_code woken;
    co_await waiter->timer.async_wait(net::redirect_error(net::use_awaitable, woken));
    std::erase(self->waiters_, waiter);  // still queued only when its deadline passed
    if (waiter->handed) co_return PooledConnection(self, std::move(*waiter->handed));
    if (waiter->slot) {
      have_slot = true;
      continue;
    }
    if (waiter->shut_down) continue;
    co_return Error{ErrorCode::kDeadlineExceeded,
                    "no pooled connection became free within " + duration_text(timeout) + " (" +
                        std::to_string(self->options_.max_connections) + " connections, all busy)"};
  }
}

std::optional<Connection> PoolCore::take_idle() {
  while (!idle_.empty()) {
    Connection connection = std::move(idle_.back());
    idle_.pop_back();
    if (!connection.lost()) return connection;
    --open_;  // dead while idle (server restart, terminated backend): drop it
  }
  return std::nullopt;
}

void PoolCore::give_back(Connection connection) {
  if (shut_down_ || connection.lost() || connection.busy() || connection.in_transaction()) {
    connection.close();
    free_slot();
    return;
  }
  if (!waiters_.empty()) {
    const WaiterPtr waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->handed.emplace(std::move(connection));
    waiter->timer.cancel();
    return;
  }
  idle_.push_back(std::move(connection));
}

void PoolCore::free_slot() {
  if (!waiters_.empty() && !shut_down_) {
    const WaiterPtr waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->slot = true;
    waiter->timer.cancel();
    return;
  }
  assert(open_ > 0);
  --open_;
}

void PoolCore::shut_down() {
  shut_down_ = true;
  open_ -= idle_.size();
  idle_.clear();  // closes them
  const std::deque<WaiterPtr> waiters = std::exchange(waiters_, {});
  for (const WaiterPtr& waiter : waiters) {
    waiter->shut_down = true;
    waiter->timer.cancel();
  }
}

}  // namespace detail

// ---- PooledConnection --------------------------------------------------------------------------

PooledConnection::PooledConnection(std::shared_ptr<detail::PoolCore> pool, Connection connection)
    : pool_(std::move(pool)), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::move(other.connection_)) {
  other.connection_.reset();
}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
    other.connection_.reset();
  }
  return *this;
}

PooledConnection::~PooledConnection() { release(); }

void PooledConnection::release() {
  if (connection_ && pool_) pool_->give_back(std::move(*connection_));
  connection_.reset();
  pool_.reset();
}

// ---- Pool --------------------------------------------------------------------------------------

Result<std::unique_ptr<Pool>> Pool::create(net::io_context& io, PoolOptions options) {
  if (Result<void> valid = options.validate(); !valid.ok()) return std::move(valid).error();
  return std::unique_ptr<Pool>(
      new Pool(std::make_shared<detail::PoolCore>(io, std::move(options))));
}

Pool::~Pool() { core_->shut_down(); }

Task<Result<PooledConnection>> Pool::acquire(Duration timeout) {
  return detail::PoolCore::acquire(core_, timeout);
}

std::size_t Pool::size() const noexcept { return core_->size(); }
std::size_t Pool::idle() const noexcept { return core_->idle(); }
std::size_t Pool::waiting() const noexcept { return core_->waiting(); }
const PoolOptions& Pool::options() const noexcept { return core_->options(); }

}  // namespace faultline::backends::postgres
