#include "socket_wait.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace faultline::backends::postgres::detail {
namespace net = boost::asio;
using boost::system::error_code;

// A registration: the descriptor's completion handlers record what happened and cancel `wake`,
// on which the coroutine sleeps until the deadline. Handlers share ownership of the State, so
// one that completes after the coroutine has moved on touches live memory, and they carry the
// wait's generation, so one left over from an earlier wait is ignored.
struct SocketWaiter::State {
  explicit State(const net::any_io_executor& executor) : descriptor(executor), wake(executor) {}
  net::posix::stream_descriptor descriptor;
  net::steady_timer wake;
  std::uint64_t generation = 0;
  bool readable = false;
  bool writable = false;
  bool failed = false;
  bool cancelled = false;
};

namespace {

// A registered dup of `fd`, or nothing.
std::shared_ptr<SocketWaiter::State> register_copy(const net::any_io_executor& executor, int fd) {
  if (fd < 0) return nullptr;
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return nullptr;
  auto state = std::make_shared<SocketWaiter::State>(executor);
  error_code ec;
  state->descriptor.assign(copy, ec);
  if (ec) {
    ::close(copy);
    return nullptr;
  }
  return state;
}

}  // namespace

SocketWaiter::SocketWaiter(net::any_io_executor executor) : executor_(std::move(executor)) {}

SocketWaiter::~SocketWaiter() { detach(); }

Task<WaitOutcome> SocketWaiter::wait_once(int fd, Readiness want, Deadline deadline) {
  const std::shared_ptr<State> state = register_copy(executor_, fd);
  if (!state) co_return WaitOutcome::kFailed;
  const WaitOutcome outcome = co_await await_ready(state, want, deadline);
  error_code ignored;
  state->descriptor.close(ignored);  // closes the copy only
  co_return outcome;
}

bool SocketWaiter::attach(int fd) {
  detach();
  attached_ = register_copy(executor_, fd);
  return attached_ != nullptr;
}

void SocketWaiter::detach() {
  cancel();
  if (attached_) {
    error_code ignored;
    attached_->descriptor.close(ignored);
    attached_.reset();
  }
}

Task<WaitOutcome> SocketWaiter::wait(Readiness want, Deadline deadline, bool check_first) {
  const std::shared_ptr<State> state = attached_;  // detach() may drop attached_ meanwhile
  if (!state) co_return WaitOutcome::kFailed;
  if (check_first) {
    const short events = static_cast<short>((want != Readiness::kWrite ? POLLIN : 0) |
                                            (want != Readiness::kRead ? POLLOUT : 0));
    pollfd probe{state->descriptor.native_handle(), events, 0};
    const int ready = ::poll(&probe, 1, 0);
    if (ready < 0) co_return WaitOutcome::kFailed;
    if (ready > 0) {
      if ((probe.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && want != Readiness::kWrite) {
        co_return WaitOutcome::kReadable;
      }
      if ((probe.revents & (POLLOUT | POLLERR | POLLHUP)) != 0 && want != Readiness::kRead) {
        co_return WaitOutcome::kWritable;
      }
    }
  }
  co_return co_await await_ready(state, want, deadline);
}

Task<WaitOutcome> SocketWaiter::await_ready(const std::shared_ptr<State>& state, Readiness want,
                                            Deadline deadline) {
  ++state->generation;
  state->readable = false;
  state->writable = false;
  state->failed = false;
  state->cancelled = false;
  state->wake.expires_at(deadline);
  if (want != Readiness::kWrite) watch(state, /*read=*/true);
  if (want != Readiness::kRead) watch(state, /*read=*/false);
  current_ = state;

  error_code woken;  // operation_aborted when a handler (or cancel()) woke us early
  co_await state->wake.async_wait(net::redirect_error(net::use_awaitable, woken));
  current_.reset();
  error_code ignored;
  state->descriptor.cancel(ignored);  // the watch that did not fire, if any

  if (state->cancelled) co_return WaitOutcome::kCancelled;
  if (state->readable) co_return WaitOutcome::kReadable;
  if (state->writable) co_return WaitOutcome::kWritable;
  if (state->failed) co_return WaitOutcome::kFailed;
  co_return woken ? WaitOutcome::kFailed : WaitOutcome::kTimedOut;
}

void SocketWaiter::cancel() {
  if (const std::shared_ptr<State> state = current_.lock()) {
    state->cancelled = true;
    state->wake.cancel();
  }
}

void SocketWaiter::watch(const std::shared_ptr<State>& state, bool read) {
  const auto type =
      read ? net::posix::descriptor_base::wait_read : net::posix::descriptor_base::wait_write;
  state->descriptor.async_wait(type, [state, read, generation = state->generation](error_code ec) {
    if (ec == net::error::operation_aborted || generation != state->generation) return;
    if (ec) {
      state->failed = true;
    } else if (read) {
      state->readable = true;
    } else {
      state->writable = true;
    }
    state->wake.cancel();
  });
}

}  // namespace faultline::backends::postgres::detail
