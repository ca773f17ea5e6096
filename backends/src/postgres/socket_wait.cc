#include "socket_wait.h"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <optional>
#include <utility>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "faultline/detail/parked_handler.h"

namespace faultline::backends::postgres::detail {
namespace net = boost::asio;
using boost::system::error_code;

namespace {

bool wants_read(Readiness want) { return want != Readiness::kWrite; }
bool wants_write(Readiness want) { return want != Readiness::kRead; }

// A suspended wait's completion handler.
using Parked = faultline::detail::ParkedHandler<WaitOutcome>;

}  // namespace

// One registration. The reactor's and the timer's handlers hold it weakly, so once detach()
// drops it they find nothing and return. A suspended wait lives in `parked` until something
// resumes it; resuming moves it out first, so nothing resumes it twice.
struct SocketWaiter::State : std::enable_shared_from_this<SocketWaiter::State> {
  explicit State(const net::any_io_executor& executor) : descriptor(executor), timer(executor) {}

  void watch_read();
  void watch_write();
  void arm_timer(Deadline at);
  void on_timer();
  // Resumes the suspended wait now, inside the caller: only from a completion handler.
  void resume(WaitOutcome outcome) {
    parked.resume(outcome);
  }

  net::posix::stream_descriptor descriptor;
  bool watching_read = false;   // the read watch is queued in the reactor
  bool watching_write = false;  // a write wait is queued (it may outlive the wait that queued it)
  bool input_pending = false;   // the read watch fired since the last input_consumed()
  bool failed = false;          // a watch completed with an error: every later wait fails

  Parked parked;  // the wait in progress, if any
  Readiness want = Readiness::kRead;
  Deadline deadline{};

  // Armed for `armed_for`, or not at all when that is max().
  net::steady_timer timer;
  Deadline armed_for = Deadline::max();
};

void SocketWaiter::State::watch_read() {
  watching_read = true;
  descriptor.async_wait(net::posix::descriptor_base::wait_read,
                        [weak = weak_from_this()](error_code ec) {
                          const std::shared_ptr<State> self = weak.lock();
                          if (!self || ec == net::error::operation_aborted) return;
                          self->watching_read = false;
                          if (ec) {
                            self->failed = true;
                          } else {
                            self->input_pending = true;
                          }
                          if (self->parked && (ec || wants_read(self->want))) {
                            self->resume(ec ? WaitOutcome::kFailed : WaitOutcome::kReadable);
                          }
                        });
}

void SocketWaiter::State::watch_write() {
  watching_write = true;
  descriptor.async_wait(net::posix::descriptor_base::wait_write,
                        [weak = weak_from_this()](error_code ec) {
                          const std::shared_ptr<State> self = weak.lock();
                          if (!self || ec == net::error::operation_aborted) return;
                          self->watching_write = false;
                          if (ec) self->failed = true;
                          if (self->parked && (ec || wants_write(self->want))) {
                            self->resume(ec ? WaitOutcome::kFailed : WaitOutcome::kWritable);
                          }
                        });
}

void SocketWaiter::State::arm_timer(Deadline at) {
  if (at >= armed_for) return;  // the earlier firing re-arms for whatever is waiting then
  armed_for = at;
  timer.expires_at(at);  // cancels the previous wait; its handler sees operation_aborted
  timer.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    if (const std::shared_ptr<State> self = weak.lock()) self->on_timer();
  });
}

void SocketWaiter::State::on_timer() {
  armed_for = Deadline::max();
  if (!parked) return;
  if (deadline <= std::chrono::steady_clock::now()) {
    resume(WaitOutcome::kTimedOut);
  } else {
    arm_timer(deadline);  // armed for an earlier wait that has finished
  }
}

SocketWaiter::SocketWaiter(net::any_io_executor executor) : executor_(std::move(executor)) {}

SocketWaiter::~SocketWaiter() { detach(); }

Task<WaitOutcome> SocketWaiter::wait_once(int fd, Readiness want, Deadline deadline) {
  if (!attach(fd)) co_return WaitOutcome::kFailed;
  const WaitOutcome outcome = co_await wait(want, deadline);
  detach();
  co_return outcome;
}

bool SocketWaiter::attach(int fd) {
  detach();
  if (fd < 0) return false;
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return false;
  auto state = std::make_shared<State>(executor_);
  error_code ec;
  state->descriptor.assign(copy, ec);
  if (ec) {
    ::close(copy);
    return false;
  }
  state->watch_read();
  attached_ = std::move(state);
  return true;
}

Task<WaitOutcome> SocketWaiter::wait(Readiness want, Deadline deadline) {
  // Not a coroutine: the initiation runs once the caller has suspended, and parks its handler.
  // Only trivial values cross into it (see ARCHITECTURE.md on g++ 12).
  return net::async_initiate<const net::use_awaitable_t<>&, void(WaitOutcome)>(
      [](auto handler, SocketWaiter* waiter, Readiness want, Deadline deadline) {
        State* const state = waiter->attached_.get();
        std::optional<WaitOutcome> at_once;
        if (state == nullptr || state->failed) {
          at_once = WaitOutcome::kFailed;
        } else if (wants_read(want) && state->input_pending) {
          at_once = WaitOutcome::kReadable;
        }
        if (at_once) {
          const auto executor = net::get_associated_executor(handler, waiter->executor_);
          net::post(executor, net::append(std::move(handler), *at_once));
          return;
        }
        assert(!state->parked && "one wait at a time");
        // No input pending, so the read watch is queued (see the contract).
        assert(state->watching_read);
        state->want = want;
        state->deadline = deadline;
        if (wants_write(want) && !state->watching_write) state->watch_write();
        state->parked = Parked(std::move(handler));
        state->arm_timer(deadline);
      },
      net::use_awaitable, this, want, deadline);
}

bool SocketWaiter::input_pending() const noexcept {
  return attached_ && (attached_->input_pending || attached_->failed);
}

void SocketWaiter::input_consumed() {
  if (!attached_) return;
  attached_->input_pending = false;
  if (!attached_->watching_read && !attached_->failed) attached_->watch_read();
}

void SocketWaiter::detach() {
  cancel();
  if (attached_) {
    error_code ignored;
    attached_->descriptor.close(ignored);  // closes the copy only; cancels its watches
    attached_->timer.cancel();
    attached_.reset();
  }
}

void SocketWaiter::cancel() {
  if (!attached_ || !attached_->parked) return;
  // Posted: the caller (close(), a destructor) must not find the waiting coroutine running
  // inside it.
  net::post(executor_, [waiter = std::move(attached_->parked)]() mutable {
    waiter.resume(WaitOutcome::kCancelled);
  });
}

}  // namespace faultline::backends::postgres::detail
